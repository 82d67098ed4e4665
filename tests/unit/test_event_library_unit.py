"""EventLibrary: every builder yields schema-valid, deterministic events; malformed builders are invalid."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from contract.topics import TOPICS
from contract.zones import zone_ids
from EventLibrary import EventLibrary
from EventLibrary.factories import TRIP_LIFECYCLE, EventFactory
from EventLibrary.malformed import Malformation, malformed_payload
from EventLibrary.validation import errors

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def valid(topic: str, event: object) -> None:
    found = errors(topic, event)
    assert not found, f"{topic}: {found}"


@pytest.mark.parametrize("topic", [t.name for t in TOPICS])
def test_every_topic_builds_a_valid_event_with_its_key_and_correlation_id(topic: str) -> None:
    event = EventFactory("cid-1", start=START).event_for(topic)
    valid(topic, event)
    key_field = next(t.key_field for t in TOPICS if t.name == topic)
    assert event[key_field]
    assert event["correlation_id"] == "cid-1"


def test_trip_lifecycle_has_six_ordered_causally_chained_valid_events() -> None:
    events = EventFactory("cid-2", start=START).trip_lifecycle()
    assert [e["event_type"] for e in events] == [f"trip.{s}" for s in TRIP_LIFECYCLE]
    for e in events:
        valid("trips", e)
    assert len({e["trip_id"] for e in events}) == 1
    assert len({e["event_id"] for e in events}) == 6
    assert [e.get("causation_id") for e in events[1:]] == [e["event_id"] for e in events[:-1]]
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps)
    assert events[0]["driver_id"] is None and all(e["driver_id"] for e in events[1:])


def test_same_correlation_id_and_start_give_identical_events_and_different_ids_differ() -> None:
    a = EventFactory("cid-3", start=START).trip_lifecycle()
    b = EventFactory("cid-3", start=START).trip_lifecycle()
    c = EventFactory("cid-4", start=START).trip_lifecycle()
    assert a == b
    assert a[0]["trip_id"] != c[0]["trip_id"]
    # An explicit seed fixes the ids whatever the correlation id.
    x = EventFactory("x", seed=7, start=START).payment()
    z = EventFactory("z", seed=7, start=START).payment()
    assert x["event_id"] == z["event_id"] and x["payment_id"] == z["payment_id"]


def test_gps_pings_for_n_drivers_stay_in_sao_paulo_and_validate() -> None:
    pings = EventFactory("cid-5", start=START).gps_pings(drivers=4, pings=25)
    assert len(pings) == 100
    assert len({p["entity_id"] for p in pings}) == 4
    for p in pings:
        valid("gps-pings", p)
        lat, lon = p["location"]
        assert -23.75 <= lat <= -23.35 and -46.82 <= lon <= -46.36


@pytest.mark.parametrize("fare", ["0.01", "0.03", "10.00", "33.33", "99.99", "12.345", "1000"])
@pytest.mark.parametrize("pct", ["0", "12.5", "20", "25", "33.3", "100"])
def test_payment_fee_split_sums_exactly(fare: str, pct: str) -> None:
    p = EventFactory("cid-6", start=START).payment(fare=fare, fee_percentage=pct)
    valid("payments", p)
    total = Decimal(str(p["platform_fee_amount"])) + Decimal(str(p["driver_payout_amount"]))
    assert total == Decimal(str(p["fare_amount"]))
    assert round(p["platform_fee_amount"] + p["driver_payout_amount"], 2) == p["fare_amount"]


def test_many_random_payments_split_exactly() -> None:
    f = EventFactory("cid-7", start=START)
    for _ in range(500):
        p = f.payment()
        assert Decimal(str(p["platform_fee_amount"])) + Decimal(str(p["driver_payout_amount"])) == Decimal(
            str(p["fare_amount"])
        )


def test_payment_rejects_bad_percentage() -> None:
    with pytest.raises(ValueError):
        EventFactory("cid").payment(fee_percentage="101")


def test_completed_trip_shares_ids_across_topics_and_ratings_are_coherent() -> None:
    trip = EventFactory("cid-8", start=START).completed_trip()
    for topic, events in trip.items():
        for e in events:
            valid(topic, e)
    done = trip["trips"][-1]
    assert trip["payments"][0]["fare_amount"] == done["fare"]
    assert trip["payments"][0]["causation_id"] == done["event_id"]
    r1, r2 = trip["ratings"]
    assert (r1["rater_type"], r1["ratee_type"], r1["rater_id"]) == ("rider", "driver", done["rider_id"])
    assert (r2["rater_type"], r2["ratee_type"], r2["ratee_id"]) == ("driver", "rider", done["rider_id"])


def test_driver_status_sequence_is_a_coherent_shift() -> None:
    events = EventFactory("cid-9", start=START).driver_status_sequence()
    for e in events:
        valid("driver-status", e)
    assert [e["previous_status"] for e in events[1:]] == [e["new_status"] for e in events[:-1]]
    assert events[0]["new_status"] == "online" and events[-1]["new_status"] == "offline"


def test_cancelled_trip_event_is_valid() -> None:
    valid("trips", EventFactory("cid").trip_event("trip.cancelled"))


@pytest.mark.parametrize("kind", list(Malformation))
def test_malformed_payloads_are_invalid_and_keep_the_correlation_id(kind: Malformation) -> None:
    payload = malformed_payload(kind, "trips", EventFactory("cid-bad", start=START), size_bytes=200_000)
    assert isinstance(payload, bytes)
    assert errors("trips", payload)
    if kind is not Malformation.EMPTY:
        assert b"cid-bad" in payload
    if kind is Malformation.OVERSIZE:
        assert len(payload) == 200_000
    if kind is Malformation.NON_UTF8:
        with pytest.raises(UnicodeDecodeError):
            payload.decode("utf-8")
    if kind is Malformation.MISSING_KEY_FIELD:
        assert "trip_id" not in json.loads(payload)


def test_new_correlation_ids_are_unique_and_carry_pool_and_pid() -> None:
    lib = EventLibrary()
    ids = {lib.new_correlation_id() for _ in range(1000)}
    assert len(ids) == 1000
    sample = next(iter(ids))
    assert sample.startswith("cid-px-")
    assert len(sample) < 64
    assert lib.new_correlation_id("dlq test!").startswith("dlq-test-")


def test_keywords_validate_and_report_violations() -> None:
    lib = EventLibrary()
    event = lib.build_event("ratings", "cid-kw")
    lib.event_should_be_valid("ratings", event)
    bad = {**event, "rating": 6}
    with pytest.raises(AssertionError, match="rating"):
        lib.event_should_be_valid("ratings", bad)
    lib.event_should_be_invalid("ratings", bad)
    assert lib.get_event_key("ratings", event) == event["trip_id"]
    with pytest.raises(ValueError, match="Unknown topic"):
        lib.build_event("nope", "cid")


def test_every_generated_zone_id_is_in_the_contracts_zone_data() -> None:
    """The dbt seed is a guarded copy of contract/zones.csv: a zone id outside it joins no dim_zones row."""
    known = set(zone_ids())
    assert known
    seen: set[str] = set()
    for n in range(200):
        f = EventFactory(f"cid-zones-{n}", start=START)
        for e in f.trip_lifecycle():
            seen.update((e["pickup_zone_id"], e["dropoff_zone_id"]))
        seen.add(f.surge_update()["zone_id"])
        seen.update(f.driver_profile()["preferred_zones"])
        seen.add(f.event_for("surge-updates")["zone_id"])
    assert seen <= known, sorted(seen - known)
    assert len(seen) > 50  # drawn from the whole list, not a fixed few


def test_topics_are_logical_and_table_names_are_accepted() -> None:
    lib = EventLibrary()
    event = lib.build_event("gps_pings", "cid-t")
    lib.event_should_be_valid("gps-pings", event)
    assert lib.get_event_key("gps_pings", event) == event["entity_id"]
    assert errors("trips", lib.build_malformed_payload(Malformation.MISSING_KEY_FIELD, "trips", "cid-t"))


def test_keyword_tags_come_from_the_closed_vocabulary() -> None:
    lib = EventLibrary()
    for name in lib.get_keyword_names():
        tags = set(lib.get_keyword_tags(name))
        assert "Event" in tags and tags - {"Event"} <= {"Getter", "Assertion"}, name
