"""The embedded runner against the real core services: lifecycle, isolation, limits."""

from __future__ import annotations

import ipaddress
import time

import psutil
import pytest

from lakehouse.runner import cgroup
from contract.lifecycle import LifecycleError
from lakehouse.runner.embedded import EmbeddedBackend
from lakehouse.settings import Settings

pytestmark = pytest.mark.profiles("core")

CORE_DAEMONS = ("kafka", "schema-registry", "s3")


def _listening(pid: int) -> list[tuple[str, int]]:
    proc = psutil.Process(pid)
    out = []
    for p in [proc, *proc.children(recursive=True)]:
        for conn in p.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                out.append((conn.laddr.ip, conn.laddr.port))
    return out


def test_up_is_idempotent(platform: EmbeddedBackend) -> None:
    report = platform.up(["core"])
    assert report.started == []
    assert set(CORE_DAEMONS) <= set(report.already_running)
    assert report.seconds < 5


@pytest.mark.parametrize("name", CORE_DAEMONS)
def test_every_listening_socket_is_loopback(platform: EmbeddedBackend, name: str) -> None:
    st = platform.service_status(name)
    sockets = _listening(st.pid)
    assert sockets, f"{name} listens on nothing"
    public = [(ip, port) for ip, port in sockets if not ipaddress.ip_address(ip.removeprefix("::ffff:")).is_loopback]
    assert not public, f"{name} listens on non-loopback addresses: {public}"


@pytest.mark.parametrize("name", CORE_DAEMONS)
def test_memory_budget_is_a_real_cgroup_limit(platform: EmbeddedBackend, name: str) -> None:
    if not cgroup.available():
        pytest.fail("memory cgroups are not available to the runner on this machine (root + cgroup v1 expected)")
    usage = platform.memory(name)
    assert usage.limit_bytes == platform.catalogue[name].memory_mb * 2**20
    assert 0 < usage.rss_bytes < usage.limit_bytes
    assert usage.oom_kills in (0, None)


def test_status_reports_pid_rss_uptime(platform: EmbeddedBackend) -> None:
    rows = {st.name: st for st in platform.status()}
    for name in CORE_DAEMONS:
        st = rows[name]
        assert st.state == "RUNNING" and st.pid and st.rss_bytes and st.uptime_s is not None
    for name in ("kafka-init", "s3-init", "schema-init"):
        assert rows[name].finished_ok, rows[name]


def test_kill_is_followed_by_supervised_restart_and_counted(platform: EmbeddedBackend) -> None:
    before = platform.service_status("s3")
    platform.kill_service("s3")

    def restarted() -> bool:
        st = platform.service_status("s3")
        return st.state == "RUNNING" and st.pid not in (None, before.pid) and platform.health("s3")[0]

    deadline = time.monotonic() + 60
    while not restarted():
        assert time.monotonic() < deadline, f"s3 not back after kill: {platform.service_status('s3')}"
        time.sleep(0.2)
    after = platform.service_status("s3")
    assert after.restarts == before.restarts + 1
    assert not psutil.pid_exists(before.pid) or psutil.Process(before.pid).status() == psutil.STATUS_ZOMBIE


def test_restart_service_waits_for_readiness(platform: EmbeddedBackend) -> None:
    before = platform.service_status("schema-registry")
    platform.restart_service("schema-registry")
    after = platform.service_status("schema-registry")
    assert after.pid != before.pid
    assert platform.health("schema-registry")[0]


def test_unknown_service_is_a_clear_error(platform: EmbeddedBackend) -> None:
    with pytest.raises(LifecycleError, match=r"Unknown service 'kafkaa'\. Known services: .*kafka"):
        platform.service_status("kafkaa")


def test_secrets_stay_out_of_supervisor_config_and_logs(platform: EmbeddedBackend, settings: Settings) -> None:
    assert settings.s3_secret_key not in platform.conf_path.read_text()
    for name in CORE_DAEMONS:
        assert settings.s3_secret_key not in platform.log_tail(name, 2000)
    mode = (settings.state_dir / "secrets.json").stat().st_mode & 0o777
    assert mode == 0o600


def test_log_tail_has_the_launch_line(platform: EmbeddedBackend) -> None:
    assert "[launch] kafka: memory budget" in platform.log_tail("kafka", 10_000)


@pytest.mark.parametrize(("key", "secret", "code"), [
    ("lakehouse", "wrong-secret", "SignatureDoesNotMatch"),
    ("nobody", "whatever-secret", "InvalidAccessKeyId"),
])
def test_s3_rejects_wrong_credentials(platform: EmbeddedBackend, settings: Settings, key: str, secret: str,
                                      code: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                      region_name="us-east-1")
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket="bronze", MaxKeys=1)
    assert info.value.response["Error"]["Code"] == code
