"""Payloads that a correct pipeline must reject (route to a DLQ), one builder per defect."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from contract.topics import topic as contract_topic

from .factories import EventFactory

# Kafka's default max message size is ~1 MB; stay below it so the broker accepts the record
# and the pipeline (not the producer) has to deal with it.
DEFAULT_OVERSIZE_BYTES = 512 * 1024


class Malformation(Enum):
    """How a payload is broken."""

    INVALID_JSON = "invalid_json"
    NON_UTF8 = "non_utf8"
    SCHEMA_VIOLATION = "schema_violation"
    MISSING_KEY_FIELD = "missing_key_field"
    OVERSIZE = "oversize"
    EMPTY = "empty"


def _dump(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def malformed_payload(
    kind: Malformation, topic: str, factory: EventFactory, *, size_bytes: int = DEFAULT_OVERSIZE_BYTES
) -> bytes:
    """Bytes for ``topic`` broken in the way ``kind`` says. The correlation id stays findable in the raw bytes."""
    t = contract_topic(topic)
    event = factory.event_for(topic)
    cid = factory.correlation_id
    if kind is Malformation.INVALID_JSON:
        return _dump(event)[:-12] + b',"truncated'  # cut mid-object
    if kind is Malformation.NON_UTF8:
        # Valid JSON structure, but a latin-1 byte sequence that is not UTF-8.
        return b'{"correlation_id":"' + cid.encode() + b'","note":"S\xe3o Paulo \xff\xfe"}'
    if kind is Malformation.SCHEMA_VIOLATION:
        # Required field of the wrong type: timestamp as epoch millis instead of a date-time string.
        event["timestamp"] = 1_700_000_000_000
        return _dump(event)
    if kind is Malformation.MISSING_KEY_FIELD:
        event.pop(t.key_field, None)
        return _dump(event)
    if kind is Malformation.OVERSIZE:
        base = _dump(event)
        pad = max(0, size_bytes - len(base) - len(',"padding":""'))
        event["padding"] = "x" * pad
        return _dump(event)
    if kind is Malformation.EMPTY:
        return b""
    raise ValueError(f"Unknown malformation {kind}")  # pragma: no cover
