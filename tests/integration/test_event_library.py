"""EventLibrary end to end: generated events travel through the real Kafka and still satisfy the contracts,
and the keywords work from a real Robot Framework run (argument conversion, logging, no leaked secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from EventLibrary import EventLibrary, Malformation
from EventLibrary.validation import errors
from KafkaLibrary import KafkaLibrary
from lhkit import target as lh_target
from SchemaRegistryLibrary import SchemaRegistryLibrary

pytestmark = pytest.mark.profiles("core")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaLibrary]:
    lib = KafkaLibrary()
    yield lib
    lib.close()


def kw(lib: KafkaLibrary, name: str, *args: object, **kwargs: object) -> object:
    return lib.run_keyword(name.lower().replace(" ", "_"), list(args), kwargs)


def test_every_builder_survives_the_broker_and_validates(kafka: KafkaLibrary) -> None:
    events = EventLibrary()
    cid = events.new_correlation_id("it")
    trip = events.build_completed_trip(cid)
    batches = {
        "trips": trip["trips"],
        "payments": trip["payments"],
        "ratings": trip["ratings"],
        "gps-pings": events.build_gps_pings(cid, drivers=2, pings=3),
        "driver-status": events.build_driver_status_events(cid),
        "surge-updates": [events.build_surge_update_event(cid)],
        "driver-profiles": [events.build_driver_profile_event(cid)],
        "rider-profiles": [events.build_rider_profile_event(cid)],
    }
    marks = {topic: kw(kafka, "Mark Topic Position", topic) for topic in batches}
    for topic, batch in batches.items():
        kw(kafka, "Publish Events", topic, batch, correlation_id=cid)
    for topic, batch in batches.items():
        msgs = kw(kafka, "Wait For Messages Since Mark", marks[topic], correlation_id=cid, count=len(batch), exact=True)
        for m in msgs:
            assert not errors(topic, m["value"]), (topic, errors(topic, m["value"]))
            assert m["key"] == events.get_event_key(topic, m["value"])
        assert sorted(m["value"]["event_id"] for m in msgs) == sorted(e["event_id"] for e in batch)


def test_malformed_payloads_arrive_byte_identical(kafka: KafkaLibrary) -> None:
    events = EventLibrary()
    cid = events.new_correlation_id("dlq")
    mark = kw(kafka, "Mark Topic Position", "trips")
    sent = {}
    for kind in Malformation:
        payload = events.build_malformed_payload(kind, "trips", cid, size_bytes=100_000)
        meta = kw(kafka, "Publish Raw", "trips", payload, key=cid, correlation_id=cid, headers={"kind": kind.value})
        sent[kind.value] = (meta["partition"], meta["offset"], payload)
    msgs = kw(kafka, "Wait For Messages Since Mark", mark, correlation_id=cid, count=len(sent), exact=True)
    for m in msgs:
        partition, offset, payload = sent[m["headers"]["kind"]]
        assert (m["partition"], m["offset"], m["size"]) == (partition, offset, len(payload))


def test_generated_events_match_the_registered_contracts() -> None:
    registry = SchemaRegistryLibrary()
    events = EventLibrary()
    for topic in ("trips", "payments", "gps-pings"):
        registry.registered_schema_should_match_contract(topic)
        schema = registry.get_latest_schema(registry.get_topic_subject(topic))["schema"]
        from jsonschema import Draft202012Validator, FormatChecker

        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        assert validator.is_valid(events.build_event(topic, "cid-contract"))


SUITE = """
*** Settings ***
Library    EventLibrary
Library    KafkaLibrary
Library    LakehouseLibrary
Library    SchemaRegistryLibrary

*** Test Cases ***
Trip Lifecycle Round Trip
    ${cid}=    New Correlation Id
    ${events}=    Build Trip Lifecycle    ${cid}
    ${mark}=    Mark Topic Position    trips
    Publish Events    trips    ${events}    correlation_id=${cid}
    ${msgs}=    Wait For Messages Since Mark    ${mark}    correlation_id=${cid}    count=6    timeout=20 s
    Get Message Count Since Mark    ${mark}    ==    6    correlation_id=${cid}
    Get Topic Partitions    trips    ==    4
    ${bad}=    Build Malformed Payload    invalid_json    trips    ${cid}
    Event Should Be Invalid    trips    ${bad}

Registry And Lake
    ${subject}=    Get Topic Subject    trips
    List Subjects    contains    ${subject}
    Get Compatibility    ${None}    ==    BACKWARD
    List Buckets
    Run Keyword And Expect Error    *does not exist*    Query    SELECT * FROM bronze.no_such_table_robot
    Run Keyword And Expect Error    *Parser Error*    Query    SELEC 1
"""


def test_keywords_work_in_a_real_robot_run(tmp_path: Path) -> None:
    suite = tmp_path / f"smoke_{uuid.uuid4().hex[:6]}.robot"
    suite.write_text(SUITE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(tmp_path),
            "--loglevel",
            "DEBUG",
            "--console",
            "dotted",
            str(suite),
        ],
        cwd=REPO,
        # Keep LH_* (state dir, port overrides) so the run aims at the same platform.
        env={
            **{k: v for k, v in os.environ.items() if k.startswith("LH_")},
            "PYTHONPATH": f"{REPO}:{REPO / 'libraries'}",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    secret = lh_target.current().s3_secret_key
    for name in ("output.xml", "log.html"):
        assert secret not in (tmp_path / name).read_text(), f"secret leaked into {name}"
    assert "correlation_id" in json.dumps((tmp_path / "output.xml").read_text()[:10_000_000])
