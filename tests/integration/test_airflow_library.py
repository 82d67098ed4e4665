"""AirflowLibrary against REAL Airflow 3.3.2 (/api/v2, JWT) and Airflow 2.11.2 (/api/v1, basic auth).

Needs both running:  ./lh up --profile quality-orchestration --profile airflow2-compat
A server that is not up is a test FAILURE (the fixture says how to start it), never a skip.

Test DAG files are written to each server's throw-away DAG folder (Airflow 3: the
``scratch`` bundle; Airflow 2: its DAG folder) with a per-session tag, and removed afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from assertionengine import AssertionOperator

from AirflowLibrary import AirflowAuthError, AirflowLibrary, AirflowUnreachable, DagMissing, DagRunFailed
from lakehouse.catalogue.quality_orchestration import airflow2_dags, airflow3_scratch_dags
from lakehouse.settings import Settings

pytestmark = [pytest.mark.timeout(300), pytest.mark.profiles("quality-orchestration", "airflow2-compat")]

TAG = uuid.uuid4().hex[:8]
OK_DAG = f"lhtest_ok_{TAG}"
FAIL_DAG = f"lhtest_fail_{TAG}"
BROKEN_FILE = f"lhtest_broken_{TAG}.py"
DAG_VISIBLE_TIMEOUT = 60  # new files are scanned every 5 s; parsing on a busy 2-core box can lag

# Importable by both Airflow 2 (airflow.decorators) and Airflow 3 (airflow.sdk).
DAG_SOURCE = """
import pendulum
try:
    from airflow.sdk import dag, task
except ImportError:
    from airflow.decorators import dag, task


