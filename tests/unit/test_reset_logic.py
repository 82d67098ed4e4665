"""Pure logic of the table reset: which tables and topics, where the streaming job starts again, the
checkpoint's offset log, and the keyword's argument parsing, summary and PabotLib lock (no services)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.layout import bronze_tables
from contract.lifecycle import LifecycleError, PlatformBackend, ResetReport, UnsupportedOperation
from contract.platform import PlatformContract
from lakehouse.runner.reset import (
    STARTING_OFFSETS_FILE,
    committed_positions,
    dbt_models,
    merge_start,
    parse_checkpoint_offsets,
    plan_starting_offsets,
    read_starting_offsets,
    reset_topics,
    resolve_tables,
    seed_checkpoint,
)
from PlatformLibrary.backends.external import ExternalBackend
from PlatformLibrary.reset import PabotLock, parse_tables, summary_rows

REPO = Path(__file__).resolve().parents[2]


# --- names --------------------------------------------------------------------------------------
def test_all_tables_of_the_layer_when_none_is_named() -> None:
    assert resolve_tables("bronze", None, bronze_tables()) == list(bronze_tables())
    assert resolve_tables("bronze", ["", " "], bronze_tables()) == list(bronze_tables())


def test_named_tables_are_normalised_and_kept_in_layer_order() -> None:
    got = resolve_tables("bronze", ["bronze.trips", "gps-pings", "dlq", "trips"], bronze_tables())
    assert got == ["trips", "gps_pings", "dlq"]


@pytest.mark.parametrize(
    ("layer", "table", "match"),
    [
        ("bronze", "nope", "No bronze table 'nope'. Tables of bronze: trips, gps_pings"),
        ("platinum", "trips", "Unknown layer 'platinum'"),
    ],
)
def test_unknown_names_fail_naming_what_exists(layer: str, table: str, match: str) -> None:
    with pytest.raises(LifecycleError, match=match):
        resolve_tables(layer, [table], bronze_tables())


def test_silver_and_gold_tables_are_the_dbt_models_of_the_layer() -> None:
    project = REPO / "lakehouse" / "dbt"
    assert {"stg_trips", "stg_gps_pings", "anomalies_gps_outliers"} <= set(dbt_models(project, "silver"))
    gold = dbt_models(project, "gold")
    assert {"fact_trips", "dim_zones", "agg_daily_platform_revenue"} <= set(gold)
    assert "stg_trips" not in gold


def test_reset_topics_are_physical_and_the_dlq_has_none() -> None:
    contract = PlatformContract(topic_prefix="ext.")
    assert reset_topics(contract, ["gps_pings", "dlq"]) == ["ext.gps-pings"]
    assert reset_topics(contract, ["dlq"]) == []


# --- offsets ------------------------------------------------------------------------------------
SPARK_OFFSET_LOG = (
    'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1764600000000,"conf":{}}\n'
    '{"trips":{"2":12,"1":0,"3":0,"0":6},"gps-pings":{"0":15}}\n'
)


def test_spark_offset_log_is_parsed() -> None:
    assert parse_checkpoint_offsets(SPARK_OFFSET_LOG) == {
        "trips": {"0": 6, "1": 0, "2": 12, "3": 0},
        "gps-pings": {"0": 15},
    }
    assert parse_checkpoint_offsets("v1\n{}\n") == {}


def test_committed_positions_come_from_the_last_committed_batch_not_the_last_planned(tmp_path: Path) -> None:
    (tmp_path / "offsets").mkdir()
    (tmp_path / "commits").mkdir()
    (tmp_path / "offsets" / "4").write_text(SPARK_OFFSET_LOG)
    (tmp_path / "offsets" / "5").write_text(SPARK_OFFSET_LOG.replace('"0":15', '"0":99'))
    (tmp_path / "commits" / "4").write_text("v1\n{}\n")
    assert committed_positions(tmp_path)["gps-pings"] == {"0": 15}
    assert committed_positions(tmp_path / "missing") == {}


def test_reset_topics_start_at_their_end_offsets_the_others_where_the_checkpoint_committed() -> None:
    end = {"gps-pings": {"0": 20, "1": 7}}
    committed = {"gps-pings": {"0": 15, "1": 7}, "trips": {"0": 6}}
    assert plan_starting_offsets(end, committed, ["gps-pings"]) == {"gps-pings": {"0": 20, "1": 7}, "trips": {"0": 6}}
    # Without a committed checkpoint the other topics are left to the job's resume from Bronze.
    assert plan_starting_offsets(end, {}, ["gps-pings"]) == {"gps-pings": {"0": 20, "1": 7}}


def test_the_job_never_starts_below_what_bronze_already_holds_nor_below_the_seed() -> None:
    resume = {"trips": {"0": 9, "1": 2}, "ratings": {"0": 4}}
    seeded = {"trips": {"0": 6, "1": 5}, "gps-pings": {"0": 20}}
    assert merge_start(resume, seeded) == {"trips": {"0": 9, "1": 5}, "ratings": {"0": 4}, "gps-pings": {"0": 20}}
    assert merge_start(resume, {}) == resume


def test_seeding_replaces_the_checkpoint_with_only_the_starting_offsets(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint"
    (checkpoint / "offsets").mkdir(parents=True)
    (checkpoint / "lakehouse-generation").write_text("old\n")
    seed_checkpoint(checkpoint, {"gps-pings": {"0": 20}})
    assert sorted(p.name for p in checkpoint.iterdir()) == [STARTING_OFFSETS_FILE]
    assert json.loads((checkpoint / STARTING_OFFSETS_FILE).read_text()) == {"gps-pings": {"0": 20}}
    assert read_starting_offsets(checkpoint) == {"gps-pings": {"0": 20}}
    assert read_starting_offsets(tmp_path / "none") == {}


# --- the keyword's pure parts -------------------------------------------------------------------
def test_tables_argument() -> None:
    assert parse_tables("gps_pings, trips") == ["gps_pings", "trips"]
    assert parse_tables(["trips", " "]) == ["trips"]
    assert parse_tables(None) == [] and parse_tables("") == []


def _report() -> ResetReport:
    return ResetReport(
        layer="bronze",
        tables=["gps_pings", "trips"],
        locks={"/run/reset.lock": 0.1, "/run/dbt.lock": 0.0},
        stopped=["bronze-streaming"],
        resumed=["bronze-streaming"],
        objects_deleted={"gps_pings": 7, "trips": 3},
        end_offsets={"gps-pings": {"0": 20, "1": 4}, "trips": {"0": 6}},
        recreated=["gps_pings", "trips"],
        steps={
            "stop bronze-streaming": 0.5,
            "delete objects": 1.2,
            "run bronze-init": 3.0,
            "start bronze-streaming": 60.0,
        },
        seconds=66.0,
    )


def test_summary_has_one_row_per_thing_done_with_offsets_per_partition() -> None:
    rows = summary_rows(_report(), {"name": "lakehouse-table-reset", "result": "acquired", "waited": 0.2})
    by_step = [(r["step"], r["subject"], r["result"]) for r in rows]
    assert by_step[0] == ("PabotLib lock", "lakehouse-table-reset", "acquired")
    assert ("stop writer", "bronze-streaming", "stopped") in by_step
    assert ("end offset recorded", "gps-pings[1]", 4) in by_step
    assert ("objects deleted", "bronze.gps_pings", 7) in by_step
    assert ("delete objects", "2 table(s)", 10) in by_step
    assert ("recreate (platform init)", "bronze-init", "gps_pings, trips") in by_step
    assert ("resume writer", "bronze-streaming", "started from the recorded offsets") in by_step
    assert rows[-1] == {"step": "total", "subject": "bronze: gps_pings, trips", "result": "reset", "seconds": 66.0}


def test_summary_says_when_the_writer_was_left_stopped_and_how_silver_is_rebuilt() -> None:
    report = _report()
    report.resumed = []
    assert ("resume writer", "left stopped (resume=False)") in [(r["step"], r["result"]) for r in summary_rows(report)]
    silver = ResetReport(layer="silver", tables=["stg_trips"], objects_deleted={"stg_trips": 4}, seconds=0.5)
    assert any(r["subject"] == "dbt" and "next dbt run" in r["result"] for r in summary_rows(silver))


class FakeRemote:
    def __init__(self, free_after: int) -> None:
        self.free_after = free_after
        self.calls: list[tuple[str, list[Any]]] = []

    def run_keyword(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> bool:
        self.calls.append((name, args))
        return name != "acquire_lock" or len(self.calls) > self.free_after


def test_pabot_lock_is_acquired_and_released_through_pabotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = FakeRemote(free_after=2)
    lock = PabotLock("lakehouse-table-reset")
    monkeypatch.setattr(lock, "remote", lambda: remote)
    monkeypatch.setattr(PabotLock, "_variable", staticmethod(lambda name: "caller-1"))
    with lock.hold(timeout=5) as held:
        assert held["result"] == "acquired"
        assert [c[0] for c in remote.calls] == ["acquire_lock"] * 3
    assert remote.calls[-1] == ("release_lock", ["lakehouse-table-reset", "caller-1"])


def test_pabot_lock_times_out_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = FakeRemote(free_after=10**6)
    lock = PabotLock("lakehouse-table-reset")
    monkeypatch.setattr(lock, "remote", lambda: remote)
    monkeypatch.setattr(PabotLock, "_variable", staticmethod(lambda name: "caller-1"))
    with pytest.raises(AssertionError, match="PabotLib lock 'lakehouse-table-reset'"), lock.hold(timeout=0.5):
        pass
    assert all(c[0] == "acquire_lock" for c in remote.calls)


def test_outside_pabot_only_the_platform_lock_applies() -> None:
    with PabotLock("x").hold(timeout=1) as held:
        assert held["result"].startswith("not under pabot")


# --- backends -----------------------------------------------------------------------------------
def test_external_backend_refuses_a_reset_and_says_why() -> None:
    backend = ExternalBackend(PlatformContract(name="prod-like", backend="external"))
    with pytest.raises(UnsupportedOperation, match="cannot stop an external platform's streaming job"):
        backend.reset_tables("bronze", ["trips"])


def test_a_backend_without_reset_refuses_it() -> None:
    class Minimal(PlatformBackend):
        name = "minimal"
        up = down = status = service_status = start_service = stop_service = None  # type: ignore[assignment]
        restart_service = kill_service = health = log_tail = memory = service_names = None  # type: ignore[assignment]

    Minimal.__abstractmethods__ = frozenset()
    with pytest.raises(UnsupportedOperation, match="minimal backend cannot reset tables"):
        Minimal().reset_tables("gold")


@pytest.fixture
def pabotlib_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """pabot's own lock server (``_PabotLib`` behind its remote server, as ``pabot --pabotlib`` runs it)."""
    from pabot.pabotlib import _PabotLib
    from pabot.robotremoteserver import RobotRemoteServer

    server = RobotRemoteServer(_PabotLib(), host="127.0.0.1", port=0, serve=False)
    port = server.activate()
    thread = threading.Thread(target=server.serve, kwargs={"log": False}, daemon=True)
    thread.start()
    variables = {"${PABOTLIBURI}": f"127.0.0.1:{port}", "${CALLER_ID}": "worker-1"}
    monkeypatch.setattr(PabotLock, "_variable", staticmethod(lambda name: variables.get(name)))
    yield variables
    server.stop()
    thread.join(5)


def test_pabot_lock_excludes_another_worker_through_the_real_pabotlib_server(
    pabotlib_server: dict[str, str],
) -> None:
    with PabotLock("lakehouse-table-reset").hold(timeout=5) as held:
        assert held["result"] == "acquired"
        pabotlib_server["${CALLER_ID}"] = "worker-2"
        with pytest.raises(AssertionError, match=r"Timed out .* the PabotLib lock 'lakehouse-table-reset'"):
            with PabotLock("lakehouse-table-reset").hold(timeout=0.6):
                pass
        pabotlib_server["${CALLER_ID}"] = "worker-1"
    pabotlib_server["${CALLER_ID}"] = "worker-2"
    with PabotLock("lakehouse-table-reset").hold(timeout=2) as held:
        assert held["result"] == "acquired"
