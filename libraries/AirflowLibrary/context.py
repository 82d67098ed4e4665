"""The lazily-built client shared by the AirflowLibrary components."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from lhkit import target as lh_target
from lhkit.polling import to_seconds

from .client import DEFAULT_REQUEST_TIMEOUT, AirflowClient
from .normalize import ApiVersion


class AirflowContext:
    """Holds the endpoint configuration and the client. Nothing here changes keyword behaviour."""

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        url: str | None = None,
        user: str | None = None,
        password: Any = None,
        api: ApiVersion | None = None,
        request_timeout: Any = None,
    ):
        self._target_arg = target
        self._overrides: dict[str, Any] = {"url": url, "user": user, "password": password, "api": api}
        self._request_timeout = to_seconds(request_timeout, DEFAULT_REQUEST_TIMEOUT)
        self._client: AirflowClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> AirflowClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    target = (
                        lh_target.Target.from_mapping(self._target_arg) if self._target_arg else lh_target.current()
                    )
                    self._client = AirflowClient.for_target(
                        target,
                        **{k: v for k, v in self._overrides.items() if v},
                        request_timeout=self._request_timeout,
                    )
        return self._client
