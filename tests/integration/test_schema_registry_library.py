"""SchemaRegistryLibrary against the real Apicurio Registry (ccompat v7) of the core profile.

The compatibility cases pin down what Apicurio 3.3 really answers for JSON Schema, so a registry
upgrade that changes the semantics fails here first.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from assertionengine import AssertionOperator

from contract.topics import TOPICS
from lhkit import target as lh_target
from SchemaRegistryLibrary import (
    CompatibilityLevel,
    IncompatibleSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaRegistryLibrary,
    SubjectNotFound,
)

pytestmark = pytest.mark.profiles("core")
EQ = AssertionOperator["=="]
CONTAINS = AssertionOperator["contains"]


def obj(props: dict[str, Any], required: list[str], closed: bool | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if closed is not None:
        schema["additionalProperties"] = not closed
    return schema


def base(closed: bool) -> dict[str, Any]:
    return obj({"a": {"type": "string"}}, ["a"], True if closed else None)


def add_optional(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "properties": {**s["properties"], "b": {"type": "string"}}}


def add_required(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "properties": {**s["properties"], "c": {"type": "string"}}, "required": ["a", "c"]}


def remove_required(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "properties": {"z": {"type": "string"}}, "required": []}


def change_type(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "properties": {"a": {"type": "integer"}}}


def make_optional(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "required": []}


@pytest.fixture(scope="module")
def registry() -> Iterator[SchemaRegistryLibrary]:
    lib = SchemaRegistryLibrary()
    yield lib
    lib.close()


@pytest.fixture
def subject(registry: SchemaRegistryLibrary) -> Iterator[str]:
    name = f"test-srlib-{uuid.uuid4().hex[:8]}-value"
    yield name
    try:
        registry.delete_subject(name)
    except SubjectNotFound:
        pass


def test_contract_subjects_are_registered_and_match_the_files(registry: SchemaRegistryLibrary) -> None:
    registry.list_subjects(CONTAINS, [registry.get_topic_subject(t.name) for t in TOPICS])
    registry.get_compatibility(None, EQ, "BACKWARD")
    for t in TOPICS:
        registry.registered_schema_should_match_contract(t.name)
        latest = registry.get_latest_schema(registry.get_topic_subject(t.name))
        assert latest["schemaType"] == "JSON" and latest["schema"]["additionalProperties"] is False


def test_contract_schemas_can_evolve_by_adding_an_optional_field(registry: SchemaRegistryLibrary) -> None:
    for t in TOPICS:
        evolved = copy.deepcopy(t.schema())
        evolved["properties"]["tip_amount"] = {"type": ["number", "null"], "minimum": 0}
        registry.schema_should_be_compatible(registry.get_topic_subject(t.name), evolved)
        breaking = copy.deepcopy(evolved)
        breaking["required"].append("tip_amount")
        registry.schema_should_not_be_compatible(registry.get_topic_subject(t.name), breaking)


def test_topic_subjects_carry_the_targets_topic_prefix() -> None:
    prefix = f"h2a-{uuid.uuid4().hex[:6]}."
    lib = SchemaRegistryLibrary(target=lh_target.current().with_overrides(topic_prefix=prefix))
    subject = f"{prefix}payments-value"
    try:
        lib.register_topic_schema("payments")
        lib.subject_should_exist(subject)
        lib.registered_schema_should_match_contract("payments")
        lib.list_subjects(CONTAINS, subject, retry_timeout="5 s")
    finally:
        lib.delete_subject(subject)
        lib.close()


def test_register_get_and_list_versions(registry: SchemaRegistryLibrary, subject: str) -> None:
    first = registry.register_schema(subject, base(closed=True))
    assert registry.register_schema(subject, base(closed=True)) == first  # identical → same id
    registry.set_compatibility(CompatibilityLevel.BACKWARD, subject)
    second = registry.register_schema(subject, add_optional(base(closed=True)))
    assert second != first
    assert registry.list_schema_versions(subject) == [1, 2]
    registry.list_schema_versions(subject, CONTAINS, 2)
    latest = registry.get_latest_schema(subject)
    assert latest["version"] == 2 and "b" in latest["schema"]["properties"]
    assert registry.get_schema_version(subject, "1")["schema"] == base(closed=True)
    registry.subject_should_exist(subject)


@pytest.mark.parametrize(
    ("closed", "change", "compatible"),
    [
        (True, add_optional, True),
        (True, add_required, False),
        (True, remove_required, False),
        (True, change_type, False),
        (True, make_optional, True),
        (False, add_optional, False),  # open content model: a new property may clash with old data
        (False, add_required, False),
        (False, make_optional, True),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_backward_compatibility_as_apicurio_decides(
    registry: SchemaRegistryLibrary, subject: str, closed: bool, change: Any, compatible: bool
) -> None:
    registry.register_schema(subject, base(closed))
    registry.set_compatibility(CompatibilityLevel.BACKWARD, subject)
    registry.get_compatibility(subject, EQ, "BACKWARD")
    candidate = change(base(closed))
    assert registry.check_schema_compatibility(subject, candidate) is compatible
    if compatible:
        registry.schema_should_be_compatible(subject, candidate)
        with pytest.raises(AssertionError, match="should NOT be compatible"):
            registry.schema_should_not_be_compatible(subject, candidate)
    else:
        registry.schema_should_not_be_compatible(subject, candidate)
        with pytest.raises(AssertionError, match="under BACKWARD"):
            registry.schema_should_be_compatible(subject, candidate)
    # The check registers nothing.
    assert registry.list_schema_versions(subject) == [1]


def test_forward_and_none_levels(registry: SchemaRegistryLibrary, subject: str) -> None:
    registry.register_schema(subject, base(closed=True))
    registry.set_compatibility(CompatibilityLevel.FORWARD, subject)
    assert registry.check_schema_compatibility(subject, make_optional(base(closed=True))) is False
    registry.set_compatibility(CompatibilityLevel.NONE, subject)
    assert registry.check_schema_compatibility(subject, change_type(base(closed=True))) is True


def test_registering_an_incompatible_schema_is_rejected(registry: SchemaRegistryLibrary, subject: str) -> None:
    registry.register_schema(subject, base(closed=True))
    registry.set_compatibility(CompatibilityLevel.BACKWARD, subject)
    with pytest.raises(IncompatibleSchema, match="409"):
        registry.register_schema(subject, add_required(base(closed=True)))


def test_2020_12_meta_schema_breaks_apicurio_checks(registry: SchemaRegistryLibrary, subject: str) -> None:
    """Why the contract files carry no $schema: Apicurio answers HTTP 500, which must not read as 'incompatible'."""
    declared = {"$schema": "https://json-schema.org/draft/2020-12/schema", **base(closed=True)}
    registry.register_schema(subject, declared)
    registry.set_compatibility(CompatibilityLevel.BACKWARD, subject)
    with pytest.raises(RegistryError, match="HTTP 500"):
        registry.check_schema_compatibility(subject, declared)


def test_unknown_subject_fails_clearly(registry: SchemaRegistryLibrary) -> None:
    with pytest.raises(SubjectNotFound, match="no-such-subject-x"):
        registry.get_latest_schema("no-such-subject-x-value")
    with pytest.raises(SubjectNotFound):
        registry.check_schema_compatibility("no-such-subject-x-value", base(closed=True))
    registry.subject_should_not_exist("no-such-subject-x-value")
    with pytest.raises(AssertionError, match="should exist"):
        registry.subject_should_exist("no-such-subject-x-value")


def test_delete_subject(registry: SchemaRegistryLibrary) -> None:
    name = f"test-srlib-del-{uuid.uuid4().hex[:8]}-value"
    registry.register_schema(name, base(closed=True))
    assert registry.delete_subject(name) == [1]
    registry.subject_should_not_exist(name)
    assert name not in registry.list_subjects()


def test_unreachable_registry_fails_within_timeout() -> None:
    lib = SchemaRegistryLibrary(url="http://127.0.0.1:1/apis/ccompat/v7", timeout="2 s")
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=r"127\.0\.0\.1:1"):
        lib.list_subjects()
    assert time.monotonic() - started < 5
