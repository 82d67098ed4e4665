"""The runner side of the table reset (``python -m lakehouse.runner reset``) on an isolated instance.

The ``core`` profile runs for real (Kafka, S3) with its own topic prefix and buckets; the streaming
job does not (the suite ``suites/04_regression/table_reset.robot`` covers it). Checked here: the end
offsets recorded per partition, the objects deleted, the fresh checkpoint seeded with where every
topic starts (reset topics at their end, the others where the old checkpoint had committed), the
tables re-created empty by ``bronze-init``, tables not named left alone, and the dbt lock honoured.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from botocore.config import Config
from confluent_kafka import Producer
from deltalake import DeltaTable, write_deltalake

from contract.layout import arrow_schema
from contract.lifecycle import ResetReport, ServiceStatus
from contract.platform import PlatformContract
from contract.storage import boto3_client_kwargs, delta_storage_options
from lakehouse.runner.cli import EXIT_LIFECYCLE
from lakehouse.runner.isolated import isolated_platform
from lakehouse.runner.reset import STARTING_OFFSETS_FILE
from lakehouse.settings import Settings
from lakehouse.streaming.bronze_init import ensure_table
from lhcommon.locks import exclusive_lock

REPO = Path(__file__).resolve().parents[2]
PORT_OFFSET = 3800
PREFIX = "rst."
BUCKETS = {"bronze": "rst-bronze", "silver": "rst-silver", "gold": "rst-gold"}
OLD_CHECKPOINT = {"rst.trips": {"0": 2, "1": 0, "2": 1, "3": 0}, "rst.gps-pings": {"0": 1}}


def cli(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    python = Settings.load().platform_python
    return subprocess.run(
        [str(python), "-m", "lakehouse.runner", *argv],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_json(*argv: str, timeout: float = 300) -> object:
    proc = cli(*argv, "--json", timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def instance() -> Iterator[Settings]:
    with isolated_platform(PORT_OFFSET, topic_prefix=PREFIX, buckets=BUCKETS) as settings:
        cli_json("up", "--profile", "core", timeout=600)
        yield settings


def bronze_rows(n: int, table: str, topic: str) -> pa.Table:
    schema = arrow_schema(table)
    now = pa.scalar(0, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    cols = {
        "_raw_value": [json.dumps({"event_id": f"e{i}"}) for i in range(n)],
        "_kafka_topic": [topic] * n,
        "_kafka_partition": [0] * n,
        "_kafka_offset": list(range(n)),
        "_kafka_timestamp": [now] * n,
        "_ingested_at": [now] * n,
        "correlation_id": ["old"] * n,
        "_ingestion_date": [pa.scalar(0, pa.int32()).cast(pa.date32())] * n,
    }
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema}, schema=schema)


def object_count(contract: PlatformContract, layer: str, prefix: str) -> int:
    s3 = boto3.client("s3", **boto3_client_kwargs(contract), config=Config(s3={"addressing_style": "path"}))
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=contract.buckets[layer], Prefix=prefix + "/")
    return sum(len(p.get("Contents", [])) for p in pages)


def publish(settings: Settings, topic: str, n: int) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for i in range(n):
        producer.produce(topic, key=f"k{i}".encode(), value=b'{"event_id": "x"}')
    assert producer.flush(30) == 0


def old_checkpoint(settings: Settings) -> None:
    """A stopped job's checkpoint: batch 3 committed, batch 4 planned (its offsets must not be used)."""
    checkpoint = settings.streaming_checkpoint_dir
    (checkpoint / "offsets").mkdir(parents=True, exist_ok=True)
    (checkpoint / "commits").mkdir(exist_ok=True)
    meta = '{"batchWatermarkMs":0,"batchTimestampMs":0,"conf":{}}'
    (checkpoint / "offsets" / "3").write_text(f"v1\n{meta}\n{json.dumps(OLD_CHECKPOINT)}\n")
    planned = {t: {p: o + 50 for p, o in parts.items()} for t, parts in OLD_CHECKPOINT.items()}
    (checkpoint / "offsets" / "4").write_text(f"v1\n{meta}\n{json.dumps(planned)}\n")
    (checkpoint / "commits" / "3").write_text('v1\n{"nextBatchWatermarkMs":0}\n')
    (checkpoint / "lakehouse-generation").write_text("oldgeneration\n")


