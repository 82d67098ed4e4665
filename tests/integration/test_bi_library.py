"""BiLibrary against the REAL Superset 6.1 of the ``bi`` profile (and its Gold/Bronze data on S3).

Needs:  ./lh up --profile core --profile data-platform --profile bi
(``data-platform`` because ``bronze-init`` creates the Bronze DLQ table the "DLQ errors" chart reads).
A server that is not up is a test FAILURE, never a skip. The figures of published events are the
dashboard suite's (``suites/02_data_flows/dashboard.robot``); here a correlation id nobody published
gives exact zeros, which needs no data.
"""

from __future__ import annotations

import time
import uuid

import pytest
from assertionengine import AssertionOperator

from BiLibrary import (
    BiLibrary,
    NotFound,
    SupersetAuthError,
    SupersetClient,
    SupersetHttpError,
    SupersetUnreachable,
)

pytestmark = [pytest.mark.timeout(300), pytest.mark.profiles("core", "data-platform", "bi")]

EQ = AssertionOperator["=="]
CHARTS = ["Completed trips", "Revenue", "DLQ errors", "Trips by zone"]
NOBODY = {"correlation_id": f"nobody-{uuid.uuid4().hex}"}


@pytest.fixture(scope="module")
def lib(target: object) -> BiLibrary:
    library = BiLibrary(timeout=60)
    yield library
    library.close()


def _client(lib: BiLibrary) -> SupersetClient:
    """The library's own client (logged in): built by the first keyword that talks to Superset."""
    lib.get_dashboards()
    client = lib.ctx.resource("superset", lambda: None)
    assert isinstance(client, SupersetClient)
    return client


def test_operations_dashboard_and_its_charts_exist(lib: BiLibrary) -> None:
    assert "Operations" in lib.get_dashboards(AssertionOperator["contains"], "Operations")
    board = lib.dashboard_should_exist("operations")  # by slug as well as by title
    assert board["dashboard_title"] == "Operations"
    assert lib.get_dashboard_chart_count("Operations", EQ, 4) == 4
    lib.get_charts(AssertionOperator["contains"], CHARTS)
    for chart in CHARTS:
        assert lib.chart_should_exist(chart, dashboard="Operations")["slice_name"] == chart


def test_missing_dashboard_and_chart_name_what_exists(lib: BiLibrary) -> None:
    with pytest.raises(NotFound, match=r"Dashboard 'Operatons' does not exist\. Existing dashboards: .*Operations"):
        lib.dashboard_should_exist("Operatons")
    with pytest.raises(NotFound, match=r"Chart 'Revenu' does not exist\. Existing charts: .*Revenue"):
        lib.chart_should_exist("Revenu")
    with pytest.raises(NotFound, match="Chart 'Revenu' does not exist"):
        lib.get_chart_value("Revenu")


def test_chart_values_run_the_charts_query_with_filters(lib: BiLibrary) -> None:
    # Superset runs each chart's SQL through DuckDB over the Delta table on S3; nobody published NOBODY.
    assert lib.get_chart_value("DLQ errors", EQ, 0, where=NOBODY) == 0
    assert lib.get_chart_data("DLQ errors", where=NOBODY) == [{"dlq_errors": 0}]
    total = lib.get_chart_value("DLQ errors")
    assert isinstance(total, int) and total >= 0
    assert lib.get_chart_metric_label("Revenue") == "revenue"


def test_a_failing_assertion_retries_and_says_how_long(lib: BiLibrary) -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"Chart 'DLQ errors' '0' \(int\) should be '1' \(int\).*retried for"):
        lib.get_chart_value("DLQ errors", EQ, 1, where=NOBODY, retry_timeout="2 s")
    assert 2 <= time.monotonic() - started < 20


def test_an_unknown_filter_column_fails_with_superset_s_reason(lib: BiLibrary) -> None:
    # Superset itself drops the filter and answers the unfiltered figure; the library refuses that.
    with pytest.raises(AssertionError, match=r"rejected the filter\(s\) on no_such_column \(not_in_datasource\)"):
        lib.get_chart_value("DLQ errors", where={"no_such_column": "x"})


def test_mutating_calls_carry_the_csrf_token(lib: BiLibrary) -> None:
    board = lib.dashboard_should_exist("Operations")
    client = _client(lib)
    link = client.request("POST", f"/api/v1/dashboard/{board['id']}/permalink", json={"dataMask": {}})
    assert link["key"] and "/superset/dashboard/p/" in link["url"]
    with pytest.raises(SupersetHttpError, match=r"HTTP 400.*CSRF token is missing"):
        client.request("POST", f"/api/v1/dashboard/{board['id']}/permalink", json={"dataMask": {}}, csrf=False)


def test_a_wrong_password_is_refused_without_showing_it(lib: BiLibrary) -> None:
    bad = BiLibrary(password="not-the-password")
    with pytest.raises(SupersetAuthError) as error:
        bad.get_dashboards()
    message = str(error.value)
    assert "refused the credentials of user 'admin'" in message and "HTTP 401" in message
    assert "not-the-password" not in message


def test_an_unreachable_superset_fails_with_its_url_and_how_long_it_tried() -> None:
    lib = BiLibrary(url="http://127.0.0.1:9", connect_timeout="2 s")
    started = time.monotonic()
    with pytest.raises(
        SupersetUnreachable, match=r"Cannot reach Superset at http://127\.0\.0\.1:9 .*tried for 2\.\d s"
    ):
        lib.dashboard_should_exist("Operations")
    assert time.monotonic() - started < 10


def test_the_browser_logs_in_and_reads_the_rendered_dashboard(lib: BiLibrary) -> None:
    url = lib.open_dashboard_in_browser("Operations", correlation_id=NOBODY["correlation_id"], timeout=90)
    try:
        assert "/superset/dashboard/p/" in url
        lib.dashboard_should_show("DLQ errors", 0)
        assert lib.get_dashboard_number("DLQ errors", EQ, 0) == 0
        with pytest.raises(AssertionError, match="Chart 'DLQ errors' shows no table"):
            lib.get_dashboard_table("DLQ errors")
        with pytest.raises(AssertionError, match=r"Browser: chart 'DLQ errors' '0\.0' \(float\) should be '1\.0'"):
            lib.dashboard_should_show("DLQ errors", 1)
        with pytest.raises(NotFound, match=r"Chart 'Nope' is not on the open dashboard\. Shown: .*DLQ errors"):
            lib.get_dashboard_number("Nope")
    finally:
        lib.close_dashboard_browser()


def test_the_s3_secret_is_not_in_supersets_database_answers(lib: BiLibrary, target: object) -> None:
    # Superset reads Gold with a DuckDB persistent secret in the state dir, not credentials in its metadata.
    client = _client(lib)
    databases = client.request("GET", "/api/v1/database/")["result"]
    assert databases, "Superset has no database"
    secret = target.s3_secret_key
    for db in databases:
        for path in (f"/api/v1/database/{db['id']}", f"/api/v1/database/{db['id']}/connection"):
            body = client._send("GET", path, headers={"Authorization": f"Bearer {client.token()}"})
            assert body.status_code == 200, path
            if secret in body.text:  # not an assert: pytest would print the secret
                pytest.fail(f"{path} shows the S3 secret")
