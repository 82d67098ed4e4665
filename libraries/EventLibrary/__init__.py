"""EventLibrary: deterministic, schema-valid rideshare events and deliberately broken payloads."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library

from lakehouse import contracts
from lhkit import htmllog

from .factories import TRIP_LIFECYCLE, Event, EventFactory
from .malformed import DEFAULT_OVERSIZE_BYTES, Malformation, malformed_payload
from .validation import errors as schema_errors

__all__ = ["EventFactory", "EventLibrary", "Malformation"]
__version__ = "0.1.0"

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@library(scope="GLOBAL", version=__version__, auto_keywords=False, doc_format="ROBOT")
class EventLibrary:
    """Builds rideshare events that satisfy the JSON-Schema contracts in ``lakehouse/schemas``.

    = Correlation ids =
    Every test starts with `New Correlation Id` and passes the id to every builder. Each event
    carries it in ``correlation_id``; KafkaLibrary also puts it in a ``correlation_id`` header, and
    the Bronze/Silver/Gold keywords find a test's rows by it. Ids embed the pabot pool id, the
    process id and a random part, so parallel workers never collide.

    = Determinism =
    Builders are seeded from the correlation id (or an explicit ``seed``), so the same id gives the
    same trip ids, amounts and event ids. Timestamps start at ``start`` (default: now, UTC); pass
    ``start`` too for fully reproducible events.

    = Topics =
    | =Topic=         | =Key field= | =Builder=                    |
    | trips           | trip_id     | `Build Trip Lifecycle`, `Build Trip Event` |
    | gps-pings       | entity_id   | `Build Gps Pings`            |
    | driver-status   | driver_id   | `Build Driver Status Events` |
    | surge-updates   | zone_id     | `Build Surge Update Event`   |
    | ratings         | trip_id     | `Build Rating Events`        |
    | payments        | trip_id     | `Build Payment Event`        |
    | driver-profiles | driver_id   | `Build Driver Profile Event` |
    | rider-profiles  | rider_id    | `Build Rider Profile Event`  |

    `Build Malformed Payload` returns bytes a correct pipeline must reject (for DLQ tests).

    Example:
    | ${cid}=       | `New Correlation Id` |
    | ${events}=    | `Build Trip Lifecycle` | ${cid} |
    | Publish Events | trips | ${events} | key_field=trip_id | correlation_id=${cid} |
    """

    # --- ids ------------------------------------------------------------------------
    @keyword(tags=("ids",))
    def new_correlation_id(self, prefix: str = "cid") -> str:
        """Returns a correlation id unique across pabot workers, processes and calls.

        Shape: ``<prefix>-p<pabot pool id>-<pid>-<12 hex>``, e.g. ``cid-p2-41377-9f1c0a2b3d4e``.

        | ${cid}= | New Correlation Id |
        | ${cid}= | New Correlation Id | prefix=dlq |
        """
        pool = _pabot_pool_id()
        cid = f"{_SAFE.sub('-', prefix) or 'cid'}-p{pool}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        logger.info(f"Correlation id: {cid}")
        return cid

    # --- builders -------------------------------------------------------------------
    @keyword(tags=("trips",))
    def build_trip_lifecycle(
        self,
        correlation_id: str,
        trip_id: str | None = None,
        rider_id: str | None = None,
        driver_id: str | None = None,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> list[Event]:
        """Returns the 6 events of a completed trip: requested, matched, driver_en_route,
        driver_arrived, started, completed. Each event's ``causation_id`` is the previous event's id.

        | ${events}= | Build Trip Lifecycle | ${cid} |
        | ${events}= | Build Trip Lifecycle | ${cid} | trip_id=trip-42 | seed=7 | start=2026-01-01 08:00:00 |
        """
        events = self._factory(correlation_id, seed, start).trip_lifecycle(
            trip_id=trip_id, rider_id=rider_id, driver_id=driver_id
        )
        return self._logged(events, f"Trip lifecycle {events[0]['trip_id']}")

    @keyword(tags=("trips",))
    def build_trip_event(
        self,
        correlation_id: str,
        event_type: str = "trip.requested",
        seed: int | None = None,
        start: datetime | None = None,
        **overrides: Any,
    ) -> Event:
        """Returns one trip event of ``event_type`` (``trip.requested`` … ``trip.cancelled``).

        Extra named arguments override fields (after building, so they can make it invalid).

        | ${e}= | Build Trip Event | ${cid} | trip.cancelled |
        | ${e}= | Build Trip Event | ${cid} | trip.requested | fare=${12.5} |
        """
        event = self._factory(correlation_id, seed, start).trip_event(event_type, **overrides)
        return self._logged([event], f"Trip event {event_type}")[0]

    @keyword(tags=("gps-pings",))
    def build_gps_pings(
        self,
        correlation_id: str,
        drivers: int = 3,
        pings: int = 10,
        interval: float = 5.0,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> list[Event]:
        """Returns ``drivers`` × ``pings`` GPS pings (random walk in São Paulo), ``interval`` seconds apart.

        | ${pings}= | Build Gps Pings | ${cid} | drivers=5 | pings=20 |
        """
        if drivers < 1 or pings < 1:
            raise ValueError(f"drivers and pings must be ≥ 1, got drivers={drivers} pings={pings}")
        events = self._factory(correlation_id, seed, start).gps_pings(
            drivers=drivers, pings=pings, interval_seconds=interval
        )
        return self._logged(events, f"{len(events)} GPS pings for {drivers} driver(s)")

    @keyword(tags=("driver-status",))
    def build_driver_status_events(
        self, correlation_id: str, driver_id: str | None = None, seed: int | None = None, start: datetime | None = None
    ) -> list[Event]:
        """Returns a driver's shift as 5 status changes: online → en_route_pickup →
        en_route_destination → online → offline.

        | ${events}= | Build Driver Status Events | ${cid} | driver_id=driver-7 |
        """
        events = self._factory(correlation_id, seed, start).driver_status_sequence(driver_id=driver_id)
        return self._logged(events, f"Driver status events of {events[0]['driver_id']}")

    @keyword(tags=("driver-profiles",))
    def build_driver_profile_event(
        self,
        correlation_id: str,
        driver_id: str | None = None,
        event_type: str = "driver.created",
        seed: int | None = None,
        start: datetime | None = None,
    ) -> Event:
        """Returns a ``driver.created`` (or ``driver.updated``) profile event.

        | ${e}= | Build Driver Profile Event | ${cid} | driver_id=driver-7 |
        """
        event = self._factory(correlation_id, seed, start).driver_profile(driver_id=driver_id, event_type=event_type)
        return self._logged([event], "Driver profile")[0]

    @keyword(tags=("rider-profiles",))
    def build_rider_profile_event(
        self,
        correlation_id: str,
        rider_id: str | None = None,
        event_type: str = "rider.created",
        seed: int | None = None,
        start: datetime | None = None,
    ) -> Event:
        """Returns a ``rider.created`` (or ``rider.updated``) profile event.

        | ${e}= | Build Rider Profile Event | ${cid} |
        """
        event = self._factory(correlation_id, seed, start).rider_profile(rider_id=rider_id, event_type=event_type)
        return self._logged([event], "Rider profile")[0]

    @keyword(tags=("surge-updates",))
    def build_surge_update_event(
        self,
        correlation_id: str,
        zone_id: str | None = None,
        new_multiplier: float | None = None,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> Event:
        """Returns a surge update for ``zone_id`` (default: a random São Paulo zone).

        | ${e}= | Build Surge Update Event | ${cid} | zone_id=SP-001 | new_multiplier=${1.8} |
        """
        event = self._factory(correlation_id, seed, start).surge_update(zone_id=zone_id, new_multiplier=new_multiplier)
        return self._logged([event], "Surge update")[0]

    @keyword(tags=("ratings",))
    def build_rating_events(
        self,
        correlation_id: str,
        trip_id: str | None = None,
        rider_id: str | None = None,
        driver_id: str | None = None,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> list[Event]:
        """Returns two ratings of one trip: rider → driver, then driver → rider.

        | ${ratings}= | Build Rating Events | ${cid} | trip_id=${trip_id} |
        """
        events = self._factory(correlation_id, seed, start).ratings(
            trip_id=trip_id, rider_id=rider_id, driver_id=driver_id
        )
        return self._logged(events, "Ratings")

    @keyword(tags=("payments",))
    def build_payment_event(
        self,
        correlation_id: str,
        trip_id: str | None = None,
        fare: str | None = None,
        fee_percentage: str = "25",
        rider_id: str | None = None,
        driver_id: str | None = None,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> Event:
        """Returns a payment whose ``platform_fee_amount + driver_payout_amount`` equals
        ``fare_amount`` exactly (computed in cents, fee rounded half-up).

        | ${p}= | Build Payment Event | ${cid} | trip_id=trip-1 | fare=33.33 | fee_percentage=20 |
        """
        event = self._factory(correlation_id, seed, start).payment(
            trip_id=trip_id, rider_id=rider_id, driver_id=driver_id, fare=fare, fee_percentage=fee_percentage
        )
        return self._logged([event], "Payment")[0]

    @keyword(tags=("trips", "payments", "ratings"))
    def build_completed_trip(
        self, correlation_id: str, seed: int | None = None, start: datetime | None = None
    ) -> dict[str, list[Event]]:
        """Returns a whole trip across topics, as ``{topic: [events]}``: the 6 lifecycle events,
        its payment (fare = trip fare) and both ratings, sharing trip, rider and driver ids.

        | ${trip}= | Build Completed Trip | ${cid} |
        | Publish Events | trips | ${trip}[trips] | key_field=trip_id | correlation_id=${cid} |
        """
        out = self._factory(correlation_id, seed, start).completed_trip()
        for topic, events in out.items():
            self._logged(events, f"Completed trip: {topic}")
        return out

    @keyword(tags=("generic",))
    def build_event(
        self,
        topic: str,
        correlation_id: str,
        seed: int | None = None,
        start: datetime | None = None,
        **overrides: Any,
    ) -> Event:
        """Returns one valid event for any contract ``topic``; named arguments override fields.

        | ${e}= | Build Event | surge-updates | ${cid} | zone_id=SP-003 |
        """
        _topic(topic)
        event = self._factory(correlation_id, seed, start).event_for(topic, **overrides)
        return self._logged([event], f"Event for {topic}")[0]

    @keyword(tags=("dlq",))
    def build_malformed_payload(
        self,
        kind: Malformation,
        topic: str,
        correlation_id: str,
        size_bytes: int = DEFAULT_OVERSIZE_BYTES,
        seed: int | None = None,
    ) -> bytes:
        """Returns bytes for ``topic`` that a correct pipeline must reject.

        | =kind= | =payload= |
        | invalid_json      | a JSON object cut in the middle |
        | non_utf8          | JSON-looking bytes with invalid UTF-8 sequences |
        | schema_violation  | valid JSON, ``timestamp`` is a number instead of a date-time |
        | missing_key_field | valid JSON without the topic's key field (e.g. ``trip_id``) |
        | oversize          | a ``size_bytes`` event (default 512 KiB, below Kafka's 1 MB limit) with padding |
        | empty             | zero bytes |

        The correlation id stays in the raw bytes (except ``empty``) so DLQ rows can be found.

        | ${bad}= | Build Malformed Payload | invalid_json | trips | ${cid} |
        | Publish Raw | trips | ${bad} | key=${cid} | correlation_id=${cid} |
        """
        payload = malformed_payload(kind, topic, self._factory(correlation_id, seed, None), size_bytes=size_bytes)
        preview = payload[:300].decode("utf-8", "backslashreplace")
        logger.info(f"Malformed payload ({kind.value}, {len(payload)} bytes) for {topic}: {preview}")
        return payload

    # --- contracts ------------------------------------------------------------------
    @keyword(tags=("contracts",))
    def get_event_key(self, topic: str, event: dict[str, Any]) -> str:
        """Returns the Kafka key of ``event`` on ``topic`` (its contract key field, e.g. ``trip_id``).

        | ${key}= | Get Event Key | trips | ${event} |
        """
        field = _topic(topic).key_field
        if event.get(field) in (None, ""):
            raise ValueError(f"Event has no '{field}', the key field of topic '{topic}'")
        return str(event[field])

    @keyword(tags=("contracts",))
    def event_should_be_valid(self, topic: str, event: Any, message: str | None = None) -> None:
        """Fails unless ``event`` (dict, JSON text or bytes) satisfies ``topic``'s JSON schema.

        | Event Should Be Valid | trips | ${event} |
        """
        found = schema_errors(topic, event)
        if found:
            raise AssertionError(message or f"Event is not a valid '{topic}' event: " + "; ".join(found))

    @keyword(tags=("contracts",))
    def event_should_be_invalid(self, topic: str, event: Any, message: str | None = None) -> None:
        """Fails if ``event`` satisfies ``topic``'s JSON schema; logs the violations found.

        | ${bad}= | Build Malformed Payload | schema_violation | trips | ${cid} |
        | Event Should Be Invalid | trips | ${bad} |
        """
        found = schema_errors(topic, event)
        if not found:
            raise AssertionError(message or f"Event should violate the '{topic}' schema but is valid")
        logger.info(f"Schema violations ({topic}): " + "; ".join(found))

    @keyword(tags=("contracts",))
    def get_event_schema(self, topic: str) -> dict[str, Any]:
        """Returns the JSON schema (a dict) of ``topic`` from ``lakehouse/schemas``.

        | ${schema}= | Get Event Schema | payments |
        """
        return _topic(topic).schema()

    @keyword(tags=("trips",))
    def get_trip_lifecycle_steps(self) -> list[str]:
        """Returns the lifecycle event types in order (``trip.requested`` … ``trip.completed``)."""
        return [f"trip.{s}" for s in TRIP_LIFECYCLE]

    # --- helpers --------------------------------------------------------------------
    @staticmethod
    def _factory(correlation_id: str, seed: int | None, start: datetime | None) -> EventFactory:
        return EventFactory(correlation_id, seed=seed, start=start)

    @staticmethod
    def _logged(events: list[Event], caption: str) -> list[Event]:
        htmllog.log_table(events, caption=caption, level="DEBUG", limit=20)
        logger.info(f"{caption}: {len(events)} event(s)")
        return events


def _topic(name: str) -> contracts.Topic:
    try:
        return contracts.topic(name)
    except KeyError as error:
        raise ValueError(error.args[0]) from None


def _pabot_pool_id() -> str:
    try:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        try:
            value = BuiltIn().get_variable_value("${PABOTEXECUTIONPOOLID}")
        except RobotNotRunningError:
            value = None
    except ImportError:  # pragma: no cover
        value = None
    return _SAFE.sub("", str(value)) if value not in (None, "") else "x"
