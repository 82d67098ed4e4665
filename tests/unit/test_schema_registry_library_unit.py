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


def test_topic_subjects_are_the_physical_topic_value() -> None:
    target = {"name": "stg", "topic_prefix": "stg.", "schema_registry_url": "http://x"}
    lib = SchemaRegistryLibrary(target=target)
    assert lib.get_topic_subject("trips") == "stg.trips-value"
    assert lib.get_topic_subject("gps_pings") == "stg.gps-pings-value"
    assert lib.get_topic_subject("stg.payments") == "stg.payments-value"
    assert SchemaRegistryLibrary(url="http://x", target={"name": "plain"}).get_topic_subject("trips") == "trips-value"
    with pytest.raises(ValueError, match="Unknown topic"):
        lib.get_topic_subject("nope")


def test_url_override_and_library_wide_timeout_reach_the_client() -> None:
    lib = SchemaRegistryLibrary(url="http://override/apis/ccompat/v7", target={"name": "t"}, timeout="4 s")
    client = lib.keywords["list_subjects"].__self__.client
    assert client.url == "http://override/apis/ccompat/v7" and client.timeout == 4.0
    assert lib.keywords["get_compatibility"].__self__.client is client  # one client per library instance


def test_keyword_tags_come_from_the_closed_vocabulary() -> None:
    lib = SchemaRegistryLibrary(url="http://x")
    for name in lib.get_keyword_names():
        tags = set(lib.get_keyword_tags(name))
        rest = tags - {"SchemaRegistry"}
        assert "SchemaRegistry" in tags and rest and rest <= {"Getter", "Assertion", "Setter", "Destructive"}, name
