"""Validate events against the JSON-Schema contracts (draft 2020-12, formats asserted)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from contract.topics import topic as contract_topic


@cache
def validator(topic: str) -> Draft202012Validator:
    try:
        schema = contract_topic(topic).schema()
    except KeyError as error:
        raise ValueError(error.args[0]) from None
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(topic: str, event: Any) -> list[str]:
    """Human-readable schema violations of ``event`` (a dict, JSON text or bytes); empty when valid."""
    if isinstance(event, bytes | bytearray):
        try:
            event = event.decode("utf-8")
        except UnicodeDecodeError as error:
            return [f"not UTF-8: {error}"]
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except json.JSONDecodeError as error:
            return [f"not JSON: {error}"]
    found = sorted(validator(topic).iter_errors(event), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in found]
