"""SchemaRegistryLibrary pure logic: schema input forms, error mapping, guards."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from SchemaRegistryLibrary import (
    IncompatibleSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaRegistryLibrary,
    SubjectNotFound,
)
from SchemaRegistryLibrary.client import RegistryClient, schema_text


def test_schema_text_accepts_dict_json_and_path(tmp_path: Any) -> None:
    assert json.loads(schema_text({"type": "object"})) == {"type": "object"}
    assert schema_text('{"type": "string"}') == '{"type": "string"}'
    path = tmp_path / "s.json"
    path.write_text('{"type": "integer"}')
    assert schema_text(str(path)) == '{"type": "integer"}'
    with pytest.raises(ValueError):
        schema_text("not a schema")
    with pytest.raises(ValueError):
        schema_text("{broken")


class FakeResponse:
    def __init__(self, status: int, body: Any):
        self.status_code = status
        self._body = body
        self.content = json.dumps(body).encode()
        self.text = json.dumps(body)

    def json(self) -> Any:
        return self._body


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"error_code": 40401, "message": "Subject 'x' not found."}, SubjectNotFound),
        (409, {"error_code": 409, "message": "Incompatible artifact"}, IncompatibleSchema),
        (500, {"error_code": 0, "message": "#: could not determine version"}, RegistryError),
    ],
)
def test_http_errors_map_to_clear_exceptions(monkeypatch: Any, status: int, body: Any, error: type) -> None:
    client = RegistryClient("http://registry.invalid/apis/ccompat/v7")
    monkeypatch.setattr(client._http, "request", lambda *a, **k: FakeResponse(status, body))
    with pytest.raises(error) as info:
        client.request("GET", "/subjects/x/versions")
    assert str(status) in str(info.value) and body["message"] in str(info.value)


def test_unreachable_registry_fails_fast_naming_the_url() -> None:
    client = RegistryClient("http://127.0.0.1:1/apis/ccompat/v7", timeout=2)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=r"127\.0\.0\.1:1"):
        client.request("GET", "/subjects")
    assert time.monotonic() - started < 5


def test_connection_errors_are_wrapped(monkeypatch: Any) -> None:
    client = RegistryClient("http://x")

    def boom(*a: Any, **k: Any) -> None:
        raise requests.ConnectTimeout("timed out")

    monkeypatch.setattr(client._http, "request", boom)
    with pytest.raises(RegistryUnavailable, match="timed out"):
        client.request("GET", "/subjects")


def test_delete_subject_refuses_non_test_targets() -> None:
    lib = SchemaRegistryLibrary(target={"name": "prod", "test_environment": False, "schema_registry_url": "http://x"})
    with pytest.raises(PermissionError):
        lib.delete_subject("trips-value")
