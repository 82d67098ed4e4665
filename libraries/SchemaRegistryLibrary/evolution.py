"""Schema evolution helpers: derive the next version of a JSON Schema by one named change.

The compatibility tests (``suites/05_external_integrations/schema_registry_api.robot``) start
from a contract schema and need its next version with exactly one change, named in the
words of Confluent's compatibility documentation (add an optional field, add a required
field, delete an optional field). Building those in Python keeps the suite declarative.
"""

from __future__ import annotations

import copy
import json
from enum import Enum
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog

from .client import schema_text
from .keywords import AREA, RegistryComponent


class SchemaChange(Enum):
    """One change to an object schema (``properties`` / ``required``)."""

    ADD_OPTIONAL_FIELD = "add optional field"
    ADD_REQUIRED_FIELD = "add required field"
    DELETE_OPTIONAL_FIELD = "delete optional field"
    DELETE_REQUIRED_FIELD = "delete required field"
    CHANGE_DESCRIPTION = "change description"


def evolve(schema: dict[str, Any], change: SchemaChange, field: str) -> dict[str, Any]:
    """A copy of ``schema`` with ``change`` applied to ``field`` (pure; raises ValueError on misuse)."""
    out = copy.deepcopy(schema)
    props: dict[str, Any] = out.setdefault("properties", {})
    required: list[str] = list(out.get("required", []))
    if change in (SchemaChange.ADD_OPTIONAL_FIELD, SchemaChange.ADD_REQUIRED_FIELD):
        if field in props:
            raise ValueError(f"Cannot add field '{field}': the schema already has it")
        # A default, as Confluent's rules for Avro ask of an optional field; JSON Schema ignores it.
        props[field] = {"type": ["string", "null"], "default": None}
        if change is SchemaChange.ADD_REQUIRED_FIELD:
            props[field] = {"type": "string"}
            required.append(field)
    elif change in (SchemaChange.DELETE_OPTIONAL_FIELD, SchemaChange.DELETE_REQUIRED_FIELD):
        if field not in props:
            raise ValueError(f"Cannot delete field '{field}': the schema has no such property")
        is_required = field in required
        if is_required != (change is SchemaChange.DELETE_REQUIRED_FIELD):
            kind = "required" if is_required else "optional"
            raise ValueError(f"Cannot '{change.value}' '{field}': it is {kind} in the schema")
        del props[field]
        required = [r for r in required if r != field]
    elif change is SchemaChange.CHANGE_DESCRIPTION:
        out["description"] = f"{out.get('description', '')} ({field})".strip()
    if required or "required" in out:
        out["required"] = required
    return out


class EvolutionKeywords(RegistryComponent):
    @keyword(tags=(AREA, "Getter"))
    def evolve_schema(self, schema: Any, change: SchemaChange, field: str) -> dict[str, Any]:
        """Returns a copy of ``schema`` (a dictionary, JSON text or a ``.json`` path) with one change.

        ``change`` is one of ``add optional field`` (nullable string with a default),
        ``add required field`` (string, listed in ``required``), ``delete optional field``,
        ``delete required field`` or ``change description`` (documentation only; ``field`` is
        appended to the description). Deleting a field of the wrong kind fails, so a test
        cannot silently test another change than it names.

        | ${next}= | Evolve Schema | contract/schemas/rating_event.json | add optional field | tip_note |
        | ${next}= | Evolve Schema | ${v1} | delete optional field | comment |
        """
        base = json.loads(schema_text(schema))
        result = evolve(base, change, field)
        logger.info(f"Schema '{base.get('title', '?')}': {change.value} '{field}'")
        htmllog.log_json(result, title=f"{change.value} '{field}'", level="DEBUG")
        return result
