"""The rideshare domain's data contracts: topics, partitions, schemas, buckets.

Declared once here; kafka-init, schema-init, the streaming job, the EventLibrary
and the suites all read this module.
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
    # Fields an event must carry to be routable (besides passing its schema).
    key_field: str

    @property
    def subject(self) -> str:
        """Schema-registry subject under the TopicNameStrategy."""
        return f"{self.name}-value"

    @property
    def table(self) -> str:
        """Bronze table name (path under the bronze bucket)."""
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

BUCKETS: tuple[str, ...] = ("bronze", "silver", "gold")


def topic(name: str) -> Topic:
    for t in TOPICS:
        if t.name == name:
            return t
    raise KeyError(f"Unknown topic '{name}'. Known topics: {', '.join(t.name for t in TOPICS)}")


@cache
def load_schema(filename: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / filename).read_text())
