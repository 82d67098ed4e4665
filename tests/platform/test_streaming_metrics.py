"""Pure parts of the streaming job's metrics endpoint and table declarations."""

from __future__ import annotations

import json

import pytest

from contract.layout import DLQ_TABLE, PARTITION_COLUMN, arrow_schema, bronze_tables
from contract.platform import PlatformContract
from lakehouse.streaming.metrics import Metrics, lag_per_topic, prometheus_text


def test_lag_is_latest_minus_processed_summed_over_partitions() -> None:
    end = {"trips": {"0": 5, "1": 7}}
    latest = {"trips": {"0": 9, "1": 7}, "ratings": {"0": 3}}
    assert lag_per_topic(end, latest) == {"trips": 4, "ratings": 3}


def test_lag_never_negative() -> None:
    assert lag_per_topic({"t": {"0": 10}}, {"t": {"0": 8}}) == {"t": 0}


def test_progress_offsets_parse_from_json_text() -> None:
    m = Metrics(app_id="a")
    m.record_progress(
        {"sources": [{"endOffset": json.dumps({"trips": {"0": 2}}), "latestOffset": json.dumps({"trips": {"0": 5}})}]},
        True,
    )
    snap = m.snapshot()
    assert snap["lag"] == {"trips": 3}
    assert snap["query_active"] is True
    assert m.healthy()[0]


def test_health_fails_without_progress_or_when_inactive() -> None:
    m = Metrics(app_id="a")
    assert not m.healthy()[0]
    m.record_progress({"sources": []}, False)
    assert not m.healthy()[0]


def test_batches_accumulate_and_render_as_prometheus() -> None:
    m = Metrics(app_id="a")
    m.begin_batch(3, ["trips", "dlq"], ["c1"])
    m.table_committed(3, "trips", 4, {"trips": {"1": [10, 15]}})
    assert m.snapshot()["current_batch"]["committed"] == ["trips"]
    m.table_committed(3, "dlq", 2)
    m.record_batch(3, 0.5, {"trips": 6}, {"INVALID_JSON": 1})
    assert m.snapshot()["current_batch"] is None
    m.table_committed(4, "trips", 5)
    m.record_batch(4, 0.25, {"trips": 1}, {})
    snap = m.snapshot()
    assert snap["rows"]["trips"] == 7
    assert snap["rows"]["payments"] == 0  # every table's counter exists from the start
    assert snap["dlq_rows_total"] == 1
    assert snap["last_batch_id"] == 4
    assert snap["last_commit"]["trips"] == {"batch_id": 4, "delta_version": 5}
    assert next(iter(m.commits))["offsets"] == {"trips": {"1": [10, 15]}}
    text = prometheus_text(snap)
    assert 'lakehouse_bronze_rows_total{table="trips"} 7' in text
    assert 'lakehouse_bronze_rows_total{table="gps_pings"} 0' in text
    assert 'lakehouse_bronze_dlq_rows_total{error_type="MISSING_KEY"} 0' in text
    assert 'lakehouse_bronze_dlq_rows_total{error_type="INVALID_JSON"} 1' in text
    assert "lakehouse_bronze_last_batch_id 4" in text


def test_table_names_accept_topic_table_and_layer_prefix() -> None:
    c = PlatformContract()
    assert c.bronze_table("gps-pings") == "gps_pings"
    assert c.bronze_table("bronze.gps_pings") == "gps_pings"
    assert c.bronze_table("dlq") == "dlq"
    with pytest.raises(ValueError, match="Known"):
        c.bronze_table("silver.trips")
    assert c.table_uri("trips", scheme="s3a") == "s3a://bronze/trips"
    assert len(bronze_tables()) == 9 and bronze_tables()[-1] == DLQ_TABLE


def test_the_streaming_job_writes_under_the_contracts_bronze_bucket_without_prefix() -> None:
    c = PlatformContract(topic_prefix="it2.", buckets={"bronze": "it2-bronze", "silver": "s", "gold": "g"})
    assert c.table_uri("gps_pings", scheme="s3a") == "s3a://it2-bronze/gps_pings"
    assert c.table_uri(DLQ_TABLE) == "s3://it2-bronze/dlq"


def test_dlq_shares_the_bronze_metadata_columns() -> None:
    bronze, dlq = arrow_schema("trips"), arrow_schema(DLQ_TABLE)
    for name in ("_raw_value", "_kafka_topic", "_kafka_partition", "_kafka_offset", "_kafka_timestamp",
                 "_ingested_at", "correlation_id", PARTITION_COLUMN):
        assert dlq.field(name).type == bronze.field(name).type
    assert bronze.names[-1] == dlq.names[-1] == PARTITION_COLUMN


def test_batch_log_merges_the_writers_figures_with_sparks_progress() -> None:
    m = Metrics(app_id="a")
    commits = {"trips": {"s": 0.05, "version": 7, "written": True}}
    m.record_batch(5, 0.3, {"trips": 2}, {}, {"records": 2, "read_route_s": 0.1, "commits": commits, "checkpoints": []})
    m.record_batch_progress({"batchId": 5, "numInputRows": 2, "durationMs": {"addBatch": 310, "triggerExecution": 420}})
    m.record_batch_progress({"batchId": 6, "numInputRows": 0, "durationMs": {"triggerExecution": 3}})  # idle: not kept
    m.record_maintenance("checkpoint", "trips", 0.2, version=10)
    report = json.loads(json.dumps(m.batches_report()))
    assert report["batches"] == [
        {
            "batch_id": 5,
            "records": 2,
            "read_route_s": 0.1,
            "commits": commits,
            "checkpoints": [],
            "duration_s": 0.3,
            "input_rows": 2,
            "spark_ms": {"addBatch": 310, "triggerExecution": 420},
            "timestamp": None,
        }
    ]
    assert [(e["what"], e["table"], e["version"]) for e in report["maintenance"]] == [("checkpoint", "trips", 10)]


def test_batch_log_keeps_the_most_recent_batches_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from lakehouse.streaming import metrics as module

    monkeypatch.setattr(module, "BATCH_LOG_SIZE", 3)
    m = Metrics(app_id="a")
    for batch in range(6):
        m.record_batch(batch, 0.1, {}, {}, {"records": 1})
    assert [b["batch_id"] for b in m.batches_report()["batches"]] == [3, 4, 5]