@dag(dag_id="{ok}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     is_paused_upon_creation=False)
def ok_dag():
    @task
    def produce(**context):
        context["ti"].xcom_push(key="note", value="plain text")
        conf = context["dag_run"].conf or {{}}
        return {{"answer": 42, "items": [1, 2], "echo": conf.get("echo")}}

    produce()


@dag(dag_id="{fail}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     is_paused_upon_creation=False)
def fail_dag():
    @task
    def explode():
        raise RuntimeError("boom-marker-{tag}")

    @task
    def after(_):
        return 1

    after(explode())


ok_dag()
fail_dag()
"""


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.load()


SERVERS = {
    "v2": ("airflow_url", airflow3_scratch_dags, "./lh up --profile quality-orchestration"),
    "v1": ("airflow2_url", airflow2_dags, "./lh up --profile airflow2-compat"),
}


@pytest.fixture(scope="session", params=["v2", "v1"])
def server(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[str, str, Path]]:
    """(api, url, dag folder) of one running Airflow, with this session's test DAG files in place."""
    api = request.param
    attr, folder_of, how = SERVERS[api]
    url: str = getattr(settings, attr)
    probe = "/api/v2/version" if api == "v2" else "/api/v1/version"
    try:
        requests.get(url + probe, timeout=5).raise_for_status()
    except requests.RequestException as error:
        pytest.fail(f"Airflow ({api}) is not running at {url}: {error}. Start it with: {how}")
    folder = folder_of(settings)
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / f"lhtest_{TAG}.py", folder / BROKEN_FILE]
    files[0].write_text(DAG_SOURCE.format(ok=OK_DAG, fail=FAIL_DAG, tag=TAG))
    files[1].write_text("from airflow import DAG\nthis is not python (\n")
    yield api, url, folder
    for f in files:
        f.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def lib(server: tuple[str, str, Path]) -> AirflowLibrary:
    _, url, _ = server
    library = AirflowLibrary(url=url)
    library.dag_should_exist(OK_DAG, timeout=DAG_VISIBLE_TIMEOUT)
    library.dag_should_exist(FAIL_DAG, timeout=DAG_VISIBLE_TIMEOUT)
    return library


def test_detects_api_version(server: tuple[str, str, Path], lib: AirflowLibrary) -> None:
    api = server[0]
    assert lib.get_airflow_api_version() == api
    assert lib.get_airflow_version().startswith("3.3." if api == "v2" else "2.11.")
    health = lib.airflow_should_be_healthy(timeout=10)
    assert health["scheduler"]["status"] == "healthy"


def test_trigger_with_conf_wait_and_read_xcom(lib: AirflowLibrary) -> None:
    run_id = f"it_{TAG}_{uuid.uuid4().hex[:4]}"
    assert lib.trigger_dag(OK_DAG, conf={"echo": "hello"}, run_id=run_id) == run_id
    run = lib.wait_for_dag_run(OK_DAG, run_id, timeout=120)
    assert run["state"] == "success"
    assert run["conf"] == {"echo": "hello"}
    # v1 sends "{'answer': 42, ...}" (a repr), v2 JSON: the keyword returns the same object.
    assert lib.get_xcom_value(OK_DAG, run_id, "produce") == {"answer": 42, "items": [1, 2], "echo": "hello"}
    assert lib.get_xcom_value(OK_DAG, run_id, "produce", key="note") == "plain text"
    eq = AssertionOperator["=="]
    assert lib.get_task_state(OK_DAG, run_id, "produce", eq, "success") == "success"
    assert lib.get_dag_run_state(OK_DAG, run_id, eq, assertion_expected="success", retry_timeout="5 s") == "success"
    lib.get_xcom_value(OK_DAG, run_id, "produce", "note", eq, assertion_expected="plain text")
    with pytest.raises(AssertionError, match="custom: wrong xcom"):
        lib.get_xcom_value(OK_DAG, run_id, "produce", "note", eq, "other", message="custom: wrong xcom")
    lib.get_dag_ids("lhtest_", AssertionOperator["contains"], [OK_DAG, FAIL_DAG])
    with pytest.raises(AssertionError, match="already exists"):
        lib.trigger_dag(OK_DAG, run_id=run_id)


def test_failed_run_fails_fast_with_task_logs(lib: AirflowLibrary) -> None:
    run_id = lib.trigger_dag(FAIL_DAG)
    started = time.monotonic()
    with pytest.raises(DagRunFailed, match=r"ended in state 'failed', expected 'success'.*Failed tasks: .*explode"):
        lib.wait_for_dag_run(FAIL_DAG, run_id, timeout=120)
    assert time.monotonic() - started < 60, "must fail when the run fails, not at the timeout"
    assert f"boom-marker-{TAG}" in lib.get_task_log(FAIL_DAG, run_id, "explode")
    assert lib.get_task_state(FAIL_DAG, run_id, "after") == "upstream_failed"
    # Waiting for the state it really reached passes.
    assert lib.wait_for_dag_run(FAIL_DAG, run_id, state="failed", timeout=5)["state"] == "failed"


def test_import_errors_are_reported(lib: AirflowLibrary) -> None:
    error = lib.wait_for_import_error(BROKEN_FILE, timeout=DAG_VISIBLE_TIMEOUT)
    assert "SyntaxError" in error["stack_trace"]
    assert error["filename"].endswith(BROKEN_FILE)
    with pytest.raises(AssertionError, match="has an import error"):
        lib.dag_file_should_have_no_import_error(BROKEN_FILE)
    lib.dag_file_should_have_no_import_error(f"lhtest_{TAG}.py")


def test_pause_and_unpause(lib: AirflowLibrary) -> None:
    lib.pause_dag(OK_DAG)
    try:
        assert lib.get_dag(OK_DAG)["is_paused"] is True
        with pytest.raises(AssertionError, match="is paused; expected unpaused"):
            lib.dag_should_exist(OK_DAG, timeout=1)
        lib.dag_should_exist(OK_DAG, timeout=1, paused=True)
    finally:
        lib.unpause_dag(OK_DAG)
    assert lib.dag_should_exist(OK_DAG, timeout=1)["is_paused"] is False


def test_missing_dag_is_a_failure(lib: AirflowLibrary) -> None:
    started = time.monotonic()
    with pytest.raises(DagMissing, match=r"does not exist .*expected it within 1\.00 s, last seen HTTP 404"):
        lib.dag_should_exist(f"no_such_dag_{TAG}", timeout=1)
    assert time.monotonic() - started < 5
    with pytest.raises(AssertionError, match="does not exist"):
        lib.trigger_dag(f"no_such_dag_{TAG}")


def test_bad_credentials_give_a_clear_error(server: tuple[str, str, Path]) -> None:
    _, url, _ = server
    wrong = f"wrong-{uuid.uuid4().hex}"
    bad = AirflowLibrary(url=url, user="admin", password=wrong)
    with pytest.raises(AirflowAuthError, match="rejected the credentials of user 'admin'") as caught:
        bad.get_dag_ids()
    assert wrong not in str(caught.value)
    # Airflow 3: 401 from POST /auth/token. Airflow 2 (basic auth backend): 401 as documented, once
    # the platform sets AUTH_ROLE_PUBLIC = None (FAB's default "Public" role turns it into a 403).
    assert "HTTP 401" in str(caught.value)


def test_unreachable_server_fails_within_timeout() -> None:
    lib = AirflowLibrary(url="http://127.0.0.1:9", request_timeout="3 s")  # discard port: nothing listens
    started = time.monotonic()
    with pytest.raises(AirflowUnreachable, match=r"Cannot reach Airflow at http://127\.0\.0\.1:9"):
        lib.dag_should_exist("anything", timeout=1)
    assert time.monotonic() - started < 4


def test_unanswered_requests_time_out(tmp_path: Path) -> None:
    """A server that accepts connections but never answers must not hang a keyword."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        lib = AirflowLibrary(url=f"http://127.0.0.1:{port}", request_timeout="2 s")
        started = time.monotonic()
        with pytest.raises(AirflowUnreachable, match="did not answer GET /api/v2/version within 2 s"):
            lib.get_airflow_api_version()
        assert time.monotonic() - started < 3
    finally:
        listener.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(exp: float, secret: str | None = None) -> str:
    """A JWT like Airflow's; signed with ``secret`` (HS512) or with a forged signature."""
    now = int(time.time())
    claims = {
        "sub": "admin",
        "role": "admin",
        "teams": [],
        "jti": uuid.uuid4().hex,
        "aud": "apache-airflow",
        "nbf": now - 3600,
        "iat": now - 3600,
        "exp": int(exp),
    }
    header = {"alg": "HS512", "kid": "not-used", "typ": "JWT"}
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing.encode(), hashlib.sha512).digest() if secret else b"forged"
    return f"{signing}.{_b64(signature)}"


