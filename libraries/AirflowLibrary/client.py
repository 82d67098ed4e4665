"""HTTP client behind the AirflowLibrary keywords: API detection, authentication, bounded requests.

* API detection: ``GET /api/v2/version`` answering 200 means Airflow 3 (``/api/v2``, JWT);
  otherwise ``GET /api/v1/version`` answering 200 means Airflow 2 (``/api/v1``, basic auth).
  Both probes are unauthenticated.
* v2 authentication: ``POST /auth/token`` with JSON credentials returns a JWT. It is
  refreshed shortly before its ``exp`` claim, and once more whenever a call answers 401.
* Every request has a timeout; passwords and tokens are registered with
  :mod:`lhcommon.masking`, so they never reach log.html or failure messages.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from lhcommon import masking as secrets
from lhkit.component import DEFAULT_TIMEOUT
from lhkit.target import Target

from .normalize import ApiVersion, detect_api, error_detail, token_needs_refresh

DEFAULT_REQUEST_TIMEOUT = DEFAULT_TIMEOUT  # the library passes its own; this is for direct use
CONNECT_TIMEOUT = 5.0


class AirflowError(AssertionError):
    """An Airflow call failed. Robot shows the message without the class name."""

    ROBOT_SUPPRESS_NAME = True


class AirflowUnreachable(AirflowError):
    pass


class AirflowAuthError(AirflowError):
    pass


class AirflowNotFound(AirflowError):
    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.status = status


class AirflowHttpError(AirflowError):
    def __init__(self, message: str, status: int, body: Any):
        super().__init__(message)
        self.status = status
        self.body = body


def q(value: str) -> str:
    """Quote one path segment (run ids may contain ``:`` and ``+``)."""
    return quote(str(value), safe="")


class AirflowClient:
    """One Airflow endpoint. Thread-safe; holds only connection state (API version, token)."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        api: ApiVersion | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ):
        self.url = url.rstrip("/")
        self.user = user
        self._password = secrets.reveal(password)
        secrets.register(self._password)
        self.request_timeout = request_timeout
        self._api: ApiVersion | None = api
        self._token: str | None = None
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._version: str | None = None
        self.token_refreshes = 0

    @classmethod
    def for_target(cls, target: Target, **options: Any) -> AirflowClient:
        """The client of ``target``'s ``airflow_url``, ``airflow_user`` and ``airflow_password``."""
        if not target.airflow_url:
            raise AirflowError(
                f"Target '{target.name}' has no airflow_url; set it in the variables file "
                "or import AirflowLibrary with url=..."
            )
        return cls(target.airflow_url, target.airflow_user, target.airflow_password, **options)

    # --- detection --------------------------------------------------------------------
    def _timeout(self, read: float | None = None) -> tuple[float, float]:
        read = self.request_timeout if read is None else read
        return (min(CONNECT_TIMEOUT, read), read)

    def _probe(self, path: str) -> tuple[int | None, Any]:
        limit = min(10.0, self.request_timeout)
        try:
            r = self._session.get(self.url + path, timeout=self._timeout(limit))
        except requests.ConnectionError as error:
            raise AirflowUnreachable(f"Cannot reach Airflow at {self.url}: {_reason(error)}") from None
        except requests.Timeout:
            raise AirflowUnreachable(f"Airflow at {self.url} did not answer GET {path} within {limit:g} s") from None
        return r.status_code, _body(r)

    @property
    def api(self) -> ApiVersion:
        if self._api is None:
            with self._lock:
                if self._api is None:
                    v2_status, v2_body = self._probe("/api/v2/version")
                    v1_status, v1_body = (None, None) if v2_status == 200 else self._probe("/api/v1/version")
                    api = detect_api(v2_status, v1_status)
                    if api is None:
                        raise AirflowError(
                            f"{self.url} does not look like Airflow: GET /api/v2/version gave HTTP {v2_status} "
                            f"({error_detail(v2_body)}), GET /api/v1/version gave HTTP {v1_status} "
                            f"({error_detail(v1_body)})"
                        )
                    body = v2_body if api == "v2" else v1_body
                    self._version = body.get("version") if isinstance(body, Mapping) else None
                    self._api = api
        assert self._api is not None
        return self._api

    @property
    def version(self) -> str:
        if self._version is None:
            data = self.request("GET", "/version")
            self._version = str(data.get("version"))
        return self._version

    # --- authentication ---------------------------------------------------------------
    def _fetch_token(self) -> str:
        path = "/auth/token"
        try:
            r = self._session.post(
                self.url + path,
                json={"username": self.user, "password": self._password},
                timeout=self._timeout(),
            )
        except requests.ConnectionError as error:
            raise AirflowUnreachable(f"Cannot reach Airflow at {self.url}: {_reason(error)}") from None
        except requests.Timeout:
            raise AirflowUnreachable(
                f"Airflow at {self.url} did not answer POST {path} within {self.request_timeout:g} s"
            ) from None
        if r.status_code in (401, 403):
            raise AirflowAuthError(
                f"Airflow at {self.url} rejected the credentials of user '{self.user}': "
                f"HTTP {r.status_code} from POST {path} ({error_detail(_body(r))}). "
                "Check airflow_user/airflow_password of the target."
            )
        if r.status_code not in (200, 201):
            raise AirflowHttpError(
                f"POST {self.url}{path} gave HTTP {r.status_code}: {error_detail(_body(r))}", r.status_code, _body(r)
            )
        token = str(_body(r).get("access_token") or "")
        if not token:
            raise AirflowAuthError(f"POST {self.url}{path} answered {r.status_code} without an access_token")
        secrets.register(token)
        self.token_refreshes += 1
        return token

    def _auth(self, force_refresh: bool = False) -> dict[str, Any]:
        if self.api == "v1":
            return {"auth": (self.user, self._password)}
        with self._lock:
            if force_refresh or token_needs_refresh(self._token):
                self._token = self._fetch_token()
            return {"headers": {"Authorization": f"Bearer {self._token}"}}

    def invalidate_token(self, replacement: str | None = None) -> None:
        """Drop (or replace) the cached token; the next call fetches a new one when needed. For tests."""
        with self._lock:
            if replacement:
                secrets.register(replacement)
            self._token = replacement

    # --- requests ---------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        accept: str = "application/json",
        timeout: float | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> Any:
        """Call ``/api/<version><path>`` and return the decoded body; raise a clear error otherwise."""
        full = f"{self.url}/api/{self.api}{path}"
        for attempt in (1, 2):
            auth = self._auth(force_refresh=attempt == 2)
            headers = {"Accept": accept, **auth.pop("headers", {})}
            try:
                r = self._session.request(
                    method, full, json=json, params=params, headers=headers, timeout=self._timeout(timeout), **auth
                )
            except requests.ConnectionError as error:
                raise AirflowUnreachable(
                    f"Cannot reach Airflow at {self.url} ({method} {path}): {_reason(error)}"
                ) from None
            except requests.Timeout:
                raise AirflowUnreachable(
                    f"Airflow at {self.url} did not answer {method} {path} within {timeout or self.request_timeout:g} s"
                ) from None
            # Airflow 3 answers 401 for a missing/expired token and 403 "Invalid JWT token" for one it
            # cannot verify (e.g. signed before a secret rotation): fetch a new token once.
            if r.status_code in (401, 403) and self.api == "v2" and attempt == 1:
                continue
            break
        body = _body(r) if accept == "application/json" else r.text
        if r.status_code in ok:
            return body
        detail = error_detail(_body(r))
        if r.status_code == 401 or (r.status_code == 403 and self.api == "v1" and detail == "Forbidden"):
            # Airflow 2's basic-auth backend answers a wrong password with a bare 403 "Forbidden".
            raise AirflowAuthError(
                f"Airflow at {self.url} rejected the credentials of user '{self.user}' on {method} {path}: "
                f"HTTP {r.status_code} ({detail}). Check airflow_user/airflow_password of the target."
            )
        if r.status_code == 403:
            raise AirflowAuthError(f"User '{self.user}' may not {method} {path} on {self.url}: HTTP 403 ({detail})")
        if r.status_code == 404:
            raise AirflowNotFound(f"{method} {path}: HTTP 404 from {self.url} ({detail})")
        raise AirflowHttpError(f"{method} {path}: HTTP {r.status_code} from {self.url} ({detail})", r.status_code, body)

    def close(self) -> None:
        self._session.close()


def _body(r: requests.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text


def _reason(error: BaseException) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if marker in text:
            return marker
    return text[:300]
