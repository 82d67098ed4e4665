"""`Reset Lakehouse Tables` (PlatformLibrary) against the REAL running platform (core + data-platform).

The keyword goes through the platform's lifecycle CLI like any user's embedded lakehouse: the
streaming job is stopped, the table's objects deleted, the empty table re-created by bronze-init and
the job resumed from the recorded end offsets. Checked through Kafka and Bronze only, with the
toolkit's own libraries; nothing imports the reference lakehouse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from confluent_kafka import Producer

from contract.lifecycle import UnsupportedOperation
from contract.platform import PlatformContract
from contract.topics import topic
from EventLibrary.factories import EventFactory
from LakehouseLibrary import LakehouseLibrary
from lhkit.target import NotATestEnvironment
from PlatformLibrary import PlatformLibrary
from StreamingLibrary import StreamingLibrary

pytestmark = pytest.mark.profiles("core", "data-platform")
INGEST = timedelta(minutes=3)


@pytest.fixture(scope="module")
def libs(platform: PlatformContract) -> Iterator[tuple[PlatformLibrary, StreamingLibrary, LakehouseLibrary]]:
    found = (PlatformLibrary(), StreamingLibrary(), LakehouseLibrary())
    yield found
    for lib in found:
        lib.close()


def publish_pings(target: PlatformContract, correlation_id: str, n: int, seed: int) -> list[str]:
    events = EventFactory(correlation_id, seed=seed).gps_pings(drivers=1, pings=n)
    producer = Producer({"bootstrap.servers": target.kafka_bootstrap, "enable.idempotence": True})
    for event in events:
        producer.produce(
            target.topic_name("gps-pings"),
            json.dumps(event).encode(),
            key=str(event[topic("gps-pings").key_field]).encode(),
            headers={"correlation_id": correlation_id},
        )
    assert producer.flush(15) == 0
    return [e["event_id"] for e in events]


def test_a_reset_table_holds_exactly_the_events_published_after_it(
    platform: PlatformContract, libs: tuple[PlatformLibrary, StreamingLibrary, LakehouseLibrary]
) -> None:
    lifecycle, streaming, lakehouse = libs
    before = f"reset-a-pytest-{uuid.uuid4().hex[:12]}"
    old_ids = publish_pings(platform, before, 6, seed=1)
    streaming.bronze_should_contain_each_event_exactly_once("gps-pings", before, old_ids, timeout=INGEST)

    report = lifecycle.reset_lakehouse_tables("bronze", "gps_pings", timeout=timedelta(minutes=5))

    assert report["tables"] == ["gps_pings"]
    assert report["stopped"] == ["bronze-streaming"] and report["resumed"] == ["bronze-streaming"]
    physical = platform.topic_name("gps-pings")
    assert sum(report["end_offsets"][physical].values()) >= len(old_ids)
    assert report["starting_offsets"][physical] == report["end_offsets"][physical]

    after = f"reset-b-pytest-{uuid.uuid4().hex[:12]}"
    new_ids = publish_pings(platform, after, 6, seed=2)
    streaming.bronze_should_contain_each_event_exactly_once("gps-pings", after, new_ids, timeout=INGEST)
    assert lakehouse.get_row_count("bronze.gps_pings", correlation_id=before) == 0
    assert lakehouse.get_row_count("bronze.gps_pings") == len(new_ids)
    assert report["objects_deleted"]["gps_pings"] > 0


def test_a_reset_is_refused_on_a_target_that_is_not_a_test_environment(platform: PlatformContract) -> None:
    target = {**platform.to_dict(), "test_environment": False}
    library = PlatformLibrary(target=target)
    with pytest.raises(NotATestEnvironment, match="Refusing to reset the bronze tables gps_pings"):
        library.reset_lakehouse_tables("bronze", "gps_pings")


def test_the_external_backend_refuses_a_reset(platform: PlatformContract) -> None:
    library = PlatformLibrary(backend="external")
    with pytest.raises(UnsupportedOperation, match="cannot stop an external platform's streaming job"):
        library.reset_lakehouse_tables("silver")
