"""Pure logic of AirflowLibrary: v1/v2 normalisation, token expiry, run ids, error texts, auth retry.

The client tests replace the HTTP session with a scripted fake (unit tests only); the real
servers are exercised in tests/integration/test_airflow_library.py.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from assertionengine import AssertionOperator

from AirflowLibrary import AirflowLibrary
from AirflowLibrary.client import AirflowAuthError, AirflowClient, AirflowUnreachable
from AirflowLibrary.normalize import (
    detect_api,
    error_detail,
    format_log_content,
    jwt_expiry,
    make_run_id,
    normalize_import_error,
    parse_xcom_value,
    token_needs_refresh,
    trigger_body,
)
from lhcommon import masking as secrets

VOCABULARY = {"Getter", "Assertion", "Wait", "Setter", "Destructive"}


def _jwt(claims: dict[str, Any]) -> str:
    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'HS512'})}.{b64(claims)}.c2ln"


@pytest.mark.parametrize(
    ("raw", "api", "expected"),
    [
        ("{'answer': 42, 'items': [1, 2]}", "v1", {"answer": 42, "items": [1, 2]}),
        ("plain text", "v1", "plain text"),
        ("42", "v1", 42),  # the documented ambiguity of v1
        ("None", "v1", None),
        ({"answer": 42}, "v2", {"answer": 42}),
        ("{'a': 1}", "v2", "{'a': 1}"),  # v2 strings are strings
        (7, "v1", 7),
    ],
)
def test_parse_xcom_value(raw: Any, api: str, expected: Any) -> None:
    assert parse_xcom_value(raw, api) == expected  # type: ignore[arg-type]


def test_trigger_body_needs_logical_date_only_on_v2() -> None:
    assert trigger_body("v2", "r1", {"a": 1}) == {"dag_run_id": "r1", "conf": {"a": 1}, "logical_date": None}
    assert trigger_body("v1", "r1", None) == {"dag_run_id": "r1", "conf": {}}
    assert trigger_body("v1", "r1", None, note="n")["note"] == "n"


def test_import_error_file_name_is_comparable_across_versions() -> None:
    v1 = normalize_import_error({"filename": "/opt/dags/broken.py", "stack_trace": "SyntaxError"})
    v2 = normalize_import_error({"filename": "broken.py", "bundle_name": "scratch", "stack_trace": "SyntaxError"})
    assert v1["file_name"] == v2["file_name"] == "broken.py"
    assert v1["filename"] == "/opt/dags/broken.py" and v2["bundle_name"] == "scratch"


def test_make_run_id_is_safe_and_bounded() -> None:
    rid = make_run_id("dag", "My Test: ünïcode / slash", "20260101T000000_abc")
    assert rid.startswith("lh__My_Test:_")
    assert "/" not in rid and " " not in rid
    assert len(make_run_id("d", "x" * 500, "y" * 500)) <= 250
    assert make_run_id("dag", None, "u") == "lh__dag__u"


def test_jwt_expiry_and_refresh_margin() -> None:
    now = 1_000_000.0
    token = _jwt({"sub": "admin", "exp": now + 3600})
    assert jwt_expiry(token) == now + 3600
    assert not token_needs_refresh(token, now=now)
    assert token_needs_refresh(token, now=now + 3600 - 30)  # inside the 60 s margin
    assert token_needs_refresh(None, now=now)
    assert not token_needs_refresh("opaque-token", now=now)  # no exp: rely on 401 handling
    assert jwt_expiry("not.a-jwt") is None


def test_detect_api() -> None:
    assert detect_api(200, None) == "v2"
    assert detect_api(404, 200) == "v1"
    assert detect_api(404, 404) is None
    assert detect_api(None, 200) == "v1"


def test_error_detail_reads_v1_v2_and_html() -> None:
    assert error_detail({"detail": "Invalid credentials"}) == "Invalid credentials"
    assert error_detail({"title": "DAG not found", "status": 404}) == "DAG not found"
    assert error_detail("<html><title>404 Not Found</title></html>") == "HTML page: 404 Not Found"
    assert error_detail({"detail": [{"loc": ["body"], "msg": "Field required"}]}).startswith("[{")


def test_format_log_content_renders_structured_v2_logs() -> None:
    content = {
        "content": [
            {"event": "::group::Log message source details"},
            {"timestamp": "2026-01-01T00:00:00Z", "level": "error", "event": "Task failed with exception",
             "error_detail": [{"exc_type": "RuntimeError", "exc_value": "boom",
                               "frames": [{"filename": "dag.py", "lineno": 3, "name": "explode"}]}]},
        ]
    }  # fmt: skip
    text = format_log_content(content)
    assert "2026-01-01T00:00:00Z ERROR Task failed with exception" in text
    assert 'File "dag.py", line 3, in explode' in text
    assert text.rstrip().endswith("RuntimeError: boom")
    assert format_log_content("plain v1 log") == "plain v1 log"


def test_keywords_share_one_client_built_from_the_target_and_overrides() -> None:
    target = {"name": "t", "airflow_url": "http://af", "airflow_user": "admin", "airflow_password": "from-target"}
    lib = AirflowLibrary(target=target, user="other", timeout="9 s", api="v1")
    client = lib.keywords["trigger_dag"].__self__.client
    assert (client.url, client.user, client.request_timeout, client.api) == ("http://af", "other", 9.0, "v1")
    assert lib.keywords["get_dag"].__self__.client is client
    assert AirflowLibrary(target=target, request_timeout="2 s").keywords["get_dag"].__self__.client.request_timeout == 2
    with pytest.raises(AssertionError, match="has no airflow_url"):
        _ = AirflowLibrary(target={"name": "bare"}).keywords["get_dag"].__self__.client


def test_getters_use_assertion_engine_names_and_tags_come_from_the_vocabulary() -> None:
    lib = AirflowLibrary(target={"name": "t", "airflow_url": "http://af"})
    for name in lib.get_keyword_names():
        tags = set(lib.get_keyword_tags(name))
        assert "Airflow" in tags and tags - {"Airflow"} and tags - {"Airflow"} <= VOCABULARY, (name, tags)
        args = [a if isinstance(a, str) else a[0] for a in lib.get_keyword_arguments(name)]
        assert "expected" not in args, name
        if "assertion_operator" in args:
            assert {"assertion_expected", "message", "retry_timeout"} <= set(args), name


def test_get_task_state_retries_until_the_assertion_holds() -> None:
    lib = AirflowLibrary(target={"name": "t", "airflow_url": "http://af"})
    runs = lib.keywords["get_task_state"].__self__
    states = iter(["running", "running", "success"])
    runs.get_task_instances = lambda dag_id, run_id: [{"task_id": "t1", "state": next(states)}]  # type: ignore[method-assign]
    assert lib.get_task_state("d", "r", "t1", AssertionOperator["=="], "success", retry_timeout=5) == "success"
    runs.get_task_instances = lambda dag_id, run_id: [{"task_id": "t1", "state": "failed"}]  # type: ignore[method-assign]
    with pytest.raises(AssertionError, match=r"retried for .* s"):
        lib.get_task_state("d", "r", "t1", AssertionOperator["=="], "success", retry_timeout=0.5)


# --- client behaviour with a scripted session ----------------------------------------------
class FakeResponse:
    def __init__(self, status: int, body: Any):
        self.status_code = status
        self._body = body
        self.text = body if isinstance(body, str) else json.dumps(body)

    def json(self) -> Any:
        if isinstance(self._body, str):
            raise ValueError("not json")
        return self._body


class FakeSession:
    def __init__(self, script: list[FakeResponse]):
        self.script = script
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def _next(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        self.calls.append((method, url, kwargs))
        return self.script.pop(0)

    def get(self, url: str, **kwargs: Any) -> FakeResponse:
        return self._next("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> FakeResponse:
        return self._next("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        return self._next(method, url, **kwargs)


def _client(script: list[FakeResponse], api: str | None = "v2") -> tuple[AirflowClient, FakeSession]:
    client = AirflowClient("http://af", "admin", "s3cret-pw", api=api)  # type: ignore[arg-type]
    session = FakeSession(script)
    client._session = session  # type: ignore[assignment]
    return client, session


def test_v2_fetches_a_token_once_and_reuses_it() -> None:
    token = _jwt({"exp": time.time() + 3600})
    client, session = _client([FakeResponse(201, {"access_token": token}), FakeResponse(200, {"dags": []}),
                               FakeResponse(200, {"dags": []})])  # fmt: skip
    client.request("GET", "/dags")
    client.request("GET", "/dags")
    assert [c[0] for c in session.calls] == ["POST", "GET", "GET"]
    assert session.calls[1][2]["headers"]["Authorization"] == f"Bearer {token}"
    assert client.token_refreshes == 1


def test_v2_refreshes_once_on_401_then_reports_auth_failure() -> None:
    token = _jwt({"exp": time.time() + 3600})
    client, _ = _client([
        FakeResponse(201, {"access_token": token}), FakeResponse(401, {"detail": "Token expired"}),
        FakeResponse(201, {"access_token": token}), FakeResponse(200, {"ok": True}),
    ])  # fmt: skip
    assert client.request("GET", "/dags") == {"ok": True}
    assert client.token_refreshes == 2
    client2, _ = _client([
        FakeResponse(201, {"access_token": token}), FakeResponse(401, {"detail": "nope"}),
        FakeResponse(201, {"access_token": token}), FakeResponse(401, {"detail": "nope"}),
    ])  # fmt: skip
    with pytest.raises(AirflowAuthError, match="rejected the credentials of user 'admin'"):
        client2.request("GET", "/dags")


def test_bad_password_message_never_contains_the_password() -> None:
    client, _ = _client([FakeResponse(401, {"detail": "Invalid credentials"})])
    with pytest.raises(AirflowAuthError) as caught:
        client.request("GET", "/dags")
    assert "s3cret-pw" not in str(caught.value)
    assert "Invalid credentials" in str(caught.value)
    assert secrets.mask("password is s3cret-pw") == "password is ***"


def test_v1_uses_basic_auth_and_no_token() -> None:
    client, session = _client([FakeResponse(200, {"dags": []})], api="v1")
    client.request("GET", "/dags")
    assert session.calls[0][2]["auth"] == ("admin", "s3cret-pw")
    assert "Authorization" not in session.calls[0][2]["headers"]
    assert session.calls[0][1] == "http://af/api/v1/dags"


def test_detection_failure_names_both_probes() -> None:
    client, _ = _client([FakeResponse(404, "<html><title>Nope</title></html>"), FakeResponse(404, {"detail": "x"})],
                        api=None)  # fmt: skip
    with pytest.raises(AssertionError, match=r"does not look like Airflow: GET /api/v2/version gave HTTP 404"):
        _ = client.api


def test_unreachable_is_reported_as_such() -> None:
    import requests

    class Refusing(FakeSession):
        def get(self, url: str, **kwargs: Any) -> FakeResponse:
            raise requests.ConnectionError("[Errno 111] Connection refused")

    client = AirflowClient("http://af", "admin", "pw")
    client._session = Refusing([])  # type: ignore[assignment]
    with pytest.raises(AirflowUnreachable, match="Cannot reach Airflow at http://af: Connection refused"):
        _ = client.api
