"""Pure logic of BiLibrary: lookups by name, filters, the chart-data body, values, rendered numbers."""

from __future__ import annotations

import json

import pytest

from BiLibrary.normalize import (
    NotFound,
    chart_query_context,
    error_detail,
    find_by_name,
    metric_labels,
    parse_filters,
    parse_rendered_number,
    rows_of,
    single_value,
)

BIG_NUMBER = {
    "slice_name": "Revenue",
    "datasource_id": 7,
    "datasource_type": "table",
    "query_context": None,
    "params": json.dumps(
        {
            "viz_type": "big_number_total",
            "metric": {"expressionType": "SQL", "sqlExpression": "SUM(fare_amount)", "label": "revenue"},
            "adhoc_filters": [
                {
                    "expressionType": "SIMPLE",
                    "clause": "WHERE",
                    "subject": "currency",
                    "operator": "==",
                    "comparator": "BRL",
                }
            ],
        }
    ),
}
TABLE = {
    "slice_name": "Trips by zone",
    "datasource_id": 9,
    "params": {
        "viz_type": "table",
        "groupby": ["zone_name"],
        "metrics": [{"label": "trips", "sqlExpression": "COUNT(*)"}],
    },
}


def test_find_by_name_lists_what_exists() -> None:
    items = [{"slice_name": "Revenue"}, {"slice_name": "Completed trips"}]
    assert find_by_name(items, "Revenue", "slice_name", "Chart") == {"slice_name": "Revenue"}
    with pytest.raises(NotFound, match=r"Chart 'Revnue' does not exist\. Existing charts: Completed trips, Revenue"):
        find_by_name(items, "Revnue", "slice_name", "Chart")
    with pytest.raises(NotFound, match="Existing dashboards: none"):
        find_by_name([], "Operations", "dashboard_title", "Dashboard")


def test_parse_filters() -> None:
    assert parse_filters({"correlation_id": "c1"}) == [{"col": "correlation_id", "op": "==", "val": "c1"}]
    assert parse_filters({"zone_id": ["a", "b"]}) == [{"col": "zone_id", "op": "IN", "val": ["a", "b"]}]
    assert parse_filters({"fare >=": 10}) == [{"col": "fare", "op": ">=", "val": 10}]
    assert parse_filters({"error_type is null": None}) == [{"col": "error_type", "op": "IS NULL"}]
    assert parse_filters(None) == []
    with pytest.raises(ValueError, match="Unknown filter operator 'ABOUT'"):
        parse_filters({"fare about": 1})


def test_query_context_from_form_data_appends_filters_and_forces() -> None:
    extra = [{"col": "correlation_id", "op": "==", "val": "c1"}]
    context = chart_query_context(BIG_NUMBER, extra)
    assert context["datasource"] == {"id": 7, "type": "table"}
    assert context["force"] is True and context["result_type"] == "full"
    (query,) = context["queries"]
    assert query["metrics"][0]["label"] == "revenue"
    assert query["columns"] == []
    assert query["filters"] == [{"col": "currency", "op": "==", "val": "BRL"}, *extra]


def test_query_context_of_a_grouped_chart() -> None:
    (query,) = chart_query_context(TABLE)["queries"]
    assert query["columns"] == ["zone_name"]
    assert query["orderby"] == [[query["metrics"][0], False]]


def test_saved_query_context_is_pointed_at_the_current_dataset() -> None:
    saved = {"datasource": {"id": 1, "type": "table"}, "queries": [{"metrics": ["count"], "filters": []}]}
    chart = {**BIG_NUMBER, "query_context": json.dumps(saved)}
    context = chart_query_context(chart, [{"col": "x", "op": "==", "val": 1}])
    assert context["datasource"]["id"] == 7
    assert context["queries"][0]["filters"] == [{"col": "x", "op": "==", "val": 1}]


def test_chart_without_metric_is_an_error() -> None:
    with pytest.raises(ValueError, match="has no metric"):
        chart_query_context({"slice_name": "x", "datasource_id": 1, "params": "{}"})


def test_metric_labels() -> None:
    assert metric_labels(BIG_NUMBER) == ["revenue"]
    assert metric_labels(TABLE) == ["trips"]
    assert metric_labels({"params": {"metrics": ["count"]}}) == ["count"]


def test_rows_and_single_value() -> None:
    assert rows_of({"result": [{"data": [{"revenue": 12.5}]}]}) == [{"revenue": 12.5}]
    with pytest.raises(AssertionError, match="query failed: boom"):
        rows_of({"result": [{"error": "boom"}]})
    rejected = {
        "result": [{"data": [{"n": 9}], "rejected_filters": [{"reason": "not_in_datasource", "column": "cid"}]}]
    }
    with pytest.raises(AssertionError, match=r"rejected the filter\(s\) on cid \(not_in_datasource\)"):
        rows_of(rejected)
    with pytest.raises(AssertionError, match="no result"):
        rows_of({"message": "nope"})
    assert single_value([{"revenue": 12.5}], "revenue", "Revenue") == 12.5
    assert single_value([{"revenue": None}], "revenue", "Revenue") == 0  # SUM over no rows
    with pytest.raises(AssertionError, match="returned 2 rows, not one"):
        single_value([{"trips": 1}, {"trips": 2}], "trips", "Trips by zone")
    with pytest.raises(AssertionError, match="no column 'revenue'"):
        single_value([{"x": 1}], "revenue", "Revenue")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), ("1,234.50", 1234.5), ("0", 0.0), ("\u22123", -3.0), ("1.2k", 1200.0), ("2M", 2e6), (" 42 ", 42.0)],
)
def test_parse_rendered_number(text: str, value: float) -> None:
    assert parse_rendered_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "No results", "N/A", "1 2", "abc"])
def test_parse_rendered_number_rejects_text(text: str) -> None:
    assert parse_rendered_number(text) is None


def test_error_detail() -> None:
    assert error_detail({"message": "The CSRF token is missing."}) == "The CSRF token is missing."
    assert error_detail({"message": {"slice_name": ["bad"]}}) == '{"slice_name": ["bad"]}'
    assert error_detail({"errors": [{"message": "a"}, {"message": "b"}]}) == "a; b"
    assert error_detail("<html>") == "<html>"
