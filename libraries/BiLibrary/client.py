"""HTTP client behind the BiLibrary keywords: Superset login, CSRF, bounded requests.

* Login: ``POST /api/v1/security/login`` (``provider: db``) gives a JWT sent as ``Bearer``; a 401
  on a later call logs in again once.
* Mutating calls (POST/PUT/DELETE other than login and ``/chart/data``) also need a CSRF token
  (``GET /api/v1/security/csrf_token/``), the session cookie that call sets, and a ``Referer``:
  without them Superset answers 400 "The CSRF token is missing". The client sends all three.
* Connecting is retried until ``connect_timeout`` (a server still starting); then the failure names
  the URL and how long it tried. Passwords and tokens are masked in every message and log.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from lhcommon import masking
from lhcommon.polling import WaitTimeout, wait_until
from lhkit.target import Target

from .normalize import error_detail

CONNECT_TIMEOUT = 5.0


class SupersetError(AssertionError):
    """A Superset call failed. Robot shows the message without the class name."""

    ROBOT_SUPPRESS_NAME = True


class SupersetUnreachable(SupersetError):
    pass


class SupersetAuthError(SupersetError):
    pass


class SupersetHttpError(SupersetError):
    def __init__(self, message: str, status: int, body: Any):
        super().__init__(message)
        self.status = status
        self.body = body


class SupersetClient:
    """One Superset endpoint and user. Thread-safe; holds only connection state (token, CSRF, cookie)."""

    def __init__(
        self, url: str, user: str, password: str, *, request_timeout: float = 30.0, connect_timeout: float = 30.0
    ):
        self.url = url.rstrip("/")
        self.user = user
        self._password = masking.reveal(password)
        masking.register(self._password)
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self._session = requests.Session()
        self._token: str | None = None
        self._csrf: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_target(cls, target: Target, **options: Any) -> SupersetClient:
        if not target.superset_url:
            raise SupersetError(
                f"Target '{target.name}' has no superset_url; set it in the variables file "
                "or import BiLibrary with url=..."
            )
        return cls(target.superset_url, target.superset_user, target.superset_password, **options)

    @property
    def password(self) -> str:
        return self._password

    def close(self) -> None:
        self._session.close()

    # --- transport ---------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; connection errors are retried until ``connect_timeout``, then reported."""
        kwargs.setdefault("timeout", (min(CONNECT_TIMEOUT, self.request_timeout), self.request_timeout))

        def attempt() -> requests.Response | Exception:
            try:
                return self._session.request(method, self.url + path, **kwargs)
            except requests.ConnectionError as error:
                return error

        started = time.monotonic()
        try:
            result = wait_until(
                attempt,
                lambda r: isinstance(r, requests.Response),
                timeout=self.connect_timeout,
                description=f"Superset at {self.url} to answer {method} {path}",
                describe=lambda r: _reason(r) if isinstance(r, Exception) else f"HTTP {r.status_code}",
                report=lambda line: None,
            )
        except WaitTimeout as error:
            raise SupersetUnreachable(
                f"Cannot reach Superset at {self.url} ({method} {path}): tried for "
                f"{time.monotonic() - started:.1f} s ({error.attempts} attempts); last error: "
                f"{_reason(error.last) if isinstance(error.last, Exception) else error.last}"
            ) from None
        except requests.Timeout:
            raise SupersetUnreachable(
                f"Superset at {self.url} did not answer {method} {path} within {self.request_timeout:g} s"
            ) from None
        return result

    # --- authentication ------------------------------------------------------------------
    def login(self) -> str:
        r = self._send(
            "POST",
            "/api/v1/security/login",
            json={"username": self.user, "password": self._password, "provider": "db", "refresh": True},
        )
        if r.status_code == 401:
            raise SupersetAuthError(
                f"Superset at {self.url} refused the credentials of user '{self.user}' "
                f"(HTTP 401: {error_detail(_body(r))})"
            )
        if r.status_code != 200:
            raise SupersetHttpError(
                f"Login to Superset at {self.url} as '{self.user}' failed: "
                f"HTTP {r.status_code} {error_detail(_body(r))}",
                r.status_code,
                _body(r),
            )
        token = r.json()["access_token"]
        masking.register(token)
        self._token = token
        self._csrf = None
        return token

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self.login()
            assert self._token is not None
            return self._token

    def csrf_token(self) -> str:
        """A CSRF token bound to this client's session cookie (fetched once per login)."""
        with self._lock:
            if self._csrf is None:
                token = self._token or self.login()
                r = self._send("GET", "/api/v1/security/csrf_token/", headers={"Authorization": f"Bearer {token}"})
                if r.status_code != 200:
                    raise SupersetHttpError(
                        f"GET /api/v1/security/csrf_token/ gave HTTP {r.status_code}: {error_detail(_body(r))}",
                        r.status_code,
                        _body(r),
                    )
                self._csrf = r.json()["result"]
                masking.register(self._csrf)
            return self._csrf

    # --- API ---------------------------------------------------------------------------
    def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), csrf: bool | None = None, **kwargs: Any
    ) -> Any:
        """Call the API as the logged-in user and return the JSON body; raise on a status outside ``ok``.

        ``csrf``: send the CSRF token, session cookie and Referer (default: for every mutating method)."""
        csrf = method.upper() not in ("GET", "HEAD") if csrf is None else csrf
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
            if csrf:
                headers.update({"X-CSRFToken": self.csrf_token(), "Referer": self.url + "/"})
            r = self._send(method, path, headers=headers, **kwargs)
            if r.status_code == 401 and attempt == 1:
                with self._lock:
                    self._token = None  # expired: log in again once
                continue
            if r.status_code not in ok:
                raise SupersetHttpError(
                    f"Superset {method} {path} gave HTTP {r.status_code}: {error_detail(_body(r))}",
                    r.status_code,
                    _body(r),
                )
            return _body(r)
        raise AssertionError("unreachable")  # pragma: no cover


def _body(r: requests.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text


def _reason(error: Exception | None) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return masking.mask(text)[:200]
