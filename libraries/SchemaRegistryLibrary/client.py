"""A small client for the Confluent schema-registry REST API (as served by Apicurio's ccompat v7)."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import requests

from lhcommon import masking as secrets
from lhkit.component import DEFAULT_TIMEOUT

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class CompatibilityLevel(Enum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


class SchemaType(Enum):
    JSON = "JSON"
    AVRO = "AVRO"
    PROTOBUF = "PROTOBUF"


class RegistryError(AssertionError):
    """The registry answered with an error."""

    ROBOT_SUPPRESS_NAME = True

    def __init__(self, message: str, status: int = 0, error_code: int = 0):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SubjectNotFound(RegistryError):
    pass


class IncompatibleSchema(RegistryError):
    pass


class RegistryUnavailable(ConnectionError):
    ROBOT_SUPPRESS_NAME = True


def schema_text(schema: Any) -> str:
    """A schema given as dict/list, JSON text, or a path to a ``.json`` file → JSON text."""
    if isinstance(schema, dict | list):
        return json.dumps(schema)
    text = str(schema)
    if text.strip().startswith(("{", "[", '"')):
        json.loads(text)  # fail early on broken JSON
        return text
    from pathlib import Path

    path = Path(text)
    if path.suffix == ".json" and path.exists():
        return path.read_text()
    raise ValueError(f"Schema must be a dictionary, JSON text or a path to a .json file, got: {text[:80]!r}")


class RegistryClient:
    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        self._http.headers.update({"Content-Type": CONTENT_TYPE, "Accept": "application/json"})

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.url}{path}"
        try:
            response = self._http.request(
                method, url, json=body, params=params, timeout=(min(3.0, self.timeout), self.timeout)
            )
        except requests.RequestException as error:
            raise RegistryUnavailable(
                secrets.mask(f"Schema registry at {self.url} not reachable ({method} {path}): {error}")
            ) from None
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = {"message": response.text[:500]}
            code = int(payload.get("error_code") or 0) if isinstance(payload, dict) else 0
            message = payload.get("message", response.text[:500]) if isinstance(payload, dict) else str(payload)
            text = secrets.mask(f"{method} {path} failed: HTTP {response.status_code} (error {code}): {message}")
            if response.status_code == 404 and code in (40401, 40402, 40403, 0):
                raise SubjectNotFound(text, response.status_code, code)
            if response.status_code == 409:
                raise IncompatibleSchema(text, response.status_code, code)
            raise RegistryError(text, response.status_code, code)
        if not response.content:
            return None
        return response.json()
