"""Pure routing/validation logic of the Bronze streaming job (no Spark, no services)."""

from __future__ import annotations

import base64
import json

import pytest

from contract.layout import ERROR_TYPES
from contract.platform import PlatformContract
from contract.topics import TOPICS
from EventLibrary.factories import EventFactory
from EventLibrary.malformed import Malformation, malformed_payload
from lakehouse.streaming.routing import (
    DEFAULT_MAX_BYTES,
    OVERSIZE_KEEP_BYTES,
    ErrorType,
    logical_topics,
    route,
    starting_offsets,
)

CID = "cid-unit-routing"


@pytest.fixture
def factory() -> EventFactory:
    return EventFactory(CID, seed=7)


@pytest.mark.parametrize("topic", [t.name for t in TOPICS])
def test_valid_event_of_every_topic_goes_to_its_table(topic: str, factory: EventFactory) -> None:
    event = factory.event_for(topic)
    routed = route(topic, json.dumps(event).encode())
    assert routed.error_type is None, routed.error_message
    assert routed.table == topic.replace("-", "_")
    assert routed.correlation_id == CID
    assert json.loads(routed.raw_value or "") == event
    assert routed.raw_encoding == "utf-8"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Malformation.INVALID_JSON, ErrorType.INVALID_JSON),
        (Malformation.NON_UTF8, ErrorType.NOT_UTF8),
        (Malformation.SCHEMA_VIOLATION, ErrorType.SCHEMA_VIOLATION),
        (Malformation.MISSING_KEY_FIELD, ErrorType.MISSING_KEY),
        (Malformation.OVERSIZE, ErrorType.OVERSIZE),
        (Malformation.EMPTY, ErrorType.INVALID_JSON),
    ],
)
@pytest.mark.parametrize("topic", ["trips", "gps-pings", "payments"])
def test_each_malformation_gets_its_error_type(
    kind: Malformation, expected: ErrorType, topic: str, factory: EventFactory
) -> None:
    payload = malformed_payload(kind, topic, factory, size_bytes=DEFAULT_MAX_BYTES + 10)
    routed = route(topic, payload)
    assert routed.is_dlq
    assert routed.error_type is expected, routed.error_message
    assert routed.error_message
    if kind is not Malformation.EMPTY:
        assert routed.correlation_id == CID, "correlation id must be found even in broken payloads"


def test_not_utf8_keeps_exact_bytes_as_base64(factory: EventFactory) -> None:
    payload = malformed_payload(Malformation.NON_UTF8, "trips", factory)
    routed = route("trips", payload)
    assert routed.raw_encoding == "base64"
    assert base64.b64decode(routed.raw_value or "") == payload


def test_oversize_keeps_a_bounded_prefix() -> None:
    payload = b'{"correlation_id":"big","x":"' + b"y" * 100_000 + b'"}'
    routed = route("trips", payload, max_bytes=1000)
    assert routed.error_type is ErrorType.OVERSIZE
    assert "100" in (routed.error_message or "")
    assert base64.b64decode(routed.raw_value or "") == payload[:OVERSIZE_KEEP_BYTES]
    assert routed.correlation_id == "big"


def test_size_limit_is_inclusive(factory: EventFactory) -> None:
    payload = json.dumps(factory.event_for("trips")).encode()
    assert route("trips", payload, max_bytes=len(payload)).error_type is None
    assert route("trips", payload, max_bytes=len(payload) - 1).error_type is ErrorType.OVERSIZE


def test_tombstone_is_invalid_json() -> None:
    routed = route("trips", None)
    assert routed.error_type is ErrorType.INVALID_JSON
    assert routed.raw_value is None


def test_json_that_is_not_an_object_violates_the_schema() -> None:
    routed = route("trips", b'["correlation_id", 1]')
    assert routed.error_type is ErrorType.SCHEMA_VIOLATION
    assert routed.correlation_id is None


@pytest.mark.parametrize("empty", [None, ""])
def test_null_or_empty_key_is_missing_key(empty: str | None, factory: EventFactory) -> None:
    event = factory.event_for("gps-pings")
    event["entity_id"] = empty
    assert route("gps-pings", json.dumps(event).encode()).error_type is ErrorType.MISSING_KEY


def test_schema_violation_names_the_field(factory: EventFactory) -> None:
    event = factory.event_for("gps-pings")
    event["accuracy"] = -5
    routed = route("gps-pings", json.dumps(event).encode())
    assert routed.error_type is ErrorType.SCHEMA_VIOLATION
    assert "accuracy" in (routed.error_message or "")
    assert "gps_ping_event.json" in (routed.error_message or "")


def test_unknown_topic_is_reported() -> None:
    assert route("nope", b'{"a": 1}').error_type is ErrorType.UNKNOWN_TOPIC


def test_error_message_is_bounded() -> None:
    routed = route("trips", b"{" + b'"a":1,' * 10_000)
    assert routed.error_type is ErrorType.INVALID_JSON
    assert len(routed.error_message or "") <= 500


def test_error_types_are_the_contracts_plus_unknown_topic() -> None:
    assert [e.value for e in ErrorType] == [*ERROR_TYPES, "UNKNOWN_TOPIC"]


PREFIXED = PlatformContract(topic_prefix="it2.")


def test_physical_topics_map_back_to_logical_topics() -> None:
    names = logical_topics(PREFIXED)
    assert names["it2.gps-pings"] == "gps-pings"
    assert set(names) == {"it2." + t.name for t in TOPICS}
    assert logical_topics(PlatformContract()) == {t.name: t.name for t in TOPICS}


def test_a_prefixed_record_routes_to_the_unprefixed_table(factory: EventFactory) -> None:
    event = factory.event_for("gps-pings")
    routed = route(logical_topics(PREFIXED)["it2.gps-pings"], json.dumps(event).encode())
    assert routed.table == "gps_pings" and routed.error_type is None


def test_starting_offsets_name_every_physical_partition_and_resume_where_known() -> None:
    spec = json.loads(starting_offsets(PREFIXED, {"it2.trips": {"1": 42}, "trips": {"0": 7}}))
    assert set(spec) == {"it2." + t.name for t in TOPICS}
    assert spec["it2.trips"] == {"0": -2, "1": 42, "2": -2, "3": -2}
    assert all(len(spec["it2." + t.name]) == t.partitions for t in TOPICS)
