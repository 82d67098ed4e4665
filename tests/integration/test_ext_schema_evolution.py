"""SchemaRegistryLibrary's `Evolve Schema` against the REAL registry: each named change of the contract's
(closed) rating schema gets the verdict Confluent's JSON Schema rules give it, per compatibility level."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from SchemaRegistryLibrary import CompatibilityLevel, SchemaChange, SchemaRegistryLibrary, SubjectNotFound

pytestmark = pytest.mark.profiles("core")
RATING = str(Path(__file__).resolve().parents[2] / "contract" / "schemas" / "rating_event.json")

# (level, change, field, compatible?) for a closed content model.
CASES = [
    ("BACKWARD", SchemaChange.ADD_OPTIONAL_FIELD, "ext_note", True),
    ("BACKWARD", SchemaChange.ADD_REQUIRED_FIELD, "ext_req", False),
    ("BACKWARD", SchemaChange.DELETE_OPTIONAL_FIELD, "comment", False),
    ("FORWARD", SchemaChange.DELETE_OPTIONAL_FIELD, "comment", True),
    ("FORWARD", SchemaChange.ADD_OPTIONAL_FIELD, "ext_note", False),
    ("FULL", SchemaChange.CHANGE_DESCRIPTION, "reviewed", True),
    ("FULL", SchemaChange.ADD_OPTIONAL_FIELD, "ext_note", False),
    ("FULL", SchemaChange.DELETE_OPTIONAL_FIELD, "comment", False),
]


@pytest.fixture(scope="module")
def registry() -> Iterator[SchemaRegistryLibrary]:
    lib = SchemaRegistryLibrary()
    yield lib
    lib.close()


@pytest.fixture(params=["BACKWARD", "FORWARD", "FULL"])
def subject(request: pytest.FixtureRequest, registry: SchemaRegistryLibrary) -> Iterator[tuple[str, str]]:
    level = request.param
    name = f"test-ext-{level.lower()}-{uuid.uuid4().hex[:8]}-value"
    registry.set_compatibility(CompatibilityLevel[level], name)
    registry.register_schema(name, RATING)
    yield level, name
    try:
        registry.delete_subject(name)
    except SubjectNotFound:
        pass


def test_each_change_gets_confluents_verdict(registry: SchemaRegistryLibrary, subject: tuple[str, str]) -> None:
    level, name = subject
    verdicts = {
        (change.value, field): registry.check_schema_compatibility(name, registry.evolve_schema(RATING, change, field))
        for lvl, change, field, _ in CASES
        if lvl == level
    }
    expected = {(change.value, field): ok for lvl, change, field, ok in CASES if lvl == level}
    assert verdicts == expected
