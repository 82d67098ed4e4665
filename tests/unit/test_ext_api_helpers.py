"""Pure helpers behind the external-integration suites: schema evolution steps and S3 multipart ETags."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from LakehouseLibrary.s3api import multipart_etag, part_bytes
from SchemaRegistryLibrary.evolution import SchemaChange, evolve

ROOT = Path(__file__).resolve().parents[2]
RATING = json.loads((ROOT / "contract" / "schemas" / "rating_event.json").read_text())


def test_add_optional_field_is_nullable_with_default_and_not_required() -> None:
    out = evolve(RATING, SchemaChange.ADD_OPTIONAL_FIELD, "ext_note")
    assert out["properties"]["ext_note"] == {"type": ["string", "null"], "default": None}
    assert "ext_note" not in out["required"]
    assert out["required"] == RATING["required"]
    assert out["additionalProperties"] is False  # the closed model is kept


def test_add_required_field_lists_it_in_required() -> None:
    out = evolve(RATING, SchemaChange.ADD_REQUIRED_FIELD, "ext_mandatory")
    assert out["properties"]["ext_mandatory"] == {"type": "string"}
    assert out["required"] == [*RATING["required"], "ext_mandatory"]


def test_delete_optional_field_removes_only_that_property() -> None:
    out = evolve(RATING, SchemaChange.DELETE_OPTIONAL_FIELD, "comment")
    assert "comment" not in out["properties"]
    assert set(out["properties"]) == set(RATING["properties"]) - {"comment"}
    assert out["required"] == RATING["required"]


def test_delete_required_field_removes_it_from_required_too() -> None:
    out = evolve(RATING, SchemaChange.DELETE_REQUIRED_FIELD, "rating")
    assert "rating" not in out["properties"] and "rating" not in out["required"]


def test_change_description_touches_nothing_else() -> None:
    out = evolve(RATING, SchemaChange.CHANGE_DESCRIPTION, "reviewed")
    assert out["description"].endswith("(reviewed)")
    assert {k: v for k, v in out.items() if k != "description"} == {
        k: v for k, v in RATING.items() if k != "description"
    }


def test_the_input_schema_is_not_modified() -> None:
    before = copy.deepcopy(RATING)
    evolve(RATING, SchemaChange.ADD_REQUIRED_FIELD, "x")
    evolve(RATING, SchemaChange.DELETE_OPTIONAL_FIELD, "comment")
    assert before == RATING


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (SchemaChange.ADD_OPTIONAL_FIELD, "comment", "already has it"),
        (SchemaChange.DELETE_OPTIONAL_FIELD, "nope", "no such property"),
        (SchemaChange.DELETE_OPTIONAL_FIELD, "rating", "it is required"),
        (SchemaChange.DELETE_REQUIRED_FIELD, "comment", "it is optional"),
    ],
)
def test_a_change_that_does_not_fit_the_schema_is_refused(change: SchemaChange, field: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        evolve(RATING, change, field)


def test_multipart_etag_is_md5_of_part_md5s_with_part_count() -> None:
    parts = [b"a" * 10, b"b" * 3]
    digests = [hashlib.md5(p).digest() for p in parts]
    assert multipart_etag(digests) == hashlib.md5(digests[0] + digests[1]).hexdigest() + "-2"
    assert multipart_etag(digests) != hashlib.md5(b"".join(parts)).hexdigest()


def test_part_bytes_are_deterministic_sized_and_differ_per_part() -> None:
    assert part_bytes("k", 1, 100) == part_bytes("k", 1, 100)
    assert len(part_bytes("k", 1, 5 * 1024 * 1024)) == 5 * 1024 * 1024
    assert len(part_bytes("k", 2, 7)) == 7
    assert part_bytes("k", 1, 64) != part_bytes("k", 2, 64)
