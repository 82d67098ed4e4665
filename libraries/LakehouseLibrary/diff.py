"""Row-level comparison of expected and actual rows: missing, unexpected and changed rows."""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lhkit.htmllog import table_html

Row = Mapping[str, Any]


def normalise(value: Any) -> Any:
    """A comparable form: numbers as Decimal, datetimes as ISO text, ``NULL``/``None`` as None."""
    if value is None or (isinstance(value, str) and value.upper() in ("NULL", "${NONE}")):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float | Decimal) or isinstance(value, str):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return value
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        return number.normalize() if number.is_finite() else str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(normalise(v) for v in value)
    return value


@dataclass
class RowDiff:
    missing: list[Row] = field(default_factory=list)
    unexpected: list[Row] = field(default_factory=list)
    changed: list[tuple[Row, Row, list[str]]] = field(default_factory=list)
    matched: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.changed)

    def summary(self) -> str:
        return (
            f"{self.matched} matching, {len(self.missing)} missing, {len(self.unexpected)} unexpected, "
            f"{len(self.changed)} changed row(s)"
        )

    def html(self, columns: Sequence[str], caption: str) -> str:
        rows: list[dict[str, Any]] = []
        styles: list[str] = []
        for row in self.missing:
            rows.append({"diff": "missing", **{c: row.get(c) for c in columns}})
            styles.append("background:#fdd")
        for row in self.unexpected:
            rows.append({"diff": "unexpected", **{c: row.get(c) for c in columns}})
            styles.append("background:#ffd")
        for expected, actual, cols in self.changed:
            rows.append({"diff": "expected", **{c: expected.get(c) for c in columns}})
            styles.append("background:#fdd")
            rows.append({"diff": f"actual ({', '.join(cols)} differ)", **{c: actual.get(c) for c in columns}})
            styles.append("background:#dfd")
        return table_html(rows, ["diff", *columns], caption=caption, limit=200, row_styles=styles) + (
            f"<div>{html.escape(self.summary())}</div>"
        )


def compare_rows(
    expected: Sequence[Row],
    actual: Sequence[Row],
    *,
    key_columns: Sequence[str] = (),
    columns: Sequence[str] | None = None,
) -> RowDiff:
    """Compare on ``columns`` (default: every column named in ``expected``).

    With ``key_columns`` rows are aligned by key, so a row whose key matches but whose other
    values differ is reported as *changed*. Without keys rows are compared as a multiset.
    """
    cols = list(columns) if columns else _columns(expected)
    for k in key_columns:
        if k not in cols:
            cols.insert(0, k)
    diff = RowDiff()

    def norm(row: Row, names: Sequence[str]) -> tuple[Any, ...]:
        return tuple(normalise(row.get(c)) for c in names)

    if not key_columns:
        want = Counter(norm(r, cols) for r in expected)
        have = Counter(norm(r, cols) for r in actual)
        by_key_e = {norm(r, cols): r for r in expected}
        by_key_a = {norm(r, cols): r for r in actual}
        for k, n in want.items():
            diff.matched += min(n, have.get(k, 0))
            diff.missing += [by_key_e[k]] * max(0, n - have.get(k, 0))
        for k, n in have.items():
            diff.unexpected += [by_key_a[k]] * max(0, n - want.get(k, 0))
        return diff

    actual_by_key: dict[tuple[Any, ...], list[Row]] = {}
    for row in actual:
        actual_by_key.setdefault(norm(row, key_columns), []).append(row)
    for row in expected:
        candidates = actual_by_key.get(norm(row, key_columns))
        if not candidates:
            diff.missing.append(row)
            continue
        got = candidates.pop(0)
        differing = [c for c in cols if normalise(row.get(c)) != normalise(got.get(c))]
        if differing:
            diff.changed.append((row, got, differing))
        else:
            diff.matched += 1
    for rest in actual_by_key.values():
        diff.unexpected.extend(rest)
    return diff


def _columns(rows: Sequence[Row]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for c in row:
            if c not in cols:
                cols.append(c)
    return cols
