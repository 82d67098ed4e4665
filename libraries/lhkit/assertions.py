"""Assertion helpers shared by the getters of several libraries (AssertionEngine style)."""

from __future__ import annotations

from typing import Any

from assertionengine import AssertionOperator, verify_assertion


def verify_list(
    value: list[Any], operator: AssertionOperator | None, expected: Any, what: str, message: str | None
) -> Any:
    """List getters: ``contains`` / ``not contains`` accept one item or a list of items."""
    if operator is None:
        return value
    contains, not_contains = AssertionOperator["contains"], AssertionOperator["not contains"]
    if operator in (contains, not_contains):
        items = list(expected) if isinstance(expected, list | tuple) else [expected]
        if operator is contains:
            absent = [i for i in items if i not in value]
            if absent:
                raise AssertionError(message or f"{what} {value!r} should contain {absent!r}")
        else:
            present = [i for i in items if i in value]
            if present:
                raise AssertionError(message or f"{what} {value!r} should not contain {present!r}")
        return value
    return verify_assertion(value, operator, expected, what, message)
