"""lhkit.assertions: verify_list (list getters' contains / not contains) and get_and_verify (retry_timeout)."""

from __future__ import annotations

import pytest
from assertionengine import AssertionOperator

from lhkit.assertions import verify_list

CONTAINS, NOT_CONTAINS = AssertionOperator["contains"], AssertionOperator["not contains"]


def test_no_operator_returns_the_value() -> None:
    assert verify_list(["a"], None, None, "Buckets", None) == ["a"]


def test_contains_one_or_many() -> None:
    assert verify_list(["bronze", "gold"], CONTAINS, "gold", "Buckets", None) == ["bronze", "gold"]
    assert verify_list(["bronze", "gold"], CONTAINS, ["gold", "bronze"], "Buckets", None)
    with pytest.raises(AssertionError, match=r"Buckets \['bronze'\] should contain \['silver'\]"):
        verify_list(["bronze"], CONTAINS, ["silver"], "Buckets", None)


def test_not_contains_and_custom_message() -> None:
    with pytest.raises(AssertionError, match=r"should not contain \[.gold.\]"):
        verify_list(["gold"], NOT_CONTAINS, "gold", "Buckets", None)
    with pytest.raises(AssertionError, match=r"^custom$"):
        verify_list(["gold"], NOT_CONTAINS, "gold", "Buckets", "custom")


def test_other_operators_use_assertion_engine() -> None:
    assert verify_list(["a", "b"], AssertionOperator["=="], ["a", "b"], "Items", None) == ["a", "b"]


def test_get_and_verify_retries_until_the_assertion_holds() -> None:
    from lhkit.assertions import get_and_verify

    values = iter([1, 2, 3, 4])
    assert get_and_verify(lambda: next(values), AssertionOperator["=="], 3, "Counter", retry_timeout=2) == 3
    with pytest.raises(AssertionError, match=r"Counter .*retried for"):
        get_and_verify(lambda: 1, AssertionOperator["=="], 2, "Counter", retry_timeout=0.3)
    with pytest.raises(AssertionError, match=r"^custom$"):
        get_and_verify(lambda: 1, AssertionOperator["=="], 2, "Counter", "custom")
