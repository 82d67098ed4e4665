"""The Bronze streaming job and StreamingLibrary against the REAL running platform (core + data-platform).

Events go through Kafka; nothing writes Bronze but the streaming job. Each test uses
its own correlation id, so the tests run against a shared, long-running job. Names come
from the platform's contract: tests publish to the physical topics (``topic_prefix`` +
logical name), and ``_kafka_topic``, the job's lag and lineage report those physical names.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pyarrow as pa
import pytest
import requests
from confluent_kafka import Producer
from deltalake import DeltaTable

from contract.layout import PARTITION_COLUMN, arrow_schema, bronze_tables
from contract.platform import PlatformContract
from contract.storage import boto3_client_kwargs, delta_storage_options
from contract.topics import topic
from EventLibrary.factories import EventFactory
from EventLibrary.malformed import Malformation, malformed_payload
from lhcommon.polling import WaitTimeout, wait_until
from StreamingLibrary import StreamingLibrary

pytestmark = pytest.mark.profiles("core", "data-platform")


@pytest.fixture(scope="module")
def lib(platform: PlatformContract) -> Iterator[StreamingLibrary]:
    library = StreamingLibrary()
    yield library
    library.close()


@pytest.fixture(scope="module")
def producer(platform: PlatformContract) -> Iterator[Producer]:
    p = Producer({"bootstrap.servers": platform.kafka_bootstrap, "linger.ms": 5, "enable.idempotence": True})
    yield p
    p.flush(10)


def cid(prefix: str) -> str:
    return f"{prefix}-pytest-{uuid.uuid4().hex[:12]}"


def publish(
    producer: Producer, target: PlatformContract, topic_name: str, events: list[dict], correlation_id: str
) -> None:
    """Publish to the physical topic of the logical ``topic_name``."""
    key = topic(topic_name).key_field
    for event in events:
        producer.produce(
            target.topic_name(topic_name), json.dumps(event).encode(), key=str(event[key]).encode(),
            headers={"correlation_id": correlation_id},
        )
    assert producer.flush(15) == 0


def test_health_and_metrics_endpoints(platform: PlatformContract) -> None:
    url = platform.streaming_metrics_url
    health = requests.get(url + "/health", timeout=5)
    assert health.status_code == 200, health.text
    assert health.json()["query_active"] is True
    snap = requests.get(url + "/metrics.json", timeout=5).json()
    assert snap["app_id"].startswith("lakehouse-bronze-")
    assert set(snap["lag"]) <= set(platform.topic_names), "lag is reported per physical topic"
    text = requests.get(url + "/metrics", timeout=5).text
    for name in ("query_active 1", "batches_total", "last_batch_id", "lag_records", "last_batch_duration_seconds"):
        assert f"lakehouse_bronze_{name}" in text
    assert requests.get(url + "/nope", timeout=5).status_code == 404


def test_tables_have_the_declared_schema_and_partitioning(platform: PlatformContract) -> None:
    """bronze-init (delta-rs) and Spark appends must agree: same columns, types and partition column,
    under the contract's Bronze bucket."""
    for table in bronze_tables():
        dt = DeltaTable(platform.table_uri(table), storage_options=delta_storage_options(platform))
        got = [(f.name, str(f.type)) for f in pa.schema(dt.schema().to_arrow())]
        want = [(f.name, str(f.type)) for f in arrow_schema(table)]
        assert got == want, f"bronze.{table}"
        assert dt.metadata().partition_columns == [PARTITION_COLUMN]


def test_valid_events_land_once_in_order_with_lineage(
    lib: StreamingLibrary, producer: Producer, platform: PlatformContract
) -> None:
    c = cid("trip")
    events = EventFactory(c).trip_lifecycle()
    publish(producer, platform, "trips", events, c)
    rows = lib.wait_for_bronze_rows("trips", c, count=len(events), timeout=timedelta(seconds=90))
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in events]
    assert {r["_kafka_topic"] for r in rows} == {platform.topic_name("trips")}, "_kafka_topic is the physical topic"
    assert {r["_kafka_partition"] for r in rows} == {rows[0]["_kafka_partition"]}
    lib.bronze_rows_should_be_in_publish_order(rows, events)
    offsets = {r["_kafka_offset"] for r in rows}
    physical = platform.topic_name("trips")

    def covering() -> list[dict]:
        commits = requests.get(platform.streaming_metrics_url + "/commits.json", timeout=5).json()
        return [
            c_ for c_ in commits
            if c_["table"] == "trips"
            and any(lo <= o <= hi for o in offsets for lo, hi in c_["offsets"].get(physical, {}).values())
        ]

    # The lineage record follows the Delta commit by milliseconds; allow for that race only.
    found = wait_until(covering, timeout=5, description="the commit record of the trip's rows", log=False)
    assert all(c_["delta_version"] >= 1 for c_ in found)


