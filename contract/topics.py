"""The rideshare domain's event topics: logical names, partitions, key fields, JSON Schemas.

Names here are *logical* (``trips``); a platform may prefix them on the broker
(:meth:`contract.platform.PlatformContract.topic_name`). The Bronze table of a
topic is its logical name with ``_`` for ``-`` and is never prefixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    schema_file: str
    # The field an event must carry to be routable (besides passing its schema); also the Kafka key.
    key_field: str

    @property
    def table(self) -> str:
        """Bronze table name (path under the Bronze root)."""
        return self.name.replace("-", "_")

    def schema(self) -> dict[str, Any]:
        return load_schema(self.schema_file)


TOPICS: tuple[Topic, ...] = (
    Topic("trips", 4, "trip_event.json", "trip_id"),
    Topic("gps-pings", 8, "gps_ping_event.json", "entity_id"),
    Topic("driver-status", 2, "driver_status_event.json", "driver_id"),
    Topic("surge-updates", 2, "surge_update_event.json", "zone_id"),
    Topic("ratings", 2, "rating_event.json", "trip_id"),
    Topic("payments", 2, "payment_event.json", "trip_id"),
    Topic("driver-profiles", 1, "driver_profile_event.json", "driver_id"),
    Topic("rider-profiles", 1, "rider_profile_event.json", "rider_id"),
)


def topic(name: str) -> Topic:
    """The topic of a logical name (``gps-pings``) or its table name (``gps_pings``)."""
    for t in TOPICS:
        if name in (t.name, t.table):
            return t
    raise KeyError(f"Unknown topic '{name}'. Known topics: {', '.join(t.name for t in TOPICS)}")


@cache
def load_schema(filename: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / filename).read_text())


def enum_values(schema_file: str, prop: str) -> list[str]:
    """The non-null ``enum`` of a property (following one ``$defs`` reference)."""
    schema = load_schema(schema_file)
    spec = schema["properties"][prop]
    if "$ref" in spec:
        spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]]
    return [v for v in spec["enum"] if v is not None]
