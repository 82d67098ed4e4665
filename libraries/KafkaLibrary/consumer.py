"""Reading keywords: marks (end offsets) and waiting for matching messages after a mark."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import OffsetSpec
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify

from .context import AREA, KafkaComponent, KafkaUnavailable, UnknownTopic, describe

_TRANSPORT_CODES = {
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._TIMED_OUT,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
}
PREVIEW = 300


class MessageFilter:
    """What a message must match: key, correlation id (header or payload), headers, payload fields."""

    def __init__(
        self,
        key: str | None = None,
        correlation_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
    ):
        self.key = key
        self.correlation_id = correlation_id
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.fields = dict(fields or {})

    def could_match(self, msg: Message) -> bool:
        """Cheap test on the raw message, so a busy topic is not JSON-decoded message by message."""
        if self.key is not None and msg.key() != self.key.encode():
            return False
        if self.headers or self.correlation_id is not None:
            hdrs = dict(msg.headers() or [])
            for name, value in self.headers.items():
                if hdrs.get(name) != value.encode():
                    return False
            if self.correlation_id is not None:
                cid = self.correlation_id.encode()
                if hdrs.get("correlation_id") != cid and cid not in (msg.value() or b""):
                    return False
        return True

    def matches(self, record: Mapping[str, Any]) -> bool:
        if self.key is not None and record["key"] != self.key:
            return False
        hdrs = record["headers"]
        for name, value in self.headers.items():
            if hdrs.get(name) != value:
                return False
        value = record["value"]
        if self.correlation_id is not None:
            in_payload = isinstance(value, dict) and value.get("correlation_id") == self.correlation_id
            if hdrs.get("correlation_id") != self.correlation_id and not in_payload:
                return False
        for path, expected in self.fields.items():
            found, actual = _lookup(value, path)
            if not found or not _same(actual, expected):
                return False
        return True

    def __str__(self) -> str:
        parts = []
        if self.key is not None:
            parts.append(f"key={self.key!r}")
        if self.correlation_id is not None:
            parts.append(f"correlation_id={self.correlation_id!r}")
        parts += [f"header {k}={v!r}" for k, v in self.headers.items()]
        parts += [f"{k}={v!r}" for k, v in self.fields.items()]
        return ", ".join(parts) or "any message"


def _lookup(value: Any, path: str) -> tuple[bool, Any]:
    current = value
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def _same(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    # Robot passes strings; compare numbers and booleans by their text too.
    text = json.dumps(actual) if isinstance(actual, bool | type(None)) else str(actual)
    return text == str(expected)


def to_record(msg: Message) -> dict[str, Any]:
    raw = msg.value()
    value: Any = raw
    if raw is not None:
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                value = raw
    key = msg.key()
    ts_type, ts = msg.timestamp()
    return {
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "timestamp": datetime.fromtimestamp(ts / 1000, UTC).isoformat(timespec="milliseconds") if ts_type else None,
        "key": key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else key,
        "headers": {
            k: (v.decode("utf-8", "backslashreplace") if v is not None else None) for k, v in msg.headers() or []
        },
        "value": value,
        "size": len(raw or b""),
    }


def log_records(records: list[dict[str, Any]], caption: str, level: str = "INFO") -> None:
    rows = []
    for r in records:
        value = r["value"]
        text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else value
        if isinstance(text, bytes):
            text = text.decode("utf-8", "backslashreplace")
        text = "NULL" if text is None else str(text)
        rows.append(
            {
                "partition": r["partition"],
                "offset": r["offset"],
                "timestamp": r["timestamp"],
                "key": r["key"],
                "headers": r["headers"],
                "value": text[:PREVIEW] + ("…" if len(text) > PREVIEW else ""),
            }
        )
    htmllog.log_table(rows, caption=caption, level=level)


class ConsumerKeywords(KafkaComponent):
    @keyword(tags=(AREA, "Getter"))
    def mark_topic_position(self, topic: str, timeout: timedelta | None = None) -> dict[str, Any]:
        """Returns a mark: the current end offset of every partition of ``topic`` (logical, e.g. ``trips``;
        the mark holds the physical name).

        Keep it in a variable and pass it to `Wait For Messages Since Mark`; only messages
        published after the mark are considered. The library itself stores nothing.

        | ${mark}= | Mark Topic Position | trips |
        | Publish Events | trips | ${events} |
        | Wait For Messages Since Mark | ${mark} | correlation_id=${cid} | count=6 |
        """
        topic, seconds = self.physical(topic), self.timeout(timeout)
        offsets = self._end_offsets(topic, seconds)
        mark = {"topic": topic, "offsets": offsets, "marked_at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        logger.info(f"Marked {topic} at end offsets {offsets}")
        return mark

    @keyword(tags=(AREA, "Wait"))
    def wait_for_messages_since_mark(
        self,
        mark: dict[str, Any],
        count: int = 1,
        key: str | None = None,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
        exact: bool = False,
        timeout: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until at least ``count`` messages published after ``mark`` match, and returns them.

        Filters combine with AND:
        | =Argument=     | =Matches when= |
        | key            | the message key equals it |
        | correlation_id | the ``correlation_id`` header or payload field equals it |
        | headers        | every given header has the given value |
        | fields         | every payload field (dotted path, e.g. ``location.0``) equals the value (compared as text) |

        With ``exact=True`` it fails if more than ``count`` messages match once ``count`` is reached.
        Each returned message is ``{topic, partition, offset, timestamp, key, headers, value, size}``;
        ``value`` is parsed JSON when possible. Matches are logged as an HTML table.

        | ${msgs}= | Wait For Messages Since Mark | ${mark} | correlation_id=${cid} | count=6 |
        | Wait For Messages Since Mark | ${mark} | key=${trip_id} | fields={"event_type": "trip.completed"} |
        """
        if count < 1:
            raise ValueError(f"count must be ≥ 1, got {count}")
        topic, start = _parse_mark(mark)
        flt = MessageFilter(key, correlation_id, headers, fields)
        seconds = self.timeout(timeout)
        matched: list[dict[str, Any]] = []
        scanned = [0]
        read_to: dict[int, int] = {}
        consumer = self._consumer_from(topic, start, seconds)
        try:

            def probe() -> list[dict[str, Any]]:
                for record in self._drain(consumer, topic, budget=1.0, prefilter=flt, positions=read_to):
                    if flt.matches(record):
                        matched.append(record)
                scanned[0] = sum(read_to[p] - start.get(p, 0) for p in read_to)
                return matched

            try:
                self.wait_until(
                    probe,
                    lambda m: len(m) >= count,
                    timeout=seconds,
                    description=f"{count} message(s) on '{topic}' since mark matching {flt}",
                    describe=lambda m: f"{len(m)} matching of {scanned[0]} message(s) read since the mark",
                    transient=(KafkaUnavailable,),
                )
            except AssertionError:
                log_records(matched, f"Matching messages on {topic} when the wait ended")
                raise
            if exact:
                probe()
        finally:
            consumer.close()
        log_records(matched, f"Messages on {topic} since mark matching {flt}")
        if exact and len(matched) != count:
            raise AssertionError(f"Expected exactly {count} message(s) on '{topic}' matching {flt}, got {len(matched)}")
        return matched

    @keyword(tags=(AREA, "Getter"))
    def get_messages_since_mark(
        self,
        mark: dict[str, Any],
        key: str | None = None,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
        timeout: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Returns the matching messages between ``mark`` and the current end of the topic, without waiting for more.

        | ${msgs}= | Get Messages Since Mark | ${mark} | correlation_id=${cid} |
        """
        records = self._read_to_end(mark, MessageFilter(key, correlation_id, headers, fields), timeout)
        return records

    @keyword(tags=(AREA, "Getter"))
    def get_message_count_since_mark(
        self,
        mark: dict[str, Any],
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        key: str | None = None,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Returns how many messages since ``mark`` match (up to the current end); optionally asserts it,
        reading again for ``retry_timeout`` until the assertion holds.

        | Get Message Count Since Mark | ${mark} | == | 0 | correlation_id=${cid} |
        | Get Message Count Since Mark | ${mark} | >= | 6 | correlation_id=${cid} | retry_timeout=30 s |
        """
        flt = MessageFilter(key, correlation_id, headers, fields)
        return get_and_verify(
            lambda: len(self._read_to_end(mark, flt, timeout)),
            assertion_operator,
            assertion_expected,
            f"Messages on '{mark.get('topic')}' since mark matching {flt}",
            message,
            retry_timeout,
            verify=int_str_verify_assertion,
        )

    # --- internals ------------------------------------------------------------------
    def _end_offsets(self, topic: str, seconds: float) -> dict[int, int]:
        meta = self.require_topic(topic, seconds)
        partitions = sorted(meta.partitions)

        def probe() -> dict[int, int]:
            request = {TopicPartition(topic, p): OffsetSpec.latest() for p in partitions}
            try:
                futures = self.admin().list_offsets(request, request_timeout=seconds)
                return {tp.partition: f.result(timeout=seconds).offset for tp, f in futures.items()}
            except KafkaException as error:
                code = error.args[0].code() if error.args and isinstance(error.args[0], KafkaError) else None
                if code in _TRANSPORT_CODES:  # e.g. a new topic whose leaders are still being elected
                    raise KafkaUnavailable(describe(error)) from None
                raise AssertionError(f"Could not read end offsets of '{topic}': {describe(error)}") from None

        offsets = self.wait_until(
            probe,
            lambda _: True,
            timeout=seconds,
            description=f"end offsets of '{topic}'",
            transient=(KafkaUnavailable,),
            log=False,
        )
        return dict(sorted(offsets.items()))

    def _consumer_from(self, topic: str, start: Mapping[int, int], seconds: float) -> Consumer:
        meta = self.require_topic(topic, seconds)
        consumer = Consumer(
            {
                **self.base_config(),
                "group.id": f"lhkit-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "allow.auto.create.topics": False,
                "fetch.wait.max.ms": 100,
                "session.timeout.ms": 10_000,
            }
        )
        # Partitions added after the mark are read from their beginning.
        consumer.assign([TopicPartition(topic, p, int(start.get(p, 0))) for p in sorted(meta.partitions)])
        return consumer

    @staticmethod
    def _drain(
        consumer: Consumer,
        topic: str,
        budget: float,
        prefilter: MessageFilter | None = None,
        positions: dict[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Reads what is available now (at most ``budget`` seconds); returns records passing ``prefilter``."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=1000, timeout=0.1)
            if not batch:
                break
            for msg in batch:
                err = msg.error()
                if err is None:
                    if positions is not None:
                        positions[msg.partition()] = max(positions.get(msg.partition(), 0), msg.offset() + 1)
                    if prefilter is None or prefilter.could_match(msg):
                        out.append(to_record(msg))
                elif err.code() == KafkaError._PARTITION_EOF:
                    continue
                elif err.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
                    raise UnknownTopic(f"Topic '{topic}' does not exist (any more): {err.str()}")
                elif err.code() in _TRANSPORT_CODES:
                    raise KafkaUnavailable(f"{err.name()}: {err.str()}")
                else:
                    raise AssertionError(f"Error while reading '{topic}': {err.name()}: {err.str()}")
        return out

    def _read_to_end(
        self, mark: Mapping[str, Any], flt: MessageFilter, timeout: timedelta | None
    ) -> list[dict[str, Any]]:
        topic, start = _parse_mark(mark)
        seconds = self.timeout(timeout)
        end = self._end_offsets(topic, seconds)
        consumer = self._consumer_from(topic, start, seconds)
        records: list[dict[str, Any]] = []
        positions = {p: int(start.get(p, 0)) for p in end}
        deadline = time.monotonic() + seconds
        try:
            while any(positions[p] < end[p] for p in end):
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"Could not read '{topic}' up to end offsets {end} within {seconds:g} s (reached {positions})"
                    )
                for record in self._drain(consumer, topic, budget=0.5, prefilter=flt, positions=positions):
                    if record["offset"] < end.get(record["partition"], 0) and flt.matches(record):
                        records.append(record)
                # Compacted or aborted ranges leave gaps; trust the consumer position.
                for tp in consumer.position([TopicPartition(topic, p) for p in end]):
                    if tp.offset >= 0:
                        positions[tp.partition] = max(positions[tp.partition], tp.offset)
        finally:
            consumer.close()
        log_records(records, f"Messages on {topic} since mark matching {flt}")
        return records


def _parse_mark(mark: Mapping[str, Any]) -> tuple[str, dict[int, int]]:
    try:
        topic = str(mark["topic"])
        offsets = {int(p): int(o) for p, o in dict(mark["offsets"]).items()}
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"Not a mark from 'Mark Topic Position': {mark!r}") from None
    return topic, offsets
