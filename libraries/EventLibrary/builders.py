"""Event builders: correlation ids, one builder per topic, whole trips and malformed payloads."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.component import LibraryComponent

from .checks import AREA, contract_topic
from .factories import Event, EventFactory
from .malformed import DEFAULT_OVERSIZE_BYTES, Malformation, malformed_payload

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class BuilderKeywords(LibraryComponent):
    # --- ids ------------------------------------------------------------------------
    @keyword(tags=(AREA,))
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
    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
    def build_driver_status_events(
        self, correlation_id: str, driver_id: str | None = None, seed: int | None = None, start: datetime | None = None
    ) -> list[Event]:
        """Returns a driver's shift as 5 status changes: online → en_route_pickup →
        en_route_destination → online → offline.

        | ${events}= | Build Driver Status Events | ${cid} | driver_id=driver-7 |
        """
        events = self._factory(correlation_id, seed, start).driver_status_sequence(driver_id=driver_id)
        return self._logged(events, f"Driver status events of {events[0]['driver_id']}")

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
    def build_surge_update_event(
        self,
        correlation_id: str,
        zone_id: str | None = None,
        new_multiplier: float | None = None,
        seed: int | None = None,
        start: datetime | None = None,
    ) -> Event:
        """Returns a surge update for ``zone_id`` (default: a random zone of the contract's zone data).

        | ${e}= | Build Surge Update Event | ${cid} | zone_id=pinheiros | new_multiplier=${1.8} |
        """
        event = self._factory(correlation_id, seed, start).surge_update(zone_id=zone_id, new_multiplier=new_multiplier)
        return self._logged([event], "Surge update")[0]

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
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

    @keyword(tags=(AREA,))
    def build_event(
        self,
        topic: str,
        correlation_id: str,
        seed: int | None = None,
        start: datetime | None = None,
        **overrides: Any,
    ) -> Event:
        """Returns one valid event for any contract ``topic``; named arguments override fields.

        | ${e}= | Build Event | surge-updates | ${cid} | zone_id=pinheiros |
        """
        name = contract_topic(topic).name
        event = self._factory(correlation_id, seed, start).event_for(name, **overrides)
        return self._logged([event], f"Event for {topic}")[0]

    @keyword(tags=(AREA,))
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
        factory = self._factory(correlation_id, seed, None)
        payload = malformed_payload(kind, contract_topic(topic).name, factory, size_bytes=size_bytes)
        preview = payload[:300].decode("utf-8", "backslashreplace")
        logger.info(f"Malformed payload ({kind.value}, {len(payload)} bytes) for {topic}: {preview}")
        return payload

    @keyword(tags=(AREA,))
    def build_payload_of_size(self, event: dict[str, Any], size_bytes: int) -> bytes:
        """Returns ``event`` as compact UTF-8 JSON padded with trailing spaces to exactly ``size_bytes``
        bytes: still a valid event of its topic, for size limits tested at their exact edge.

        Fails if the event alone is already longer than ``size_bytes``.

        | ${event}= | Build Event | ratings | ${cid} |
        | ${payload}= | Build Payload Of Size | ${event} | 65536 |
        | Publish Raw | ratings | ${payload} | key=${event}[trip_id] | correlation_id=${cid} |
        """
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        size = int(size_bytes)
        if len(body) > size:
            raise ValueError(f"The event is {len(body)} bytes as JSON, longer than the {size} bytes asked for")
        logger.info(f"Payload of {size} bytes: {len(body)} bytes of JSON and {size - len(body)} spaces")
        return body + b" " * (size - len(body))

    # --- helpers --------------------------------------------------------------------
    @staticmethod
    def _factory(correlation_id: str, seed: int | None, start: datetime | None) -> EventFactory:
        return EventFactory(correlation_id, seed=seed, start=start)

    @staticmethod
    def _logged(events: list[Event], caption: str) -> list[Event]:
        htmllog.log_table(events, caption=caption, level="DEBUG", limit=20)
        logger.info(f"{caption}: {len(events)} event(s)")
        return events


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
