"""Bronze-shaped Delta tables for developing and benchmarking the dbt project without Spark.

The tables have exactly the Bronze column layout of the contract (``contract.layout``), but
they go to a scratch root (for example ``s3://dbtdev/<run>/bronze``), never to the Bronze
bucket the streaming job owns.

:func:`generate_events` builds a consistent rideshare world (profiles, completed and
cancelled trips with payments, ratings, GPS pings and status changes) whose event JSON
follows the contract's schemas (``contract/schemas``) and whose zones are the contract's
(``contract.zones``, the dbt seed); :func:`expected_gold` computes the Gold figures the dbt
project must produce from it, independently of the SQL.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa

from contract.layout import PARTITION_COLUMN, arrow_schema
from contract.platform import PlatformContract
from contract.storage import S3Access, delta_storage_options
from contract.topics import TOPICS
from contract.zones import zone_ids

BRONZE_SCHEMA = arrow_schema("bronze")
# Bronze table -> logical topic (the ``_kafka_topic`` written; dbt reads the JSON, not this column).
TABLE_TOPIC = {t.table: t.name for t in TOPICS}
ZONES = zone_ids()


def storage_options(target: S3Access) -> dict[str, str]:
    """delta-rs options for the target's object store (the contract's one builder)."""
    return delta_storage_options(target)


def bronze_roots(target: PlatformContract | None = None) -> tuple[str, ...]:
    """The Bronze roots the streaming job owns (``s3://`` and ``s3a://``), which devdata never writes."""
    names = target or PlatformContract()
    return (names.layer_root("bronze"), names.layer_root("bronze", "s3a"))


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class World:
    """Events per Bronze table, in publication order."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, event: dict[str, Any]) -> dict[str, Any]:
        self.events[table].append(event)
        return event

    def total(self) -> int:
        return sum(len(v) for v in self.events.values())


def _eid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate_events(
    n_trips: int,
    *,
    seed: int = 7,
    start: datetime = datetime(2026, 3, 2, 6, 0, tzinfo=UTC),
    pings_per_trip: int = 4,
    n_drivers: int | None = None,
    n_riders: int | None = None,
    correlation_prefix: str = "dev",
) -> World:
    """A deterministic world: ~``n_trips`` trips (80 % completed, 20 % cancelled)."""
    rng = random.Random(seed)
    w = World()
    n_drivers = n_drivers or max(2, n_trips // 20)
    n_riders = n_riders or max(2, n_trips // 5)
    drivers = [f"driver-{i:06d}" for i in range(n_drivers)]
    riders = [f"rider-{i:06d}" for i in range(n_riders)]
    for i, d in enumerate(drivers):
        w.add("driver_profiles", _driver_profile(rng, d, start - timedelta(days=1), "driver.created", i))
    for i, r in enumerate(riders):
        w.add("rider_profiles", _rider_profile(rng, r, start - timedelta(days=1), i))
    for i in range(n_trips):
        t0 = start + timedelta(seconds=int(i * 86400 * 2 / max(n_trips, 1)))  # spread over 2 days
        completed = rng.random() < 0.8
        trip_lifecycle(
            w, rng, trip_id=f"trip-{i:08d}", rider_id=rng.choice(riders), driver_id=rng.choice(drivers),
            t0=t0, completed=completed, pickup_zone=rng.choice(ZONES), dropoff_zone=rng.choice(ZONES),
            fare=money(rng.uniform(8, 80)), surge=money(rng.choice((1.0, 1.0, 1.0, 1.2, 1.5, 2.0))),
            pings=pings_per_trip, correlation_id=f"{correlation_prefix}-{i}",
        )
    for z in ZONES:
        w.add("surge_updates", {
            "event_id": _eid(rng), "zone_id": z, "timestamp": iso(start), "previous_multiplier": 1.0,
            "new_multiplier": 1.2, "available_drivers": 5, "pending_requests": 7, "calculation_window_seconds": 60,
        })
    return w


def _driver_profile(rng: random.Random, driver_id: str, ts: datetime, event_type: str, i: int,
                    vehicle_model: str = "Onix") -> dict[str, Any]:
    return {
        "event_id": _eid(rng), "event_type": event_type, "driver_id": driver_id, "timestamp": iso(ts),
        "first_name": "Ana", "last_name": f"Silva{i}", "email": f"{driver_id}@example.com",
        "phone": "+55 11 99999-0000",
        "home_location": [-23.56, -46.65], "preferred_zones": ["pinheiros"], "shift_preference": "morning",
        "vehicle_make": "Chevrolet", "vehicle_model": vehicle_model, "vehicle_year": 2022,
        "license_plate": f"ABC{i % 10000:04d}",
    }


def _rider_profile(rng: random.Random, rider_id: str, ts: datetime, i: int) -> dict[str, Any]:
    return {
        "event_id": _eid(rng), "event_type": "rider.created", "rider_id": rider_id, "timestamp": iso(ts),
        "first_name": "Bruno", "last_name": f"Souza{i}", "email": f"{rider_id}@example.com",
        "phone": "+55 11 98888-0000",
        "home_location": [-23.58, -46.66], "payment_method_type": "credit_card", "payment_method_masked": "****4242",
    }


def trip_lifecycle(
    w: World, rng: random.Random, *, trip_id: str, rider_id: str, driver_id: str, t0: datetime, completed: bool,
    pickup_zone: str, dropoff_zone: str, fare: Decimal, surge: Decimal, pings: int, correlation_id: str,
) -> None:
    base = {
        "trip_id": trip_id, "rider_id": rider_id, "pickup_location": [-23.561, -46.656],
        "dropoff_location": [-23.587, -46.681], "pickup_zone_id": pickup_zone, "dropoff_zone_id": dropoff_zone,
        "surge_multiplier": float(surge), "fare": float(fare), "correlation_id": correlation_id,
    }
    steps = ["requested", "matched", "started", "completed"] if completed else ["requested", "cancelled"]
    for k, state in enumerate(steps):
        ev = {"event_id": _eid(rng), "event_type": f"trip.{state}", "timestamp": iso(t0 + timedelta(minutes=5 * k)),
              **base}
        if state in ("matched", "started", "completed"):
            ev["driver_id"] = driver_id
        if state == "cancelled":
            ev["cancelled_by"] = "rider"
            ev["cancellation_stage"] = "requested"
        w.add("trips", ev)
    if not completed:
        return
    for p in range(pings):
        w.add("gps_pings", {
            "event_id": _eid(rng), "entity_type": "driver", "entity_id": driver_id,
            "timestamp": iso(t0 + timedelta(minutes=5, seconds=30 * p)),
            "location": [-23.561 - 0.001 * p, -46.656 - 0.001 * p], "accuracy": 5.0, "speed": 8.0,
            "trip_id": trip_id, "trip_state": "started", "correlation_id": correlation_id,
        })
    for k, (new, prev, trig) in enumerate((("en_route_pickup", "online", "trip_matched"),
                                            ("en_route_destination", "en_route_pickup", "trip_started"),
                                            ("online", "en_route_destination", "trip_completed"))):
        w.add("driver_status", {
            "event_id": _eid(rng), "driver_id": driver_id, "timestamp": iso(t0 + timedelta(minutes=5 * (k + 1))),
            "new_status": new, "previous_status": prev, "trigger": trig, "location": [-23.57, -46.66],
            "correlation_id": correlation_id,
        })
    fee = money(fare * Decimal("0.25"))
    w.add("payments", {
        "event_id": _eid(rng), "payment_id": f"pay-{trip_id}", "trip_id": trip_id,
        "timestamp": iso(t0 + timedelta(minutes=16)),
        "rider_id": rider_id, "driver_id": driver_id, "payment_method_type": "credit_card",
        "payment_method_masked": "****4242", "fare_amount": float(fare), "platform_fee_percentage": 25.0,
        "platform_fee_amount": float(fee), "driver_payout_amount": float(fare - fee), "currency": "BRL",
        "correlation_id": correlation_id,
    })
    for rater_type, rater, ratee_type, ratee in (("rider", rider_id, "driver", driver_id),
                                                 ("driver", driver_id, "rider", rider_id)):
        w.add("ratings", {
            "event_id": _eid(rng), "trip_id": trip_id, "timestamp": iso(t0 + timedelta(minutes=17)),
            "rater_type": rater_type, "rater_id": rater, "ratee_type": ratee_type, "ratee_id": ratee,
            "rating": rng.randint(3, 5), "correlation_id": correlation_id,
        })


def bronze_batch(
    table: str,
    events: Iterable[Mapping[str, Any] | str],
    *,
    first_offset: int = 0,
    partition: int = 0,
    ingested_at: datetime | None = None,
) -> pa.Table:
    """Events (dicts, or raw strings for malformed payloads) as a Bronze-shaped Arrow table."""
    now = ingested_at or datetime.now(UTC)
    raws, cids = [], []
    for ev in events:
        if isinstance(ev, str):
            raws.append(ev)
            cids.append(None)
        else:
            raws.append(json.dumps(ev, separators=(",", ":")))
            cids.append(ev.get("correlation_id"))
    n = len(raws)
    return pa.table(
        {
            "_raw_value": raws,
            "_kafka_topic": [TABLE_TOPIC[table]] * n,
            "_kafka_partition": pa.array([partition] * n, pa.int32()),
            "_kafka_offset": pa.array(range(first_offset, first_offset + n), pa.int64()),
            "_kafka_timestamp": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
            "_ingested_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
            "correlation_id": cids,
            "_ingestion_date": pa.array([now.date()] * n, pa.date32()),
        },
        schema=BRONZE_SCHEMA,
    )


def write_bronze(
    root: str,
    table: str,
    batch: pa.Table,
    storage_options: Mapping[str, str],
    *,
    mode: str = "append",
    protected: tuple[str, ...] | None = None,
) -> str:
    """Write a Bronze-shaped batch under ``root``. Refuses the Bronze roots the streaming job owns
    (``protected``, default :func:`bronze_roots` of the default contract: pass the target's)."""
    from deltalake import write_deltalake

    clean = root.rstrip("/")
    owned = protected if protected is not None else bronze_roots()
    if clean in owned or clean.startswith(tuple(r + "/" for r in owned)):
        raise PermissionError(f"{root} is written only by the streaming job; use a scratch root")
    path = f"{clean}/{table}"
    write_deltalake(path, batch, mode=mode, partition_by=[PARTITION_COLUMN], storage_options=dict(storage_options))
    return path


def write_world(
    root: str,
    world: World,
    storage_options: Mapping[str, str],
    *,
    mode: str = "overwrite",
    protected: tuple[str, ...] | None = None,
) -> dict[str, int]:
    """Write every table of ``world`` (one Delta commit per table). Returns rows per table."""
    counts = {}
    for table in TABLE_TOPIC:
        events = world.events.get(table, [])
        write_bronze(root, table, bronze_batch(table, events), storage_options, mode=mode, protected=protected)
        counts[table] = len(events)
    return counts


def expected_gold(world: World) -> dict[str, Any]:
    """Gold figures computed in Python from the published events (deduplicated on event_id)."""
    def unique(table: str) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for ev in world.events.get(table, []):
            seen.setdefault(ev["event_id"], ev)
        return list(seen.values())

    trips = unique("trips")
    completed = {e["trip_id"]: e for e in trips if e["event_type"] == "trip.completed"}
    requested = [e for e in trips if e["event_type"] == "trip.requested"]
    payments = unique("payments")
    revenue = sum((money(p["fare_amount"]) for p in payments), Decimal(0))
    fees = sum((money(p["platform_fee_amount"]) for p in payments), Decimal(0))
    return {
        "completed_trips": len(completed),
        "requested_trips": len({e["trip_id"] for e in requested}),
        "completed_fare": sum((money(e["fare"]) for e in completed.values()), Decimal(0)),
        "payments": len(payments),
        "gross_revenue": revenue,
        "platform_fees": fees,
        "driver_payouts": revenue - fees,
        "ratings": len(unique("ratings")),
    }
