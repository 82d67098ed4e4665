"""MonitoringLibrary's pure logic: result shapes, single values, alert matching, target rows, the SVG plot."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from MonitoringLibrary.alerts import alert_row, is_firing, matching
from MonitoringLibrary.client import PromQLError, normalize_result
from MonitoringLibrary.metrics import single_value
from MonitoringLibrary.plot import series_label, svg_chart
from MonitoringLibrary.targets import describe_target, target_row

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_vector_and_scalar_results_become_numbers() -> None:
    vector = {"resultType": "vector", "result": [{"metric": {"job": "a"}, "value": [1.0, "3.5"]}]}
    assert normalize_result(vector) == [{"metric": {"job": "a"}, "value": 3.5}]
    assert normalize_result({"resultType": "scalar", "result": [1.0, "2"]}) == [{"metric": {}, "value": 2.0}]
    nan = normalize_result({"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]})
    assert nan[0]["value"] != nan[0]["value"]


def test_a_range_vector_is_refused_with_advice() -> None:
    with pytest.raises(PromQLError, match="range vector"):
        normalize_result({"resultType": "matrix", "result": []})


def test_single_value_needs_exactly_one_series() -> None:
    assert single_value("q", []) is None
    assert single_value("q", [{"metric": {}, "value": 4.0}]) == 4.0
    many = [{"metric": {"__name__": "up", "job": j}, "value": 1.0} for j in "abcdefg"]
    with pytest.raises(AssertionError, match=r"returned 7 series, expected one: up\{job=\"a\"\}.*\.\.\. Aggregate"):
        single_value("up", many)


def alert(name: str, ends: datetime, state: str = "active", **labels: str) -> dict:
    return {
        "labels": {"alertname": name, **labels},
        "status": {"state": state},
        "startsAt": (ends - timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        "endsAt": ends.isoformat().replace("+00:00", "Z"),
        "annotations": {"summary": "s"},
    }


def test_an_alert_fires_while_active_and_before_its_end() -> None:
    assert is_firing(alert("A", NOW + timedelta(minutes=3)), NOW)
    assert is_firing(alert("A", NOW + timedelta(minutes=3), state="suppressed"), NOW)
    assert not is_firing(alert("A", NOW - timedelta(seconds=1)), NOW)
    assert not is_firing(alert("A", NOW + timedelta(minutes=3), state="unprocessed"), NOW)


def test_matching_compares_name_and_given_labels_as_strings() -> None:
    alerts = [alert("FailedDagRun", NOW, dag_id="x"), alert("FailedDagRun", NOW, dag_id="y"), alert("Other", NOW)]
    assert [a["labels"]["dag_id"] for a in matching(alerts, "FailedDagRun", {"dag_id": "y"})] == ["y"]
    assert len(matching(alerts, "FailedDagRun", None)) == 2
    assert matching(alerts, "FailedDagRun", {"dag_id": 1}) == []
    assert alert_row(alerts[0])["labels"] == {"dag_id": "x"}


def test_a_down_target_is_described_with_its_error_and_last_scrape() -> None:
    row = target_row(
        {
            "labels": {"job": "kafka", "instance": "127.0.0.1:19414"},
            "health": "down",
            "lastError": "connection refused",
            "lastScrape": "2026-12-01T12:00:00Z",
            "scrapeUrl": "http://127.0.0.1:19414/metrics",
        }
    )
    text = describe_target(row)
    assert text.startswith("kafka (127.0.0.1:19414) is down: connection refused; last scrape 2026-12-01T12:00:00Z")


def test_the_plot_is_valid_svg_with_one_line_per_series_and_a_threshold() -> None:
    series = [
        {"metric": {"__name__": "m", "service": "kafka"}, "values": [(0.0, 1.0), (2.0, 3.0), (4.0, 2.0)]},
        {"metric": {"service": "s3"}, "values": [(0.0, 0.5), (4.0, float("nan"))]},
    ]
    html = svg_chart(series, title="m <query>", threshold=2.5)
    svg = ET.fromstring(html[len("<div>") : html.index("</svg>") + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}polyline")) == 2
    assert any(line.get("stroke-dasharray") for line in svg.findall(f"{ns}line"))
    assert "m &lt;query&gt;" in html
    assert series_label(series[0]["metric"]) == 'm{service="kafka"}'


def test_an_empty_window_says_so() -> None:
    assert "no samples" in svg_chart([{"metric": {}, "values": []}], title="q")
