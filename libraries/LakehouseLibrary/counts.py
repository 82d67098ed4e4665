"""The one row-count semantic of every wait on rows (LakehouseLibrary and StreamingLibrary).

* ``count=N`` means *exactly* N: the wait polls until N rows are there; more than N (now or
  by the time the wait sees them) fails at once and says how many more.
* ``assertion_operator`` / ``assertion_expected`` (AssertionEngine) express anything else,
  e.g. ``>=  6`` for "at least six": the wait polls until the assertion holds.
* Neither: at least one row.
"""

from __future__ import annotations

from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion


class RowCount:
    """What a wait expects of a row count."""

    def __init__(
        self,
        what: str,
        count: int | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ):
        if count is not None and assertion_operator is not None:
            raise ValueError(
                "Give either count= (exactly that many rows) or assertion_operator/assertion_expected, not both"
            )
        if count is not None and int(count) < 0:
            raise ValueError(f"count must not be negative, got {count}")
        if count is None and assertion_operator is None:
            assertion_operator, assertion_expected = AssertionOperator[">="], 1
        self.what = what
        self.count = None if count is None else int(count)
        self.operator = assertion_operator
        self.expected = assertion_expected
        self.message = message

    @property
    def wanted(self) -> str:
        """``exactly 6`` or ``>= 6``: the expectation in words, for messages."""
        if self.count is not None:
            return f"exactly {self.count}"
        return f"{self.operator.value} {self.expected}"  # type: ignore[union-attr]

    def reached(self, n: int) -> bool:
        """Whether the wait can stop polling (for ``count``: N or more rows; a surplus is then final)."""
        if self.count is not None:
            return n >= self.count
        try:
            int_str_verify_assertion(n, self.operator, self.expected, self.what, self.message)
        except AssertionError:
            return False
        return True

    def verify(self, n: int, detail: str = "") -> None:
        """Fail unless ``n`` is what was asked for; ``detail`` explains a surplus (e.g. duplicated ids)."""
        if self.count is not None and n != self.count:
            surplus = f", {n - self.count} more than expected" if n > self.count else ""
            raise AssertionError(
                self.message or f"Expected exactly {self.count} {self.what}, found {n}{surplus}{detail}"
            )
        if self.count is None:
            int_str_verify_assertion(n, self.operator, self.expected, self.what, self.message)
