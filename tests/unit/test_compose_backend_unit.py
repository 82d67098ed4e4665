"""Pure logic of the compose backend: state mapping, stats parsing, the catalogue from a Compose file.

No Docker here; the real engine is exercised by tests/integration/test_compose_backend.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.lifecycle import LifecycleError, MemoryUsage, ServiceStatus
from contract.platform import PlatformContract
from PlatformLibrary.backends.compose import (
    PROGRESS,
    catalogue_from_compose,
    closure_of,
    describe_container,
    map_state,
    parse_docker_time,
    parse_memory_stats,
    parse_size,
    read_cgroup_memory,
)
from PlatformLibrary.restarts import RestartKeywords

MIB = 2**20


@pytest.mark.parametrize(
    ("status", "health", "state"),
    [
        ("running", "healthy", "RUNNING"),
        ("running", "", "RUNNING"),
        ("running", "starting", "STARTING"),
        ("running", "unhealthy", "UNHEALTHY"),
        ("restarting", "unhealthy", "BACKOFF"),
        ("exited", "", "EXITED"),
        ("created", "", "STOPPED"),
        ("paused", "healthy", "STOPPED"),
        ("dead", "", "FATAL"),
    ],
)
def test_container_states_map_to_contract_states(status: str, health: str, state: str) -> None:
    assert map_state(status, health) == state


def test_docker_times_parse_to_epoch_seconds_and_the_zero_time_to_none() -> None:
    assert parse_docker_time("2026-12-01T22:21:38.117978036Z") == pytest.approx(1796163698.117978)
    assert parse_docker_time("2026-12-01T22:21:38Z") == pytest.approx(1796163698.0)
    assert parse_docker_time("0001-01-01T00:00:00Z") is None
    assert parse_docker_time("") is None


def test_cgroup_v1_stats_give_peak_failcnt_and_total_rss() -> None:
    raw = {
        "usage": 10502144,
        "max_usage": 19582976,
        "failcnt": 3,
        "limit": 67108864,
        "stats": {"rss": 9207808, "total_rss": 9300000, "total_cache": 274432, "cache": 1},
    }
    assert parse_memory_stats(raw, 64 * MIB) == {
        "usage": 10502144,
        "peak": 19582976,
        "failcnt": 3,
        "rss": 9300000,
        "limit": 64 * MIB,
        "cache": 274432,
    }


def test_cgroup_v2_stats_give_anon_as_rss_and_no_peak() -> None:
    raw = {"usage": 5000000, "limit": 2**34, "stats": {"anon": 4000000, "file": 900000}}
    figures = parse_memory_stats(raw, None)
    assert figures == {"usage": 5000000, "peak": None, "failcnt": None, "rss": 4000000, "limit": None, "cache": 900000}


def test_the_limit_is_the_mem_limit_not_the_stats_limit() -> None:
    assert parse_memory_stats({"limit": 2**34, "stats": {}}, 0)["limit"] is None


@pytest.mark.parametrize(("text", "size"), [("64m", 64 * MIB), ("1g", 2**30), ("512MB", 512 * MIB), (1024, 1024)])
def test_compose_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


COMPOSE = {
    "services": {
        "init": {"profiles": ["core"], "restart": "no", "mem_limit": "32m"},
        "web": {
            "profiles": ["core"],
            "mem_limit": "64m",
            "depends_on": {"init": {"condition": "service_completed_successfully"}},
        },
        "hog": {"profiles": ["faults"], "deploy": {"resources": {"limits": {"memory": "128M"}}}},
        "proxy": {"depends_on": ["web"]},
        "schema-init": {"profiles": ["core"], "restart": "no", "labels": {"io.lakehouse.oneshot": "true"}},
    }
}


def test_the_catalogue_from_a_compose_file() -> None:
    catalogue = catalogue_from_compose(COMPOSE)
    assert catalogue["init"].oneshot and catalogue["init"].memory_mb == 32
    assert not catalogue["web"].oneshot and catalogue["web"].depends_on == ("init",)
    assert catalogue["hog"].memory_mb == 128 and catalogue["hog"].profile == "faults"
    assert catalogue["proxy"].profile == "" and catalogue["proxy"].depends_on == ("web",)
    assert catalogue["schema-init"].oneshot, "the one-shot label counts even when nothing waits for it"


def test_a_profile_brings_its_dependencies_and_the_profileless_services_in_order() -> None:
    catalogue = catalogue_from_compose(COMPOSE)
    assert [s.name for s in closure_of(catalogue, ["core"])] == ["init", "schema-init", "web", "proxy"]
    assert {s.name for s in closure_of(catalogue, ["faults"])} == {"hog", "proxy", "web", "init"}
    assert PROGRESS.match(" Container lhtest-1-web-1 Started ") and not PROGRESS.match("container x is unhealthy")
    with pytest.raises(LifecycleError, match=r"Unknown profile\(s\): nope. Known: core, faults"):
        closure_of(catalogue, ["nope"])


def test_a_container_is_described_with_its_last_health_check() -> None:
    attrs = {
        "RestartCount": 2,
        "State": {
            "Status": "running",
            "ExitCode": 0,
            "OOMKilled": True,
            "Health": {
                "Status": "unhealthy",
                "Log": [{"ExitCode": 0, "Output": "ok"}, {"ExitCode": 1, "Output": "no\n db"}],
            },
        },
    }
    assert describe_container(attrs) == (
        "state running, health unhealthy, exit code 0, OOMKilled true, restarts 2, last health check: exit 1: no db"
    )


def test_a_compose_target_must_name_its_file_and_project() -> None:
    with pytest.raises(ValueError, match="compose_file and its compose_project"):
        PlatformContract.from_mapping({"backend": "compose", "compose_file": "c.yml"})
    target = PlatformContract.from_mapping({"backend": "compose", "compose_file": "c.yml", "compose_project": "p"})
    assert (target.compose_file, target.compose_project) == ("c.yml", "p")


def test_status_json_of_an_older_cli_still_parses() -> None:
    row = {"name": "kafka", "profile": "core", "state": "RUNNING", "pid": 1, "restarts": 0}
    assert ServiceStatus(**row).oom_killed is False and ServiceStatus(**row).container == ""


def test_the_oom_message_names_the_container_limit_peak_restarts_and_exit_code() -> None:
    st = ServiceStatus("hog", "faults", "RUNNING", pid=9, restarts=1, oom_killed=True, container="p-hog-1")
    usage = MemoryUsage("hog", rss_bytes=MIB, limit_bytes=64 * MIB, cgroup_peak_bytes=18 * MIB, oom_kills=1)
    message = RestartKeywords._oom_message("hog", st, usage, {"restarts": 0})
    assert message == (
        "Container 'p-hog-1' (service 'hog') was OOM-killed since the mark: memory limit 64.0 MiB, "
        "peak 64.0 MiB (it reached its limit; peak of the current run 18.0 MiB), OOM kills 1, restarts 0 -> 1, "
        "exit code 137 (SIGKILL by the OOM killer; running again under its restart policy), now RUNNING"
    )
    embedded = ServiceStatus("spark", "data-platform", "RUNNING", pid=9, restarts=1)
    usage = MemoryUsage("spark", rss_bytes=MIB, limit_bytes=1536 * MIB, cgroup_peak_bytes=1536 * MIB, oom_kills=2)
    assert RestartKeywords._oom_message("spark", embedded, usage, None).startswith(
        "Service 'spark' was OOM-killed: memory limit 1536.0 MiB, peak 1536.0 MiB, OOM kills 2, restarts 1"
    )


def test_cgroup_v1_files_read_like_the_stats_api(tmp_path: Path) -> None:
    files = {
        "memory.usage_in_bytes": "10502144\n",
        "memory.max_usage_in_bytes": "19582976\n",
        "memory.failcnt": "3\n",
        "memory.stat": "cache 1\nrss 2\ntotal_cache 274432\ntotal_rss 9207808\n",
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert read_cgroup_memory(tmp_path) == {
        "usage": 10502144,
        "peak": 19582976,
        "failcnt": 3,
        "rss": 9207808,
        "cache": 274432,
        "oom_kills": 1,
    }


def test_cgroup_v2_files_read_with_the_peak_only_where_the_kernel_has_it(tmp_path: Path) -> None:
    (tmp_path / "memory.current").write_text("5000000\n")
    (tmp_path / "memory.stat").write_text("anon 4000000\nfile 900000\n")
    (tmp_path / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
    assert read_cgroup_memory(tmp_path) == {
        "usage": 5000000,
        "peak": None,
        "failcnt": 7,
        "rss": 4000000,
        "cache": 900000,
        "oom_kills": 1,
    }
    assert read_cgroup_memory(tmp_path / "gone") == {}
