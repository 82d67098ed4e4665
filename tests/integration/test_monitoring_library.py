"""MonitoringLibrary against the REAL Prometheus 2.42 and Alertmanager 0.25 of the monitoring profile.

Needs:  ./lh up --profile monitoring --profile core   (the conftest starts them). A server that is not up
is a test FAILURE, never a skip. One test stops the memory exporter to see a real target go down, and
starts it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from assertionengine import AssertionOperator

from contract.platform import PlatformContract
from MonitoringLibrary import (
    AlertNotInState,
    MonitoringLibrary,
    MonitoringUnreachable,
    NoSeries,
    PromQLError,
    TargetDown,
)
from tests.faults.cli import platform_cli

pytestmark = [pytest.mark.timeout(180), pytest.mark.profiles("monitoring", "core")]
GT, EQ = AssertionOperator[">"], AssertionOperator["=="]


@pytest.fixture()
def mon(platform: PlatformContract) -> Iterator[MonitoringLibrary]:
    lib = MonitoringLibrary(timeout=20)
    yield lib
    lib.close()


def kw(lib: MonitoringLibrary, name: str):
    return lib.keywords[name]


def test_a_value_is_read_and_asserted(mon: MonitoringLibrary) -> None:
    assert mon.run_keyword("get_metric_value", ['up{job="prometheus"}'], {}) == 1.0
    mon.run_keyword("get_metric_value", ['up{job="prometheus"}', EQ, 1], {"retry_timeout": "10 s"})


def test_a_getter_retries_until_the_assertion_holds(mon: MonitoringLibrary) -> None:
    later = time.time() + 2.5
    started = time.monotonic()
    value = mon.run_keyword("get_metric_value", ["time()", GT, later], {"retry_timeout": "10 s"})
    assert value > later
    assert 2.0 <= time.monotonic() - started < 8


def test_a_failing_assertion_reports_expected_last_seen_and_retry_time(mon: MonitoringLibrary) -> None:
    with pytest.raises(AssertionError, match=r"should be .*retried for [23]\.\d s"):
        mon.run_keyword("get_metric_value", ['up{job="prometheus"}', EQ, 2], {"retry_timeout": "2 s"})


def test_an_unknown_metric_fails_with_no_series_within_the_retry_timeout(mon: MonitoringLibrary) -> None:
    started = time.monotonic()
    with pytest.raises(NoSeries, match=r"no series for lh_no_such_metric_total"):
        mon.run_keyword("get_metric_value", ["lh_no_such_metric_total", GT, 0], {"retry_timeout": "2 s"})
    assert 2.0 <= time.monotonic() - started < 6
    with pytest.raises(NoSeries, match="no series for lh_no_such_metric_total"):
        mon.run_keyword("get_metric_value", ["lh_no_such_metric_total"], {})


def test_a_promql_syntax_error_fails_at_once_with_prometheus_message(mon: MonitoringLibrary) -> None:
    started = time.monotonic()
    with pytest.raises(PromQLError, match=r"rejected the query 'sum\(rate\(up\[1m\]\)' \(bad_data\): .*parse error"):
        mon.run_keyword("get_metric_value", ["sum(rate(up[1m])", GT, 0], {"retry_timeout": "30 s"})
    assert time.monotonic() - started < 3, "a syntax error must not be retried"


def test_an_unreachable_prometheus_fails_naming_its_url_quickly(platform: PlatformContract) -> None:
    lib = MonitoringLibrary(prometheus_url="http://127.0.0.1:1", timeout=5)
    started = time.monotonic()
    with pytest.raises(
        MonitoringUnreachable, match=r"Cannot reach Prometheus at http://127.0.0.1:1: Connection refused"
    ):
        lib.run_keyword("get_metric_value", ["up"], {})
    assert time.monotonic() - started < 6


def test_several_series_need_aggregation_or_get_metric_values(mon: MonitoringLibrary) -> None:
    with pytest.raises(AssertionError, match=r"returned \d+ series, expected one"):
        mon.run_keyword("get_metric_value", ["lakehouse_service_memory_budget_bytes"], {})
    budgets = mon.run_keyword(
        "get_metric_values", ["lakehouse_service_memory_budget_bytes / 1048576"], {"by": "service"}
    )
    assert budgets["prometheus"] == 256 and budgets["kafka"] == 768
    series = mon.run_keyword("get_metric_series", ['up{job="alertmanager"}'], {})
    assert series[0]["metric"]["job"] == "alertmanager"


def test_configured_targets_are_up_and_an_unknown_job_is_named(mon: MonitoringLibrary) -> None:
    mon.run_keyword("target_should_be_up", ["prometheus"], {})
    mon.run_keyword("target_should_be_up", ["kafka"], {"timeout": "30 s"})
    with pytest.raises(TargetDown, match=r"No scrape target nope is configured .* Targets: .*prometheus"):
        mon.run_keyword("target_should_be_up", ["nope"], {})


def test_a_stopped_exporter_is_a_down_target_with_its_error(mon: MonitoringLibrary) -> None:
    platform_cli("stop", "memory-exporter")
    try:
        # Prometheus sees it at its next scrape (every 2 s).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            rows = mon.run_keyword("get_scrape_targets", [], {})
            if any(r["job"] == "lakehouse-memory" and r["health"] == "down" for r in rows):
                break
            time.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(
            TargetDown, match=r"lakehouse-memory \(127\.0\.0\.1:\d+\) is down: .*connection refused; last scrape 20"
        ):
            mon.run_keyword("target_should_be_up", ["lakehouse-memory"], {"timeout": "5 s"})
        with pytest.raises(TargetDown, match=r"1 of \d+ scrape targets not up after 1\.\d+ s: lakehouse-memory"):
            mon.run_keyword("all_targets_should_be_up", [], {"timeout": "1 s"})
        assert 5 <= time.monotonic() - started < 10
    finally:
        platform_cli("start", "memory-exporter")
    mon.run_keyword("target_should_be_up", ["lakehouse-memory"], {"timeout": "20 s"})


def test_wait_for_alert_names_the_missing_rule_and_resolved_holds_for_a_quiet_alert(mon: MonitoringLibrary) -> None:
    started = time.monotonic()
    with pytest.raises(AlertNotInState, match=r"NoSuchAlert .* firing .* no alerting rule named NoSuchAlert"):
        mon.run_keyword("wait_for_alert", ["NoSuchAlert"], {"timeout": "1 s"})
    assert time.monotonic() - started < 4
    mon.run_keyword("wait_for_alert", ["NoSuchAlert", "resolved"], {"timeout": "1 s"})
    rule = mon.run_keyword("get_alert_rule", ["FailedDagRun"], {})
    assert rule["health"] == "ok" and "airflow_dagrun_duration_failed_count" in rule["query"]