def test_bronze_reset_of_one_table(instance: Settings) -> None:
    settings = instance
    contract = settings.contract()
    options = delta_storage_options(contract)
    for table, topic in (("gps_pings", "rst.gps-pings"), ("trips", "rst.trips")):
        ensure_table(contract, table)
        write_deltalake(contract.table_uri(table), bronze_rows(4, table, topic), mode="append", storage_options=options)
    publish(settings, "rst.gps-pings", 7)
    old_checkpoint(settings)
    before = object_count(contract, "bronze", "gps_pings")
    assert before >= 3

    report = ResetReport(**cli_json("reset", "--layer", "bronze", "--table", "gps-pings"))

    assert report.tables == ["gps_pings"]
    assert report.stopped == [] and report.resumed == []  # the streaming job is not running here
    assert set(report.end_offsets) == {"rst.gps-pings"}
    assert len(report.end_offsets["rst.gps-pings"]) == 8  # every partition
    assert sum(report.end_offsets["rst.gps-pings"].values()) == 7
    assert report.objects_deleted == {"gps_pings": before}
    assert report.starting_offsets == {
        "rst.gps-pings": report.end_offsets["rst.gps-pings"],
        "rst.trips": OLD_CHECKPOINT["rst.trips"],
    }
    checkpoint = settings.streaming_checkpoint_dir
    assert [p.name for p in checkpoint.iterdir()] == [STARTING_OFFSETS_FILE]
    assert json.loads((checkpoint / STARTING_OFFSETS_FILE).read_text()) == report.starting_offsets
    assert report.recreated == ["gps_pings"]
    reset_table = DeltaTable(contract.table_uri("gps_pings"), storage_options=options)
    assert reset_table.version() == 0
    assert reset_table.to_pyarrow_table().num_rows == 0
    assert DeltaTable(contract.table_uri("trips"), storage_options=options).to_pyarrow_table().num_rows == 4
    init = ServiceStatus(**cli_json("status", "bronze-init")[0])
    assert (init.state, init.exit_status) == ("EXITED", 0)
    assert set(report.steps) >= {"delete objects", "read offsets", "seed checkpoint", "run bronze-init"}


def test_silver_reset_deletes_the_models_objects_and_waits_for_the_dbt_lock(instance: Settings) -> None:
    settings = instance
    contract = settings.contract()
    options = delta_storage_options(contract)
    for model in ("stg_trips", "stg_payments"):
        write_deltalake(
            f"s3://{contract.buckets['silver']}/{model}",
            pa.table({"event_id": ["a", "b"]}),
            mode="append",
            storage_options=options,
        )
    kept = object_count(contract, "silver", "stg_payments")
    released = threading.Event()

    def hold_dbt_lock() -> None:
        with exclusive_lock(settings.dbt_lock_file, 10, "a dbt run of the test"):
            time.sleep(2)
        released.set()

    holder = threading.Thread(target=hold_dbt_lock)
    holder.start()
    time.sleep(0.3)
    report = ResetReport(**cli_json("reset", "--layer", "silver", "--table", "stg_trips"))
    holder.join()
    assert released.is_set()
    assert report.locks[str(settings.dbt_lock_file)] >= 1.0, report.locks
    assert report.objects_deleted["stg_trips"] >= 2
    assert object_count(contract, "silver", "stg_trips") == 0
    assert object_count(contract, "silver", "stg_payments") == kept
    assert report.stopped == [] and report.recreated == []


def test_unknown_table_and_missing_layer_are_refused(instance: Settings) -> None:
    proc = cli("reset", "--layer", "bronze", "--table", "nope")
    assert proc.returncode == EXIT_LIFECYCLE
    assert "No bronze table 'nope'. Tables of bronze: trips, gps_pings" in proc.stderr
    assert cli("reset", "--table", "trips").returncode == 2


def test_cli_passes_layer_tables_resume_and_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments only: the reset itself is replaced (the tests above run it for real)."""
    import io

    import lakehouse.runner.reset as reset_module
    from lakehouse.runner.cli import main

    seen: dict[str, object] = {}

    def fake_reset(backend: object, layer: str, tables: list[str] | None, resume: bool, timeout: float | None):
        seen.update(layer=layer, tables=tables, resume=resume, timeout=timeout)
        return ResetReport(layer=layer, tables=list(tables or []), objects_deleted={"trips": 3}, seconds=1.0)

    monkeypatch.setattr(reset_module, "reset", fake_reset)
    out = io.StringIO()
    argv = ["reset", "--layer", "bronze", "--table", "trips", "--table", "gps_pings", "--no-resume"]
    code = main([*argv, "--timeout", "2 min", "--json"], backend=lambda: object(), out=out)  # type: ignore[arg-type,return-value]
    assert code == 0
    assert seen == {"layer": "bronze", "tables": ["trips", "gps_pings"], "resume": False, "timeout": 120.0}
    assert ResetReport(**json.loads(out.getvalue())).objects_deleted == {"trips": 3}
