"""Pure logic of BiLibrary (no HTTP, no browser): unit-tested in ``tests/unit/test_bi_normalize.py``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

FILTER_OPERATORS = ("==", "!=", ">", "<", ">=", "<=", "IN", "NOT IN", "LIKE", "IS NULL", "IS NOT NULL")


class NotFound(AssertionError):
    """A named dashboard or chart does not exist. Robot shows the message without the class name."""

    ROBOT_SUPPRESS_NAME = True


def error_detail(body: Any) -> str:
    """The useful part of a Superset error body (``message``, ``errors[].message`` or the text)."""
    if isinstance(body, Mapping):
        if "message" in body:
            message = body["message"]
            return json.dumps(message) if not isinstance(message, str) else message
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)
        return json.dumps(body)[:500]
    return str(body)[:500]


def find_by_name(items: Sequence[Mapping[str, Any]], name: str, key: str, kind: str) -> Mapping[str, Any]:
    """The item whose ``key`` equals ``name``; else :class:`NotFound` naming it and listing what exists."""
    for item in items:
        if item.get(key) == name:
            return item
    known = sorted(str(i.get(key)) for i in items)
    raise NotFound(f"{kind} '{name}' does not exist. Existing {kind.lower()}s: {', '.join(known) or 'none'}")


def parse_filters(where: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """``{"correlation_id": "abc", "zone_name": "Pinheiros"}`` → Superset query filters (``==``; a list → ``IN``).

    A key may carry an operator after a space: ``{"fare >": 10}``."""
    out: list[dict[str, Any]] = []
    for raw, value in (where or {}).items():
        column, _, op = str(raw).strip().partition(" ")
        op = op.strip().upper() or ("IN" if isinstance(value, list | tuple) else "==")
        if op not in FILTER_OPERATORS:
            raise ValueError(
                f"Unknown filter operator '{op}' for column '{column}'. Known: {', '.join(FILTER_OPERATORS)}"
            )
        item: dict[str, Any] = {"col": column, "op": op}
        if op not in ("IS NULL", "IS NOT NULL"):
            item["val"] = list(value) if isinstance(value, list | tuple) else value
        out.append(item)
    return out


def chart_form_data(chart: Mapping[str, Any]) -> dict[str, Any]:
    params = chart.get("params") or "{}"
    return json.loads(params) if isinstance(params, str) else dict(params)


def chart_query_context(chart: Mapping[str, Any], filters: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The ``/api/v1/chart/data`` body for a chart document (``GET /api/v1/chart/<id>``).

    A saved ``query_context`` is used as it is (pointed at the chart's current dataset); otherwise
    it is built from the form data the way Superset's frontend does for the chart types the
    lakehouse uses (metric(s), ``groupby`` columns, ``adhoc_filters``). ``filters`` are appended to
    every query; ``force`` bypasses any result cache."""
    form = chart_form_data(chart)
    datasource = {"id": chart["datasource_id"], "type": chart.get("datasource_type") or "table"}
    saved = chart.get("query_context")
    if saved:
        context = json.loads(saved) if isinstance(saved, str) else dict(saved)
        context["datasource"] = datasource
        for query in context.get("queries", []):
            query["filters"] = [*query.get("filters", []), *filters]
    else:
        metrics = [form["metric"]] if form.get("metric") else list(form.get("metrics") or [])
        if not metrics:
            raise ValueError(f"Chart '{chart.get('slice_name')}' has no metric in its form data")
        simple = [
            {"col": f["subject"], "op": f["operator"], "val": f.get("comparator")}
            for f in form.get("adhoc_filters", [])
            if f.get("expressionType") == "SIMPLE" and f.get("clause", "WHERE") == "WHERE"
        ]
        query = {
            "metrics": metrics,
            "columns": list(form.get("groupby") or []),
            "filters": [*simple, *filters],
            "row_limit": int(form.get("row_limit") or 1000),
            "orderby": [[metrics[0], False]] if form.get("groupby") else [],
            "extras": {"where": "", "having": ""},
        }
        context = {"datasource": datasource, "queries": [query], "form_data": form}
    context.update(result_format="json", result_type="full", force=True)
    return context


def metric_labels(chart: Mapping[str, Any]) -> list[str]:
    form = chart_form_data(chart)
    metrics = [form["metric"]] if form.get("metric") else list(form.get("metrics") or [])
    return [m if isinstance(m, str) else str(m.get("label") or m.get("sqlExpression")) for m in metrics]


def rows_of(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of the first query of a ``/api/v1/chart/data`` answer; a query error fails with its text."""
    results = response.get("result") or []
    if not results:
        raise AssertionError(f"/api/v1/chart/data returned no result: {error_detail(response)}")
    first = results[0]
    if first.get("error"):
        raise AssertionError(f"The chart's query failed: {first['error']}")
    # Superset drops a filter on a column the dataset lacks and answers the UNFILTERED figure:
    # a typo in where= would silently read everyone's data.
    rejected = first.get("rejected_filters") or []
    if rejected:
        what = ", ".join(f"{r.get('column')} ({r.get('reason')})" for r in rejected)
        raise AssertionError(f"Superset rejected the filter(s) on {what}: not a column of the chart's dataset")
    return list(first.get("data") or [])


def single_value(rows: Sequence[Mapping[str, Any]], label: str, chart_name: str) -> Any:
    """The metric of a one-row result (a big number; a NULL sum over no rows reads as 0)."""
    if len(rows) != 1:
        raise AssertionError(
            f"Chart '{chart_name}' returned {len(rows)} rows, not one: give where= filters that select one row "
            f"(or use Get Chart Data). First rows: {list(rows)[:5]}"
        )
    row = rows[0]
    if label not in row:
        raise AssertionError(f"Chart '{chart_name}' has no column '{label}' in its result: {row}")
    value = row[label]
    return 0 if value is None else value


_NUMBER = re.compile(r"^[−-]?[\d,]*\.?\d+\s*[kKMGTB]?$")
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12}


def parse_rendered_number(text: str) -> float | None:
    """A number as a big-number chart renders it (``1,234.50``, ``12``, ``1.2k``, ``−3``); None if it is not one."""
    clean = text.strip().replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", "")
    if not _NUMBER.match(clean.replace("\u2212", "-")):
        return None
    suffix = clean[-1] if clean[-1] in _SUFFIX else ""
    digits = clean[:-1] if suffix else clean
    value = float(digits.replace(",", "").strip())
    return value * _SUFFIX[suffix] if suffix else value
