"""The embedded runner against real core services, driven through its CLI as the toolkit drives it.

Runs on its own isolated instance (state dir under /tmp, ports offset, a topic prefix and
bucket names of its own), so killing and restarting services never disturbs the shared
platform; the instance is stopped and deleted at the end of the module.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from contract.lifecycle import MemoryUsage, ServiceStatus, UpReport
from contract.platform import PlatformContract
from lakehouse.catalogue import Probe
from lakehouse.runner import cgroup
from lakehouse.runner.cli import EXIT_LIFECYCLE
from lakehouse.runner.isolated import isolated_platform
from lakehouse.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PORT_OFFSET = 2300
PREFIX = "iso."
BUCKETS = {"bronze": "iso-bronze", "silver": "iso-silver", "gold": "iso-gold"}
CORE_DAEMONS = ("kafka", "schema-registry", "s3")
CORE_ONESHOTS = ("kafka-init", "s3-init", "schema-init")


def cli(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``<platform python> -m lakehouse.runner ...`` in this process's (isolated) environment."""
    python = Settings.load().platform_python
    return subprocess.run([str(python), "-m", "lakehouse.runner", *argv], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout, check=False)


def cli_json(*argv: str, timeout: float = 60) -> object:
    proc = cli(*argv, "--json", timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def instance() -> Iterator[tuple[Settings, UpReport]]:
    with isolated_platform(PORT_OFFSET, topic_prefix=PREFIX, buckets=BUCKETS) as settings:
        report = UpReport(**cli_json("up", "--profile", "core", timeout=600))
        yield settings, report


def status(name: str) -> ServiceStatus:
    return ServiceStatus(**cli_json("status", name)[0])


def test_up_starts_core_in_dependency_order(instance: tuple[Settings, UpReport]) -> None:
    _, report = instance
    assert report.started_supervisor
    assert set(report.started) == {*CORE_DAEMONS, *CORE_ONESHOTS}
    assert report.ready_after["kafka"] < report.ready_after["kafka-init"]
    assert report.ready_after["s3"] < report.ready_after["s3-init"]


def test_up_is_idempotent(instance: tuple[Settings, UpReport]) -> None:
    report = UpReport(**cli_json("up", "--profile", "core"))
    assert report.started == []
    assert set(CORE_DAEMONS) <= set(report.already_running)
    assert report.seconds < 5


def test_describe_names_the_instance(instance: tuple[Settings, UpReport]) -> None:
    settings, _ = instance
    proc = cli("describe")
    assert proc.returncode == 0, proc.stderr
    contract = PlatformContract.from_mapping(json.loads(proc.stdout))
    assert contract.topic_prefix == PREFIX and dict(contract.buckets) == BUCKETS
    assert contract.kafka_bootstrap == f"127.0.0.1:{19092 + PORT_OFFSET}"
    assert contract.control_command[0] == str(settings.platform_python)
    assert contract.control_env["LH_STATE_DIR"] == str(settings.state_dir)
    # The contract's own command drives this instance from an environment that names none (a suite
    # run for a second instance): with control_env on top, not the default instance's ports.
    bare = {k: v for k, v in os.environ.items()
            if not k.startswith(("LH_STATE_DIR", "LH_PORT_", "LH_TOPIC_PREFIX", "LH_BUCKET_"))}
    again = subprocess.run([*contract.control_command, "describe"], cwd=contract.control_cwd,
                           env={**bare, **contract.control_env}, capture_output=True, text=True, timeout=60,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert PlatformContract.from_mapping(json.loads(again.stdout)) == contract


def test_prefixed_topics_and_named_buckets_exist(instance: tuple[Settings, UpReport]) -> None:
    import boto3
    from confluent_kafka.admin import AdminClient

    from contract.storage import boto3_client_kwargs

    contract = instance[0].contract()
    topics = set(AdminClient({"bootstrap.servers": contract.kafka_bootstrap}).list_topics(timeout=10).topics)
    assert set(contract.topic_names) <= topics
    assert not {t for t in topics if not t.startswith(("_", PREFIX))}, topics
    buckets = {b["Name"] for b in boto3.client("s3", **boto3_client_kwargs(contract)).list_buckets()["Buckets"]}
    assert set(BUCKETS.values()) <= buckets


def test_services_get_the_runners_names(instance: tuple[Settings, UpReport]) -> None:
    conf = (instance[0].run_dir / "supervisord.conf").read_text()
    assert f'LH_TOPIC_PREFIX="{PREFIX}"' in conf
    assert 'LH_BUCKET_BRONZE="iso-bronze"' in conf
    assert f'PYTHONPATH="{REPO}"' in conf and "libraries" not in conf


def test_services_run_with_the_platform_python(instance: tuple[Settings, UpReport]) -> None:
    settings, _ = instance
    conf = (settings.run_dir / "supervisord.conf").read_text()
    assert f"command={settings.platform_python} -m lakehouse.runner.launch kafka" in conf


@pytest.mark.parametrize("name", CORE_DAEMONS)
def test_every_listening_socket_is_loopback(instance: tuple[Settings, UpReport], name: str) -> None:
    proc = psutil.Process(status(name).pid)
    sockets = [(c.laddr.ip, c.laddr.port) for p in [proc, *proc.children(recursive=True)]
               for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert sockets, f"{name} listens on nothing"
    public = [(ip, port) for ip, port in sockets if not ipaddress.ip_address(ip.removeprefix("::ffff:")).is_loopback]
    assert not public, f"{name} listens on non-loopback addresses: {public}"


@pytest.mark.parametrize("name", CORE_DAEMONS)
def test_memory_budget_is_a_real_cgroup_limit(instance: tuple[Settings, UpReport], name: str) -> None:
    if not cgroup.available():
        pytest.fail("memory cgroups are not available to the runner on this machine (root + cgroup v1 expected)")
    usage = MemoryUsage(**cli_json("memory", name))
    assert usage.limit_bytes == status(name).memory_budget_mb * 2**20
    assert 0 < usage.rss_bytes < usage.limit_bytes
    assert usage.oom_kills in (0, None)


def test_status_reports_pid_rss_uptime(instance: tuple[Settings, UpReport]) -> None:
    rows = {row["name"]: ServiceStatus(**row) for row in cli_json("status")}
    for name in CORE_DAEMONS:
        st = rows[name]
        assert st.state == "RUNNING" and st.pid and st.rss_bytes and st.uptime_s is not None
    for name in CORE_ONESHOTS:
        assert rows[name].finished_ok, rows[name]


def test_health_answers_json(instance: tuple[Settings, UpReport]) -> None:
    assert cli_json("health", "kafka")["ok"] is True
    assert cli_json("health", "kafka-init") == {"ok": True, "detail": "EXITED (exit status 0)"}
    assert cli_json("health", "s3") == {"ok": True, "detail": "authenticated; 3 bucket(s)"}


def test_s3_probe_signs_with_the_instance_secret(instance: tuple[Settings, UpReport]) -> None:
    from lakehouse.health import _s3

    settings = instance[0]
    assert _s3(Probe("s3"), settings)[0]
    wrong = Settings(state_dir=settings.state_dir / "elsewhere", ports=settings.ports)
    ok, detail = _s3(Probe("s3"), wrong)
    assert not ok and "SignatureDoesNotMatch" in detail


def test_kill_is_followed_by_supervised_restart_and_counted(instance: tuple[Settings, UpReport]) -> None:
    before = status("s3")
    assert cli("kill", "s3").returncode == 0
    deadline = time.monotonic() + 60
    while True:
        st = status("s3")
        if st.state == "RUNNING" and st.pid not in (None, before.pid) and cli_json("health", "s3")["ok"]:
            break
        assert time.monotonic() < deadline, f"s3 not back after kill: {st}"
        time.sleep(0.5)
    assert status("s3").restarts == before.restarts + 1
    assert not psutil.pid_exists(before.pid) or psutil.Process(before.pid).status() == psutil.STATUS_ZOMBIE


def test_restart_service_waits_for_readiness(instance: tuple[Settings, UpReport]) -> None:
    before = status("schema-registry")
    proc = cli("restart", "schema-registry", "--timeout", "120", timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert status("schema-registry").pid != before.pid
    assert cli_json("health", "schema-registry")["ok"]


def test_unknown_service_exits_3_naming_the_known_ones(instance: tuple[Settings, UpReport]) -> None:
    proc = cli("status", "kafkaa", "--json")
    assert proc.returncode == EXIT_LIFECYCLE
    assert "Unknown service 'kafkaa'. Known services:" in proc.stderr and "kafka" in proc.stderr


def test_secrets_stay_out_of_supervisor_config_and_logs(instance: tuple[Settings, UpReport]) -> None:
    settings, _ = instance
    assert settings.s3_secret_key not in (settings.run_dir / "supervisord.conf").read_text()
    for name in CORE_DAEMONS:
        assert settings.s3_secret_key not in cli("logs", name, "--lines", "2000").stdout
    assert (settings.state_dir / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_log_tail_has_the_launch_line(instance: tuple[Settings, UpReport]) -> None:
    assert "[launch] kafka: memory budget" in cli("logs", "kafka", "--lines", "10000").stdout


@pytest.mark.parametrize(("key", "secret", "code"), [
    ("lakehouse", "wrong-secret", "SignatureDoesNotMatch"),
    ("nobody", "whatever-secret", "InvalidAccessKeyId"),
])
def test_s3_rejects_wrong_credentials(instance: tuple[Settings, UpReport], key: str, secret: str, code: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3", endpoint_url=instance[0].s3_endpoint, aws_access_key_id=key,
                      aws_secret_access_key=secret, region_name="us-east-1")
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=BUCKETS["bronze"], MaxKeys=1)
    assert info.value.response["Error"]["Code"] == code


def test_down_stops_everything(instance: tuple[Settings, UpReport]) -> None:
    """Last in the module: the instance is down afterwards."""
    pids = [status(n).pid for n in CORE_DAEMONS]
    started = time.monotonic()
    proc = cli("down", timeout=120)
    print(f"down took {time.monotonic() - started:.1f} s")
    assert proc.returncode == 0, proc.stderr
    assert not any(pid and psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in pids)
    assert all(row["state"] == "NOT_CREATED" for row in cli_json("status"))
