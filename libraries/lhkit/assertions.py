"""Getters in the AssertionEngine style, with retry (Browser's assertion polling, DatabaseLibrary's
``retry_timeout``).

Every getter takes ``assertion_operator``, ``assertion_expected`` and ``message``; with
``retry_timeout`` it reads again until the assertion holds or the time is up, and then fails
with AssertionEngine's message plus how long it retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from assertionengine import AssertionOperator, verify_assertion

from lhkit.polling import WaitTimeout, to_seconds, wait_until

T = TypeVar("T")


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


def get_and_verify(
    get: Callable[[], T],
    assertion_operator: AssertionOperator | None,
    assertion_expected: Any,
    what: str,
    message: str | None = None,
    retry_timeout: timedelta | float | str | None = None,
    verify: Callable[..., Any] = verify_assertion,
) -> T:
    """Read a value with ``get`` and assert it; with ``retry_timeout``, read again until it holds.

    Errors from ``get`` itself (bad SQL, an unknown table) propagate at once; only a failing
    assertion is retried.
    """
    if assertion_operator is None:
        return get()
    seconds = to_seconds(retry_timeout, 0.0)
    if seconds <= 0:
        value = get()
        verify(value, assertion_operator, assertion_expected, what, message)
        return value
    failure: list[str] = []

    def holds(value: T) -> bool:
        try:
            verify(value, assertion_operator, assertion_expected, what, message)
        except AssertionError as error:
            failure[:] = [str(error)]
            return False
        return True

    try:
        return wait_until(
            get,
            holds,
            timeout=seconds,
            description=f"{what} {assertion_operator.value} {assertion_expected!r}",
            describe=repr,
        )
    except WaitTimeout as error:
        raise AssertionError(
            f"{failure[0] if failure else error} (retried for {error.waited:.1f} s, {error.attempts} reads)"
        ) from None
