"""Deterministic builders of valid rideshare events, one per topic of :mod:`contract.topics`.

Pure Python, no Robot imports: the keyword layer, benchmarks and pytest all use it.
Given the same ``seed`` and ``start`` time, every builder returns the same events
(ids included), so a failing test can be reproduced exactly.

Zone ids come from :mod:`contract.zones`, the source the dbt seed copies, so every
generated trip and surge update joins a ``dim_zones`` row.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contract import zones as contract_zones
from contract.topics import topic as contract_topic

Event = dict[str, Any]

# São Paulo, as in the upstream simulation; pings random-walk inside this box (well inside the
# contract's service area, contract.zones.LAT_RANGE / LON_RANGE).
LAT_RANGE = (-23.75, -23.35)
LON_RANGE = (-46.82, -46.36)
# The zone reference data's ids: the dbt seed is a guarded copy of the same file.
ZONES = contract_zones.zone_ids()
TRIP_LIFECYCLE = ("requested", "matched", "driver_en_route", "driver_arrived", "started", "completed")
# Seconds between consecutive lifecycle steps (requested→matched→…→completed).
TRIP_STEP_SECONDS = (5, 2, 180, 30, 600)
TRIP_STATE_OF_STEP = {
    "requested": "requested",
    "matched": "matched",
    "driver_en_route": "driver_en_route",
    "driver_arrived": "driver_arrived",
    "started": "started",
    "completed": "completed",
}
FIRST_NAMES = ("Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabriela", "Hugo", "Isabel", "João")
LAST_NAMES = ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida")
VEHICLES = (("Toyota", "Corolla"), ("Honda", "Civic"), ("Chevrolet", "Onix"), ("Fiat", "Argo"), ("Hyundai", "HB20"))
CENT = Decimal("0.01")


def seed_from(*parts: object) -> int:
    """A stable 64-bit seed from arbitrary parts (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def iso(ts: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a ``Z`` suffix, the format every schema expects."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(value: Decimal | float | str) -> float:
    return float(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


class EventFactory:
    """Builds schema-valid events. Every event carries ``correlation_id``.

    ``seed`` defaults to one derived from the correlation id, so two calls with the
    same correlation id (and ``start``) agree, and different tests never share ids.
    """

    def __init__(self, correlation_id: str, *, seed: int | None = None, start: datetime | None = None):
        if not correlation_id:
            raise ValueError("correlation_id must not be empty")
        self.correlation_id = correlation_id
        self.rng = random.Random(seed_from("events", correlation_id) if seed is None else seed)
        start = start or datetime.now(UTC)
        self.start = start if start.tzinfo else start.replace(tzinfo=UTC)

    # --- primitives ------------------------------------------------------------------
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.getrandbits(48):012x}"

    def location(self) -> list[float]:
        return [round(self.rng.uniform(*LAT_RANGE), 6), round(self.rng.uniform(*LON_RANGE), 6)]

    def zone(self) -> str:
        return self.rng.choice(ZONES)

    def _base(self, ts: datetime, causation_id: str | None = None) -> Event:
        event: Event = {"event_id": self.uuid(), "timestamp": iso(ts), "correlation_id": self.correlation_id}
        if causation_id:
            event["causation_id"] = causation_id
        return event

    # --- trips -----------------------------------------------------------------------
    def trip_lifecycle(
        self,
        *,
        trip_id: str | None = None,
        rider_id: str | None = None,
        driver_id: str | None = None,
        steps: tuple[str, ...] = TRIP_LIFECYCLE,
    ) -> list[Event]:
        """The six events of a completed trip, each caused by the previous one."""
        unknown = [s for s in steps if s not in TRIP_LIFECYCLE]
        if unknown:
            raise ValueError(f"Unknown trip step(s) {unknown}; known: {', '.join(TRIP_LIFECYCLE)}")
        trip_id = trip_id or self.new_id("trip")
        rider_id = rider_id or self.new_id("rider")
        driver_id = driver_id or self.new_id("driver")
        pickup, dropoff = self.location(), self.location()
        common = {
            "trip_id": trip_id,
            "rider_id": rider_id,
            "pickup_location": pickup,
            "dropoff_location": dropoff,
            "pickup_zone_id": self.zone(),
            "dropoff_zone_id": self.zone(),
            "surge_multiplier": self.rng.choice((1.0, 1.0, 1.2, 1.5, 2.0)),
            "fare": money(self.rng.uniform(8, 80)),
        }
        events: list[Event] = []
        ts = self.start
        previous: str | None = None
        for index, step in enumerate(TRIP_LIFECYCLE):
            if index:
                ts += timedelta(seconds=TRIP_STEP_SECONDS[index - 1])
            event = self._base(ts, previous)
            event.update({"event_type": f"trip.{step}", **common})
            event["driver_id"] = None if step == "requested" else driver_id
            if step == "matched":
                event["offer_sequence"] = 1
            previous = event["event_id"]
            if step in steps:
                events.append(event)
        return events

    def trip_event(self, event_type: str = "trip.requested", **overrides: Any) -> Event:
        step = event_type.removeprefix("trip.")
        events = self.trip_lifecycle(steps=(step,)) if step in TRIP_LIFECYCLE else None
        if events:
            event = events[0]
        else:  # cancelled / offer_* states
            event = self.trip_lifecycle(steps=("requested",))[0]
            event["event_type"] = f"trip.{step}"
            if step == "cancelled":
                event.update(cancelled_by="rider", cancellation_reason="changed plans", cancellation_stage="requested")
        event.update(overrides)
        return event

    # --- gps -------------------------------------------------------------------------
    def gps_pings(
        self, *, drivers: int = 3, pings: int = 10, interval_seconds: float = 5.0, driver_ids: list[str] | None = None
    ) -> list[Event]:
        """``pings`` pings per driver, a random walk inside São Paulo, ordered by time."""
        ids = list(driver_ids) if driver_ids else [self.new_id("driver") for _ in range(drivers)]
        out: list[Event] = []
        positions = {d: self.location() for d in ids}
        for n in range(pings):
            ts = self.start + timedelta(seconds=n * interval_seconds)
            for d in ids:
                lat, lon = positions[d]
                lat = min(max(lat + self.rng.uniform(-0.001, 0.001), LAT_RANGE[0]), LAT_RANGE[1])
                lon = min(max(lon + self.rng.uniform(-0.001, 0.001), LON_RANGE[0]), LON_RANGE[1])
                positions[d] = [round(lat, 6), round(lon, 6)]
                event = self._base(ts)
                event.update(
                    entity_type="driver",
                    entity_id=d,
                    location=positions[d],
                    accuracy=round(self.rng.uniform(5, 15), 1),
                    heading=round(self.rng.uniform(0, 359.9), 1),
                    speed=round(self.rng.uniform(0, 20), 1),
                )
                out.append(event)
        return out

    # --- drivers ---------------------------------------------------------------------
    def driver_status_sequence(self, *, driver_id: str | None = None) -> list[Event]:
        """A shift: online → en_route_pickup → en_route_destination → online → offline."""
        driver_id = driver_id or self.new_id("driver")
        transitions = (
            (None, "online", "driver_app_opened"),
            ("online", "en_route_pickup", "trip_matched"),
            ("en_route_pickup", "en_route_destination", "trip_started"),
            ("en_route_destination", "online", "trip_completed"),
            ("online", "offline", "driver_app_closed"),
        )
        out: list[Event] = []
        ts = self.start
        previous: str | None = None
        for prev_status, new_status, trigger in transitions:
            event = self._base(ts, previous)
            event.update(
                driver_id=driver_id,
                previous_status=prev_status,
                new_status=new_status,
                trigger=trigger,
                location=self.location(),
            )
            out.append(event)
            previous = event["event_id"]
            ts += timedelta(seconds=self.rng.randint(30, 600))
        return out

    def driver_profile(self, *, driver_id: str | None = None, event_type: str = "driver.created") -> Event:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        make, model = self.rng.choice(VEHICLES)
        event = self._base(self.start)
        event.update(
            event_type=event_type,
            driver_id=driver_id or self.new_id("driver"),
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}.{self.rng.getrandbits(24):06x}@example.com",
            phone=f"+55 11 9{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
            home_location=self.location(),
            preferred_zones=sorted(self.rng.sample(ZONES, 3)),
            shift_preference=self.rng.choice(("morning", "afternoon", "evening", "night", "flexible")),
            vehicle_make=make,
            vehicle_model=model,
            vehicle_year=self.rng.randint(2012, 2026),
            license_plate=f"{''.join(self.rng.choices('ABCDEFGHJKLMNPRSTUVWXYZ', k=3))}{self.rng.randint(1, 9)}"
            f"{self.rng.choice('ABCDEFGHJ')}{self.rng.randint(10, 99)}",
        )
        return event

    def rider_profile(self, *, rider_id: str | None = None, event_type: str = "rider.created") -> Event:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        event = self._base(self.start)
        event.update(
            event_type=event_type,
            rider_id=rider_id or self.new_id("rider"),
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}.{self.rng.getrandbits(24):06x}@example.com",
            phone=f"+55 11 9{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
            home_location=self.location(),
            payment_method_type=self.rng.choice(("credit_card", "debit_card", "digital_wallet")),
            payment_method_masked=f"****{self.rng.randint(0, 9999):04d}",
            behavior_factor=round(self.rng.uniform(0.5, 1.0), 2),
        )
        return event

    # --- surge, ratings, payments ---------------------------------------------------
    def surge_update(self, *, zone_id: str | None = None, new_multiplier: float | None = None) -> Event:
        previous = self.rng.choice((1.0, 1.2, 1.5))
        event = self._base(self.start)
        event.update(
            zone_id=zone_id or self.zone(),
            previous_multiplier=previous,
            new_multiplier=new_multiplier if new_multiplier is not None else self.rng.choice((1.0, 1.3, 1.8, 2.5)),
            available_drivers=self.rng.randint(0, 50),
            pending_requests=self.rng.randint(0, 80),
            calculation_window_seconds=60,
        )
        return event

    def ratings(
        self, *, trip_id: str | None = None, rider_id: str | None = None, driver_id: str | None = None
    ) -> list[Event]:
        """The rider rates the driver, then the driver rates the rider."""
        trip_id = trip_id or self.new_id("trip")
        rider_id = rider_id or self.new_id("rider")
        driver_id = driver_id or self.new_id("driver")
        out = []
        for offset, (rater_type, rater, ratee_type, ratee) in enumerate(
            (("rider", rider_id, "driver", driver_id), ("driver", driver_id, "rider", rider_id))
        ):
            event = self._base(self.start + timedelta(seconds=60 * (offset + 1)))
            event.update(
                trip_id=trip_id,
                rater_type=rater_type,
                rater_id=rater,
                ratee_type=ratee_type,
                ratee_id=ratee,
                rating=self.rng.choice((3, 4, 5, 5, 5)),
            )
            out.append(event)
        return out

    def payment(
        self,
        *,
        trip_id: str | None = None,
        rider_id: str | None = None,
        driver_id: str | None = None,
        fare: float | str | None = None,
        fee_percentage: float | str = 25,
    ) -> Event:
        """A payment whose ``platform_fee_amount + driver_payout_amount == fare_amount`` to the cent."""
        fare_d = Decimal(str(fare)) if fare is not None else Decimal(str(money(self.rng.uniform(8, 80))))
        fare_d = fare_d.quantize(CENT, rounding=ROUND_HALF_UP)
        pct = Decimal(str(fee_percentage))
        if fare_d < 0 or not Decimal(0) <= pct <= Decimal(100):
            raise ValueError(f"Invalid fare {fare_d} or fee percentage {pct}")
        fee = (fare_d * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        event = self._base(self.start)
        event.update(
            payment_id=self.new_id("payment"),
            trip_id=trip_id or self.new_id("trip"),
            rider_id=rider_id or self.new_id("rider"),
            driver_id=driver_id or self.new_id("driver"),
            payment_method_type=self.rng.choice(("credit_card", "debit_card", "digital_wallet")),
            payment_method_masked=f"****{self.rng.randint(0, 9999):04d}",
            fare_amount=float(fare_d),
            platform_fee_percentage=float(pct),
            platform_fee_amount=float(fee),
            driver_payout_amount=float(fare_d - fee),
            currency="BRL",
        )
        return event

    def completed_trip(self) -> dict[str, list[Event]]:
        """A whole trip across topics: lifecycle, payment and both ratings, sharing ids."""
        lifecycle = self.trip_lifecycle()
        done = lifecycle[-1]
        ids = {"trip_id": done["trip_id"], "rider_id": done["rider_id"], "driver_id": done["driver_id"]}
        payment = self.payment(fare=done["fare"], **ids)
        payment["causation_id"] = done["event_id"]
        ratings = self.ratings(**ids)
        return {"trips": lifecycle, "payments": [payment], "ratings": ratings}

    # --- generic ---------------------------------------------------------------------
    def event_for(self, topic: str, **overrides: Any) -> Event:
        """One valid event for any contract topic (logical ``gps-pings`` or table ``gps_pings`` name)."""
        builders = {
            "trips": lambda: self.trip_event(),
            "gps-pings": lambda: self.gps_pings(drivers=1, pings=1)[0],
            "driver-status": lambda: self.driver_status_sequence()[0],
            "surge-updates": lambda: self.surge_update(),
            "ratings": lambda: self.ratings()[0],
            "payments": lambda: self.payment(),
            "driver-profiles": lambda: self.driver_profile(),
            "rider-profiles": lambda: self.rider_profile(),
        }
        try:
            name = contract_topic(topic).name
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        event = builders[name]()
        event.update(overrides)
        return event