def test_token_refresh(server: tuple[str, str, Path], lib: AirflowLibrary) -> None:
    client = lib.keywords["get_dag_ids"].__self__.client
    lib.get_dag_ids()
    if server[0] == "v1":
        assert client.token_refreshes == 0, "v1 authenticates every request with basic auth, never a token"
        return
    before = client.token_refreshes
    # 1. A token the server rejects although its exp is in the future (bad signature, as after a
    #    secret rotation): the server answers 401/403, the library fetches a new token and retries once.
    client.invalidate_token(_jwt(time.time() + 3600))
    assert OK_DAG in lib.get_dag_ids(OK_DAG)
    assert client.token_refreshes == before + 1
    # 2. A genuinely expired token (signed with the platform's secret; the server refuses it, as
    #    checked below) is replaced before it is sent.
    expired = _jwt(time.time() - 120, Settings.load().airflow_jwt_secret)
    refused = requests.get(f"{client.url}/api/v2/dags", headers={"Authorization": f"Bearer {expired}"}, timeout=10)
    assert refused.status_code in (401, 403), refused.text
    client.invalidate_token(expired)
    assert OK_DAG in lib.get_dag_ids(OK_DAG)
    assert client.token_refreshes == before + 2
    # 3. A valid token is reused.
    lib.get_dag_ids()
    assert client.token_refreshes == before + 2
