"""The lifecycle CLI (python -m lakehouse.runner): arguments, JSON shapes, exit codes.

A fake backend stands in for supervisord, so these run without processes; `describe`
runs for real against a temporary state directory.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from contract.lifecycle import (
    LifecycleError,
    MemoryUsage,
    PlatformBackend,
    ServiceStatus,
    UnsupportedOperation,
    UpReport,
)
from contract.platform import PROFILES, PlatformContract
from lakehouse.runner.cli import EXIT_LIFECYCLE, EXIT_UNSUPPORTED, main

REPO = Path(__file__).resolve().parents[2]


class FakeBackend(PlatformBackend):
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport:
        self.calls.append(("up", list(profiles), timeout))
        return UpReport(["kafka"], ["s3"], 1.5, True, {"kafka": 1.2})

    def down(self) -> None:
        self.calls.append(("down",))

    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        self.calls.append(("status", names))
        return [ServiceStatus(n, "core", "RUNNING", pid=7, rss_bytes=2**20) for n in (names or ["kafka", "s3"])]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status([name])[0]

    def start_service(self, name: str, timeout: float | None = None) -> None:
        self.calls.append(("start", name, timeout))

    def stop_service(self, name: str) -> None:
        self.calls.append(("stop", name))

    def restart_service(self, name: str, timeout: float | None = None) -> None:
        self.calls.append(("restart", name, timeout))

    def kill_service(self, name: str) -> None:
        if name == "ghost":
            raise LifecycleError("Cannot kill 'ghost': it is STOPPED, not running")
        self.calls.append(("kill", name))

    def health(self, name: str) -> tuple[bool, str]:
        return name == "kafka", "1 broker(s)" if name == "kafka" else "connection refused"

    def log_tail(self, name: str, lines: int = 50) -> str:
        return f"{name} last {lines}"

    def memory(self, name: str) -> MemoryUsage:
        if name == "remote":
            raise UnsupportedOperation("Cannot read the memory of 'remote'")
        return MemoryUsage(name, 3 * 2**20, limit_bytes=8 * 2**20)

    def service_names(self) -> list[str]:
        return ["kafka", "s3"]


def run(*argv: str) -> tuple[int, str, FakeBackend]:
    backend, out = FakeBackend(), io.StringIO()
    code = main(list(argv), backend=lambda: backend, out=out)
    return code, out.getvalue(), backend


def test_up_takes_repeated_profiles_and_a_timeout_and_prints_the_up_report() -> None:
    code, out, backend = run("up", "--profile", "core", "--profile", "data-platform", "--timeout", "2 min", "--json")
    assert code == 0
    assert backend.calls == [("up", ["core", "data-platform"], 120.0)]
    assert UpReport(**json.loads(out)) == UpReport(["kafka"], ["s3"], 1.5, True, {"kafka": 1.2})


def test_up_needs_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run("up")
    assert info.value.code == 2
    assert "--profile" in capsys.readouterr().err


def test_status_json_is_a_list_of_service_status() -> None:
    code, out, backend = run("status", "kafka", "s3", "--json")
    assert code == 0 and backend.calls == [("status", ["kafka", "s3"])]
    rows = [ServiceStatus(**row) for row in json.loads(out)]
    assert [r.name for r in rows] == ["kafka", "s3"] and rows[0].running


def test_status_without_names_asks_for_all_and_prints_a_table() -> None:
    code, out, backend = run("status")
    assert code == 0
    assert backend.calls == [("status", None)]
    assert out.splitlines()[0].split()[:3] == ["SERVICE", "PROFILE", "STATE"]
    assert "kafka" in out and "RUNNING" in out


@pytest.mark.parametrize(("argv", "call"), [
    (["start", "kafka", "--timeout", "30"], ("start", "kafka", 30.0)),
    (["start", "kafka"], ("start", "kafka", None)),
    (["stop", "kafka"], ("stop", "kafka")),
    (["restart", "s3", "--timeout", "1.5"], ("restart", "s3", 1.5)),
    (["kill", "s3"], ("kill", "s3")),
    (["down"], ("down",)),
])
def test_single_service_verbs_print_nothing(argv: list[str], call: tuple) -> None:
    code, out, backend = run(*argv)
    assert (code, out, backend.calls) == (0, "", [call])


def test_health_json_exits_0_either_way() -> None:
    assert json.loads(run("health", "kafka", "--json")[1]) == {"ok": True, "detail": "1 broker(s)"}
    code, out, _ = run("health", "s3", "--json")
    assert code == 0 and json.loads(out) == {"ok": False, "detail": "connection refused"}


def test_health_text_exits_1_when_not_ready() -> None:
    assert run("health", "s3")[:2] == (1, "not ready: connection refused\n")
    assert run("health", "kafka")[:2] == (0, "ready: 1 broker(s)\n")


def test_logs_prints_text_with_the_line_count() -> None:
    assert run("logs", "kafka", "--lines", "7")[1] == "kafka last 7\n"
    assert run("logs", "kafka")[1] == "kafka last 50\n"


def test_memory_json_is_memory_usage() -> None:
    usage = MemoryUsage(**json.loads(run("memory", "kafka", "--json")[1]))
    assert usage.limit_bytes == 8 * 2**20 and usage.rss_mb == 3


def test_lifecycle_error_exits_3_with_the_message_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("kill", "ghost")
    assert (code, out) == (EXIT_LIFECYCLE, "")
    assert "Cannot kill 'ghost'" in capsys.readouterr().err


def test_unsupported_operation_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("memory", "remote", "--json")[0] == EXIT_UNSUPPORTED
    assert "Cannot read the memory of 'remote'" in capsys.readouterr().err


def test_bad_timeout_is_an_argument_error() -> None:
    with pytest.raises(SystemExit) as info:
        run("up", "--profile", "core", "--timeout", "soon")
    assert info.value.code == 2


def _cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LH_STATE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "lakehouse.runner", *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_describe_prints_and_saves_the_contract_with_services(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "describe")
    assert proc.returncode == 0, proc.stderr
    printed = PlatformContract.from_mapping(json.loads(proc.stdout))
    saved = tmp_path / "contract.json"
    assert PlatformContract.load(saved) == printed
    assert saved.stat().st_mode & 0o777 == 0o600
    assert printed.backend == "embedded" and printed.control_command[1:] == ("-m", "lakehouse.runner")
    assert printed.control_cwd == str(REPO)
    services = printed.service_catalogue()
    assert services["kafka-init"].depends_on == ("kafka",) and services["kafka-init"].oneshot
    assert services["s3"].probe.kind == "s3"
    assert {s.profile for s in services.values()} == set(PROFILES)


def test_describe_imports_no_heavy_module(tmp_path: Path) -> None:
    env = {**os.environ, "LH_STATE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    code = ("import sys, runpy; sys.argv = ['x', 'describe']\n"
            "try:\n    runpy.run_module('lakehouse.runner', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('requests', 'psutil', 'supervisor', 'boto3', 'yaml') if m in sys.modules)\n"
            "sys.stderr.write('HEAVY=' + ','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert "HEAVY=" in proc.stderr and proc.stderr.rsplit("HEAVY=", 1)[1] == "", proc.stderr


def test_up_of_an_unknown_profile_fails_clearly(tmp_path: Path) -> None:
    # (A known profile without services is refused by the catalogue: tests/platform/test_catalogue.py.)
    proc = _cli(tmp_path, "up", "--profile", "nope", "--json")
    assert proc.returncode == EXIT_LIFECYCLE
    assert "Unknown profile(s): nope. Known: core, data-platform" in proc.stderr
    assert not (tmp_path / "run" / "supervisord.conf").exists()


def test_http_probe_with_expect_reads_the_json_component() -> None:
    import http.server
    import threading

    from lakehouse.catalogue.base import Probe
    from lakehouse.health import check
    from lakehouse.settings import Settings

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"scheduler": {"status": "unhealthy"}, "dag_processor": {"status": "healthy"}})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/health"
    try:
        settings = Settings.load()
        assert check(Probe("http", url), settings)[0]
        ok, detail = check(Probe("http", url, expect="scheduler.status=healthy"), settings)
        assert not ok and "scheduler.status is 'unhealthy'" in detail
        assert check(Probe("http", url, expect="dag_processor.status=healthy"), settings)[0]
    finally:
        server.shutdown()


def test_serve_answers_each_request_line_like_the_one_shot_command() -> None:
    """The session the toolkit keeps open: one JSON answer per request, errors and bad arguments included,
    and one backend for the whole session."""
    from lakehouse.runner.cli import serve

    made: list[FakeBackend] = []

    def factory() -> FakeBackend:
        made.append(FakeBackend())
        return made[-1]

    requests = [["status", "kafka", "--json"], ["status", "kafka", "--json"], ["kill", "kafka"], ["bogus"]]
    stdin = io.StringIO("".join(json.dumps({"argv": a}) + "\n" for a in requests))
    stdout = io.StringIO()
    assert serve(stdin, stdout, factory) == 0
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [a["rc"] for a in answers] == [0, 0, 0, 2]
    assert json.loads(answers[0]["stdout"])[0]["name"] == "kafka"
    assert "invalid choice" in answers[3]["stderr"]
    assert len(made) == 1, "one backend per session"