def test_every_malformation_lands_in_the_dlq_and_nothing_is_lost(
    lib: StreamingLibrary, producer: Producer, platform: PlatformContract
) -> None:
    c = cid("dlq")
    factory = EventFactory(c)
    valid = [factory.event_for("payments") for _ in range(3)]
    publish(producer, platform, "payments", valid, c)
    kinds = list(Malformation)
    for kind in kinds:
        payload = malformed_payload(kind, "payments", factory, size_bytes=100_000)
        producer.produce(platform.topic_name("payments"), payload, key=c.encode(), headers={"correlation_id": c})
    assert producer.flush(15) == 0
    dlq = lib.wait_for_dlq_rows(c, count=len(kinds), topic="payments", timeout=timedelta(seconds=90))
    bronze = lib.wait_for_bronze_rows("payments", c, count=3, timeout=timedelta(seconds=30))
    assert len(bronze) + len(dlq) == len(valid) + len(kinds)
    assert sorted(r["error_type"] for r in dlq) == sorted(
        ["INVALID_JSON", "NOT_UTF8", "SCHEMA_VIOLATION", "MISSING_KEY", "OVERSIZE", "INVALID_JSON"]
    )
    non_utf8 = next(r for r in dlq if r["error_type"] == "NOT_UTF8")
    assert non_utf8["_raw_encoding"] == "base64"


def test_wait_for_bronze_rows_fails_with_what_it_saw(lib: StreamingLibrary) -> None:
    expected = r"Timed out after .* waiting for exactly 1 row\(s\).*Last observed: 0 row\(s\)"
    with pytest.raises(WaitTimeout, match=expected):
        lib.wait_for_bronze_rows("trips", cid("never"), count=1, timeout=timedelta(seconds=2))


def test_wait_for_bronze_rows_rejects_duplicates(
    lib: StreamingLibrary, producer: Producer, platform: PlatformContract
) -> None:
    c = cid("dup")
    event = EventFactory(c).event_for("ratings")
    publish(producer, platform, "ratings", [event, event], c)
    lib.wait_for_bronze_rows("ratings", c, count=2, timeout=timedelta(seconds=90))
    with pytest.raises(AssertionError, match="found 2"):
        lib.wait_for_bronze_rows("ratings", c, count=1, timeout=timedelta(seconds=5))
    with pytest.raises(AssertionError, match="duplicated"):
        lib.bronze_should_contain_each_event_exactly_once("ratings", c, [event["event_id"]], timedelta(seconds=5))


def test_streaming_keywords_report_lag_and_batches(
    lib: StreamingLibrary, producer: Producer, platform: PlatformContract
) -> None:
    lib.streaming_query_should_be_active()
    mark = lib.mark_streaming_batch()
    c = cid("lag")
    publish(producer, platform, "surge-updates", [EventFactory(c).event_for("surge-updates")], c)
    assert lib.wait_for_streaming_batch_after(mark, timeout=timedelta(seconds=90)) > mark["batch_id"]
    lib.wait_for_bronze_rows("surge-updates", c, count=1, timeout=timedelta(seconds=30))
    assert lib.get_ingestion_lag("surge-updates") >= 0


def test_the_job_compacts_and_checkpoints_bronze_in_the_background_without_losing_rows(
    lib: StreamingLibrary, producer: Producer, platform: PlatformContract
) -> None:
    """One small file per table per batch: the job's maintenance thread must compact them and write
    checkpoints (off the batch path), and a compaction must neither lose nor duplicate a row."""
    started = time.time()
    c = cid("compact")
    factory = EventFactory(c)
    events = []
    for n in range(1, 26):  # one event per micro-batch: 25 commits, 25 small files
        event = factory.event_for("surge-updates")
        events.append(event)
        publish(producer, platform, "surge-updates", [event], c)
        lib.wait_for_bronze_rows("surge-updates", c, count=n, timeout=timedelta(seconds=60))

    def maintenance(kind: str) -> list[dict]:
        report = requests.get(platform.streaming_metrics_url + "/batches.json", timeout=5).json()
        return [m for m in report["maintenance"] if m["what"] == kind and m["table"] == "surge_updates"
                and m["at"] >= started]  # fmt: skip

    compactions = wait_until(
        lambda: maintenance("compact"), timeout=90, description="a compaction of bronze.surge_updates by the job"
    )
    assert compactions[-1]["removed"] > compactions[-1]["added"] >= 1, compactions[-1]
    checkpoints = maintenance("checkpoint")
    assert checkpoints, "the job wrote no checkpoint of bronze.surge_updates in 25 commits"
    # Independently of the job's report: the table's log points at a checkpoint at least that recent.
    s3 = boto3.client("s3", **boto3_client_kwargs(platform))
    key = "surge_updates/_delta_log/_last_checkpoint"
    last = json.loads(s3.get_object(Bucket=platform.bucket("bronze"), Key=key)["Body"].read())
    assert last["version"] >= checkpoints[-1]["version"], (last, checkpoints[-1])
    lib.bronze_should_contain_each_event_exactly_once(
        "surge-updates", c, [e["event_id"] for e in events], timedelta(seconds=30)
    )
