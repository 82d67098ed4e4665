"""KafkaLibrary against the real Kafka broker of the core profile."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from assertionengine import AssertionOperator

from contract.topics import TOPICS
from EventLibrary import EventLibrary
from EventLibrary.factories import EventFactory
from KafkaLibrary import DeliveryFailed, KafkaLibrary, KafkaUnavailable, UnknownTopic
from lhkit import target as lh_target
from lhkit.polling import WaitTimeout

EQ = AssertionOperator["=="]

pytestmark = pytest.mark.profiles("core")


def kw(lib: KafkaLibrary, name: str, *args: object, **kwargs: object) -> object:
    return lib.run_keyword(name.lower().replace(" ", "_"), list(args), kwargs)


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaLibrary]:
    lib = KafkaLibrary()
    yield lib
    lib.close()


@pytest.fixture
def scratch(kafka: KafkaLibrary) -> Iterator[str]:
    name = f"test-kafka-lib-{uuid.uuid4().hex[:8]}"
    kw(kafka, "Create Topic", name, partitions=3)
    yield name
    kw(kafka, "Delete Topic", name, missing_ok=True)


def test_contract_topics_exist_with_their_partitions(kafka: KafkaLibrary) -> None:
    target = lh_target.current()
    topics = kw(kafka, "List Topics")
    kw(kafka, "List Topics", AssertionOperator["contains"], [target.topic_name(t.name) for t in TOPICS])
    for t in TOPICS:
        assert target.topic_name(t.name) in topics
        assert kw(kafka, "Get Topic Partitions", t.name, EQ, t.partitions) == t.partitions
    with pytest.raises(AssertionError, match=f"Partitions of topic '{target.topic_name('trips')}'"):
        kw(kafka, "Get Topic Partitions", "trips", EQ, "99")


def test_logical_topic_names_get_the_targets_prefix() -> None:
    """A second, prefixed "platform" on the same broker: keywords name the logical topic only."""
    prefix = f"h2a-{uuid.uuid4().hex[:6]}."
    lib = KafkaLibrary(target=lh_target.current().with_overrides(topic_prefix=prefix))
    try:
        kw(lib, "Create Topic", "trips", partitions=2)
        kw(lib, "Topic Should Exist", "trips")
        kw(lib, "List Topics", AssertionOperator["contains"], f"{prefix}trips")
        mark = kw(lib, "Mark Topic Position", "trips")
        assert mark["topic"] == f"{prefix}trips"
        events = EventFactory("cid-prefix").trip_lifecycle()
        kw(lib, "Publish Events", "trips", events, correlation_id="cid-prefix")
        msgs = kw(lib, "Wait For Messages Since Mark", mark, correlation_id="cid-prefix", count=6)
        assert {m["topic"] for m in msgs} == {f"{prefix}trips"} and msgs[0]["key"] == events[0]["trip_id"]
        assert kw(lib, "Get Topic Partitions", f"{prefix}trips", EQ, 2) == 2  # physical names work too
    finally:
        kw(lib, "Delete Topic", "trips", missing_ok=True)
        lib.close()
    kw(lib, "Topic Should Not Exist", "trips")


def test_count_getter_retries_until_the_assertion_holds(kafka: KafkaLibrary, scratch: str) -> None:
    mark = kw(kafka, "Mark Topic Position", scratch)
    later = threading.Timer(1.0, lambda: kw(kafka, "Publish Event", scratch, {"n": 1}, correlation_id="cid-retry"))
    later.start()
    try:
        count = kw(
            kafka, "Get Message Count Since Mark", mark, EQ, "1", correlation_id="cid-retry", retry_timeout="15 s"
        )
        assert count == 1
    finally:
        later.join()
    with pytest.raises(AssertionError, match=r"should be.*retried for"):
        kw(kafka, "Get Message Count Since Mark", mark, EQ, 2, correlation_id="cid-retry", retry_timeout="1 s")


def test_create_describe_grow_and_delete_topic(kafka: KafkaLibrary) -> None:
    name = f"test-kafka-admin-{uuid.uuid4().hex[:8]}"
    kw(kafka, "Create Topic", name, partitions=2, config={"retention.ms": "600000"})
    try:
        info = kw(kafka, "Describe Topic", name)
        assert info["partition_count"] == 2 and info["config"]["retention.ms"] == "600000"
        kw(kafka, "Create Topic", name, partitions=2, exist_ok=True)
        with pytest.raises(AssertionError, match="already exists"):
            kw(kafka, "Create Topic", name, partitions=2)
        kw(kafka, "Add Topic Partitions", name, 3)
        assert kw(kafka, "Get Topic Partitions", name) == 3
        kw(kafka, "Recreate Topic", name, partitions=1)
        assert kw(kafka, "Get Topic Partitions", name) == 1
    finally:
        kw(kafka, "Delete Topic", name, missing_ok=True)
    kw(kafka, "Topic Should Not Exist", name)


def test_published_lifecycle_is_found_by_correlation_id_key_header_and_field(kafka: KafkaLibrary, scratch: str) -> None:
    cid = EventLibrary().new_correlation_id()
    events = EventFactory(cid).trip_lifecycle()
    mark = kw(kafka, "Mark Topic Position", scratch)
    # Noise from another test must not match.
    kw(kafka, "Publish Events", scratch, EventFactory("other-cid").trip_lifecycle(), key_field="trip_id")
    assert kw(kafka, "Publish Events", scratch, events, key_field="trip_id", headers={"source": "pytest"}) == 6
    msgs = kw(kafka, "Wait For Messages Since Mark", mark, count=6, correlation_id=cid, exact=True, timeout="20 s")
    assert sorted(m["value"]["event_type"] for m in msgs) == sorted(e["event_type"] for e in events)
    for m in msgs:
        assert m["headers"]["correlation_id"] == cid and m["value"]["correlation_id"] == cid
        assert m["headers"]["source"] == "pytest"
        assert m["key"] == events[0]["trip_id"]
    done = kw(
        kafka, "Wait For Messages Since Mark", mark, key=events[0]["trip_id"], fields={"event_type": "trip.completed"}
    )
    assert len(done) == 1 and done[0]["value"]["event_id"] == events[-1]["event_id"]
    assert len(kw(kafka, "Wait For Messages Since Mark", mark, headers={"correlation_id": cid}, count=6)) == 6
    assert kw(kafka, "Get Message Count Since Mark", mark, EQ, "12") == 12
    assert kw(kafka, "Get Message Count Since Mark", mark, correlation_id=cid) == 6


def test_correlation_id_argument_goes_into_payload_and_header(kafka: KafkaLibrary, scratch: str) -> None:
    mark = kw(kafka, "Mark Topic Position", scratch)
    meta = kw(kafka, "Publish Event", scratch, {"hello": "world"}, key="k1", correlation_id="cid-arg")
    assert meta["topic"] == scratch and meta["offset"] >= 0 and meta["key"] == "k1"
    (msg,) = kw(kafka, "Wait For Messages Since Mark", mark, correlation_id="cid-arg")
    assert msg["value"] == {"hello": "world", "correlation_id": "cid-arg"}
    assert msg["headers"] == {"correlation_id": "cid-arg"}


def test_raw_bytes_including_non_utf8_round_trip(kafka: KafkaLibrary, scratch: str) -> None:
    mark = kw(kafka, "Mark Topic Position", scratch)
    kw(kafka, "Publish Raw", scratch, b"\xff\xfe not utf-8", key="raw", correlation_id="cid-raw")
    kw(kafka, "Publish Raw", scratch, '{"truncated', key="raw", correlation_id="cid-raw")
    msgs = kw(kafka, "Wait For Messages Since Mark", mark, correlation_id="cid-raw", count=2)
    values = {m["offset"]: m["value"] for m in msgs}
    assert b"\xff\xfe not utf-8" in values.values() and '{"truncated' in values.values()


def test_wait_times_out_with_what_it_saw(kafka: KafkaLibrary, scratch: str) -> None:
    mark = kw(kafka, "Mark Topic Position", scratch)
    kw(kafka, "Publish Event", scratch, {"n": 1}, correlation_id="cid-seen")
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as info:
        kw(kafka, "Wait For Messages Since Mark", mark, correlation_id="cid-seen", count=2, timeout="1.5 s")
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 5
    text = str(info.value)
    assert "2 message(s)" in text and "1 matching of 1 message(s)" in text and "Timed out after" in text


def test_exact_count_fails_when_more_messages_match(kafka: KafkaLibrary, scratch: str) -> None:
    mark = kw(kafka, "Mark Topic Position", scratch)
    kw(kafka, "Publish Events", scratch, [{"i": i} for i in range(3)], correlation_id="cid-exact")
    time.sleep(0.5)
    with pytest.raises(AssertionError, match="exactly 2"):
        kw(kafka, "Wait For Messages Since Mark", mark, correlation_id="cid-exact", count=2, exact=True)


def test_unknown_topic_fails_fast_naming_the_topic(kafka: KafkaLibrary) -> None:
    for name, args in (
        ("Mark Topic Position", ["no-such-topic-x"]),
        ("Publish Events", ["no-such-topic-x", [{"a": 1}]]),
        ("Publish Raw", ["no-such-topic-x", b"x"]),
        ("Get Topic Partitions", ["no-such-topic-x"]),
    ):
        started = time.monotonic()
        with pytest.raises(UnknownTopic, match=r"'no-such-topic-x' does not exist.*trips"):
            kw(kafka, name, *args)
        assert time.monotonic() - started < 5
    assert "no-such-topic-x" not in kw(kafka, "List Topics")  # never auto-created


def test_missing_key_field_is_reported_before_sending(kafka: KafkaLibrary) -> None:
    with pytest.raises(ValueError, match="Event #1 has no 'trip_id'"):
        kw(kafka, "Publish Events", "trips", [{"trip_id": "t1"}, {"x": 1}])


def test_unreachable_broker_fails_within_the_timeout() -> None:
    lib = KafkaLibrary(bootstrap="127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable, match=r"127\.0\.0\.1:1"):
        kw(lib, "List Topics", timeout="2 s")
    assert time.monotonic() - started < 6
    with pytest.raises(KafkaUnavailable):
        kw(lib, "Publish Events", "trips", [{"trip_id": "t"}], timeout="2 s")
    lib.close()


def test_publish_throughput_1kb_json(kafka: KafkaLibrary, scratch: str) -> None:
    base = EventFactory("cid-bench").trip_lifecycle()[0]
    pad = 1024 - len(json.dumps({**base, "padding": ""}, separators=(",", ":")))
    events = [{**base, "trip_id": f"trip-{i:06d}", "padding": "x" * pad} for i in range(50_000)]
    kw(kafka, "Publish Events", scratch, events[:1000])  # warm-up: connections, metadata
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        kw(kafka, "Publish Events", scratch, events)
        rates.append(len(events) / (time.perf_counter() - started))
    best = max(rates)
    print(f"publish throughput, 1 KB JSON, 50k events, acks=all: {', '.join(f'{r:,.0f}' for r in rates)} events/s")
    # Target is 20k/s; the floor is lower because the 2-core box is shared with other JVMs.
    assert best >= 10_000, rates


def test_delivery_failure_is_reported(kafka: KafkaLibrary, scratch: str) -> None:
    kw(kafka, "Create Topic", f"{scratch}-tiny", partitions=1, config={"max.message.bytes": "2000"})
    try:
        with pytest.raises(DeliveryFailed, match="MSG_SIZE_TOO_LARGE"):
            # Incompressible, so lz4 cannot shrink it below the topic's limit.
            pad = base64.b64encode(os.urandom(6000)).decode()
            kw(kafka, "Publish Events", f"{scratch}-tiny", [{"pad": pad}], timeout="10 s")
    finally:
        kw(kafka, "Delete Topic", f"{scratch}-tiny", missing_ok=True)
