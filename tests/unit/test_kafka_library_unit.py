"""KafkaLibrary pure logic: message matching, correlation handling, headers, marks."""

from __future__ import annotations

import pytest

from KafkaLibrary import KafkaLibrary, MessageFilter
from KafkaLibrary.consumer import _parse_mark, to_record
from KafkaLibrary.producer import encode_headers, with_correlation

VOCABULARY = {"Getter", "Assertion", "Wait", "Setter", "Destructive"}
PREFIXED = {"name": "stg", "test_environment": True, "topic_prefix": "stg.", "kafka_bootstrap": "127.0.0.1:1"}


def record(**kw: object) -> dict:
    base = {
        "key": "trip-1",
        "headers": {"correlation_id": "cid-1"},
        "value": {"correlation_id": "cid-1", "a": {"b": 2}},
    }
    base.update(kw)
    return base


def test_filter_matches_on_key_header_payload_and_correlation_id() -> None:
    assert MessageFilter().matches(record())
    assert MessageFilter(key="trip-1").matches(record())
    assert not MessageFilter(key="trip-2").matches(record())
    assert MessageFilter(correlation_id="cid-1").matches(record(headers={}))  # payload only
    assert MessageFilter(correlation_id="cid-1").matches(record(value=b"\xff"))  # header only
    assert not MessageFilter(correlation_id="cid-2").matches(record())
    assert MessageFilter(headers={"correlation_id": "cid-1"}).matches(record())
    assert not MessageFilter(headers={"x": "1"}).matches(record())
    assert MessageFilter(fields={"a.b": "2"}).matches(record())  # Robot passes text
    assert MessageFilter(fields={"a.b": 2}).matches(record())
    assert not MessageFilter(fields={"a.c": 2}).matches(record())
    assert not MessageFilter(fields={"a.b": 2}).matches(record(value="not json"))
    assert MessageFilter(fields={"flag": "true"}).matches(record(value={"flag": True}))
    assert MessageFilter(fields={"loc.0": "1.5"}).matches(record(value={"loc": [1.5, 2]}))
    assert "key='trip-1'" in str(MessageFilter(key="trip-1", fields={"x": 1}))


def test_with_correlation_copies_and_refuses_conflicts() -> None:
    event = {"a": 1}
    out, cid = with_correlation(event, "cid-1", 0)
    assert out == {"a": 1, "correlation_id": "cid-1"} and cid == "cid-1"
    assert event == {"a": 1}  # caller's dict untouched
    out, cid = with_correlation({"correlation_id": "cid-9"}, None, 0)
    assert cid == "cid-9"
    with pytest.raises(ValueError, match="cid-9"):
        with_correlation({"correlation_id": "cid-9"}, "cid-1", 3)
    with pytest.raises(TypeError, match="Publish Raw"):
        with_correlation(b"raw", None, 0)  # type: ignore[arg-type]


def test_headers_carry_the_correlation_id_once() -> None:
    assert encode_headers({"source": "robot"}, "cid-1") == [("source", b"robot"), ("correlation_id", b"cid-1")]
    assert encode_headers({"correlation_id": "given"}, "cid-1") == [("correlation_id", b"given")]
    assert encode_headers(None, None) == []


def test_logical_topics_map_to_the_targets_physical_names() -> None:
    lib = KafkaLibrary(target=PREFIXED)
    topics = lib.keywords["publish_event"].__self__
    assert topics.physical("trips") == "stg.trips"
    assert topics.physical("gps_pings") == "stg.gps-pings"  # Bronze table name
    assert topics.physical("stg.trips") == "stg.trips"  # already physical
    assert topics.physical("scratch-1") == "scratch-1"  # not a contract topic: as given
    assert topics.key_field("trips") == "trip_id"
    assert topics.key_field("stg.gps-pings") == "entity_id"
    assert topics.key_field("scratch") is None


def test_keyword_tags_come_from_the_closed_vocabulary() -> None:
    lib = KafkaLibrary(bootstrap="127.0.0.1:1")
    for name in lib.get_keyword_names():
        tags = set(lib.get_keyword_tags(name))
        assert "Kafka" in tags and tags - {"Kafka"} <= VOCABULARY and tags - {"Kafka"}, (name, tags)


def test_library_wide_timeout_is_the_default_of_every_keyword() -> None:
    lib = KafkaLibrary(bootstrap="127.0.0.1:1", timeout="7 s")
    component = lib.keywords["list_topics"].__self__
    assert component.timeout(None) == 7.0 and component.timeout("2 s") == 2.0
    assert KafkaLibrary(bootstrap="127.0.0.1:1").ctx.timeout == 30.0


def test_marks_are_validated() -> None:
    assert _parse_mark({"topic": "t", "offsets": {"0": "5", 1: 7}}) == ("t", {0: 5, 1: 7})
    with pytest.raises(ValueError, match="Mark Topic Position"):
        _parse_mark({"offsets": {}})


class FakeMessage:
    def __init__(self, value: bytes | None, key: bytes | None = b"k"):
        self._value, self._key = value, key

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return 1

    def offset(self) -> int:
        return 42

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def headers(self) -> list[tuple[str, bytes]]:
        return [("correlation_id", b"cid")]


def test_records_parse_json_and_keep_undecodable_bytes() -> None:
    r = to_record(FakeMessage(b'{"a": 1}'))  # type: ignore[arg-type]
    assert r["value"] == {"a": 1} and r["key"] == "k" and r["headers"] == {"correlation_id": "cid"}
    assert r["timestamp"].startswith("2023-11-14T22:13:20")
    assert to_record(FakeMessage(b"plain text"))["value"] == "plain text"  # type: ignore[arg-type]
    assert to_record(FakeMessage(b"\xff\xfe"))["value"] == b"\xff\xfe"  # type: ignore[arg-type]
    assert to_record(FakeMessage(None, None))["value"] is None  # type: ignore[arg-type]


def test_library_imports_without_connecting_and_exposes_keywords() -> None:
    lib = KafkaLibrary(bootstrap="127.0.0.1:1")
    names = set(lib.get_keyword_names())
    for expected in (
        "publish_events",
        "publish_event",
        "publish_raw",
        "mark_topic_position",
        "wait_for_messages_since_mark",
        "create_topic",
        "delete_topic",
        "recreate_topic",
        "get_topic_partitions",
        "list_topics",
    ):
        assert expected in names


def test_destructive_keywords_refuse_non_test_targets() -> None:
    target = {"name": "prod", "backend": "external", "test_environment": False, "kafka_bootstrap": "127.0.0.1:1"}
    lib = KafkaLibrary(target=target)
    with pytest.raises(PermissionError, match="not marked as a test environment"):
        lib.run_keyword("delete_topic", ["trips"], {})
    with pytest.raises(PermissionError):
        lib.run_keyword("recreate_topic", ["trips"], {})


def test_prefilter_rejects_on_raw_bytes_and_never_drops_a_match() -> None:
    msg = FakeMessage(b'{"correlation_id": "cid", "a": 1}')
    assert MessageFilter(correlation_id="cid").could_match(msg)  # type: ignore[arg-type]
    assert not MessageFilter(correlation_id="other").could_match(msg)  # type: ignore[arg-type]
    assert MessageFilter(key="k").could_match(msg) and not MessageFilter(key="x").could_match(msg)  # type: ignore[arg-type]
    assert not MessageFilter(headers={"correlation_id": "x"}).could_match(msg)  # type: ignore[arg-type]
    assert MessageFilter(fields={"a": 1}).could_match(msg)  # type: ignore[arg-type]
