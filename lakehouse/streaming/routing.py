"""Decide where one Kafka record goes: its topic's Bronze table or the DLQ.

Pure functions of (logical topic, raw bytes, size limit): no Spark, no I/O, unit-tested
in ``tests/unit/test_streaming_routing.py``. Topic names are the contract's *logical*
names; the streaming job maps the physical (prefixed) topic back before routing.
The checks run cheapest first, and the first failing check names the error type:

``OVERSIZE`` → ``NOT_UTF8`` → ``INVALID_JSON`` → ``MISSING_KEY`` → ``SCHEMA_VIOLATION``
(:data:`contract.layout.ERROR_TYPES`; ``UNKNOWN_TOPIC`` if a topic has no contract, which
subscribe-by-list prevents).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from contract.platform import PlatformContract
from contract.topics import TOPICS, Topic

try:  # the streaming job's venv: a compiled validator for the common case, a valid record
    import jsonschema_rs
except ImportError:  # elsewhere (unit tests, the toolkit) every record takes the reference validator
    jsonschema_rs = None

DEFAULT_MAX_BYTES = 64 * 1024
# How much of an oversize payload the DLQ keeps (the rest is counted, not stored).
OVERSIZE_KEEP_BYTES = 1024
MAX_MESSAGE_CHARS = 500


class ErrorType(StrEnum):
    """:data:`contract.layout.ERROR_TYPES` plus ``UNKNOWN_TOPIC`` (a unit test keeps them equal)."""

    OVERSIZE = "OVERSIZE"
    NOT_UTF8 = "NOT_UTF8"
    INVALID_JSON = "INVALID_JSON"
    MISSING_KEY = "MISSING_KEY"
    SCHEMA_VIOLATION = "SCHEMA_VIOLATION"
    UNKNOWN_TOPIC = "UNKNOWN_TOPIC"


@dataclass(frozen=True)
class Routed:
    """Where a record goes and what it carries there."""

    table: str | None  # Bronze table name; None means the DLQ
    raw_value: str | None
    raw_encoding: str  # "utf-8" or "base64"
    correlation_id: str | None
    error_type: ErrorType | None = None
    error_message: str | None = None

    @property
    def is_dlq(self) -> bool:
        return self.table is None


_BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}


@cache
def validator(topic_name: str) -> Draft202012Validator:
    return Draft202012Validator(_BY_NAME[topic_name].schema())


@cache
def fast_validator(topic_name: str) -> Any:
    """``jsonschema_rs`` validator of the topic's schema (about 100x faster than ``jsonschema``), or None.

    Only its yes counts: a record it accepts goes to Bronze; one it rejects is validated again by
    :func:`validator`, whose verdict and message decide. Formats are annotations in both (as in
    ``Draft202012Validator`` without a format checker).
    """
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.validator_for(_BY_NAME[topic_name].schema(), validate_formats=False)


def _correlation_id(doc: Any) -> str | None:
    if isinstance(doc, dict):
        value = doc.get("correlation_id")
        if isinstance(value, str) and value:
            return value
    return None


def _sniff_correlation_id(text: str) -> str | None:
    """Best effort for payloads that do not parse: find ``"correlation_id":"…"`` in the text."""
    marker = '"correlation_id"'
    at = text.find(marker)
    if at < 0:
        return None
    rest = text[at + len(marker):].lstrip()
    if not rest.startswith(":"):
        return None
    rest = rest[1:].lstrip()
    if not rest.startswith('"'):
        return None
    end = rest.find('"', 1)
    return rest[1:end] or None if end > 1 else None


def _dlq(kind: ErrorType, message: str, raw: str | None, encoding: str, cid: str | None) -> Routed:
    return Routed(None, raw, encoding, cid, kind, message[:MAX_MESSAGE_CHARS])


def route(topic_name: str, value: bytes | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Routed:
    """Route one record of ``topic_name`` whose Kafka value is ``value``."""
    raw = value if value is not None else b""
    if len(raw) > max_bytes:
        head = raw[:OVERSIZE_KEEP_BYTES]
        text = head.decode("utf-8", "ignore")
        return _dlq(
            ErrorType.OVERSIZE,
            f"payload of {len(raw)} bytes exceeds the limit of {max_bytes} bytes; "
            f"_raw_value keeps the first {len(head)} bytes",
            base64.b64encode(head).decode("ascii"),
            "base64",
            _sniff_correlation_id(text),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return _dlq(
            ErrorType.NOT_UTF8,
            f"payload is not valid UTF-8: {error.reason} at byte {error.start}",
            base64.b64encode(raw).decode("ascii"),
            "base64",
            _sniff_correlation_id(raw.decode("utf-8", "replace")),
        )
    if value is None:
        return _dlq(ErrorType.INVALID_JSON, "record has a null value (tombstone)", None, "utf-8", None)
    try:
        doc = json.loads(text)
    except ValueError as error:
        return _dlq(ErrorType.INVALID_JSON, f"invalid JSON: {error}", text, "utf-8", _sniff_correlation_id(text))
    cid = _correlation_id(doc)
    topic = _BY_NAME.get(topic_name)
    if topic is None:
        return _dlq(ErrorType.UNKNOWN_TOPIC, f"no contract for topic '{topic_name}'", text, "utf-8", cid)
    if not isinstance(doc, dict):
        kind = type(doc).__name__
        return _dlq(ErrorType.SCHEMA_VIOLATION, f"payload is a JSON {kind}, not an object", text, "utf-8", cid)
    key = doc.get(topic.key_field)
    if key is None or key == "":
        return _dlq(ErrorType.MISSING_KEY, f"key field '{topic.key_field}' is missing or empty", text, "utf-8", cid)
    fast = fast_validator(topic_name)
    if fast is not None and fast.is_valid(doc):
        return Routed(topic.table, text, "utf-8", cid)
    error = best_match(validator(topic_name).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return _dlq(
            ErrorType.SCHEMA_VIOLATION,
            f"{topic.schema_file}: {where}: {error.message}",
            text,
            "utf-8",
            cid,
        )
    return Routed(topic.table, text, "utf-8", cid)


def logical_topics(contract: PlatformContract) -> dict[str, str]:
    """Physical topic on the broker (with the platform's prefix) -> the contract's logical topic."""
    return {contract.topic_name(t.name): t.name for t in TOPICS}


def starting_offsets(contract: PlatformContract, resume: Mapping[str, Mapping[str, int]]) -> str:
    """Spark's ``startingOffsets`` JSON over the physical topics: the resume point of each partition
    (``resume`` is keyed by physical topic, as ``_kafka_topic`` is), ``-2`` (earliest) where none."""
    spec = {
        name: {str(p): resume.get(name, {}).get(str(p), -2) for p in range(t.partitions)}
        for t in TOPICS
        for name in (contract.topic_name(t.name),)
    }
    return json.dumps(spec)
