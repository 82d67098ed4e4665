"""BiLibrary components: Superset assets (dashboards, charts) and chart values through the API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from lhkit.assertions import get_and_verify, verify_list
from lhkit.component import LibraryComponent, LibraryContext
from lhkit.htmllog import log_json, log_table

from .client import SupersetClient, SupersetHttpError
from .normalize import NotFound, chart_query_context, find_by_name, metric_labels, parse_filters, rows_of, single_value

AREA = "Bi"
PAGE_SIZE = 100


class BiComponent(LibraryComponent):
    """Components share one client per library instance (``ctx.resource("superset", ...)``)."""

    def __init__(self, ctx: LibraryContext, request_timeout: float, connect_timeout: float):
        super().__init__(ctx)
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout

    @property
    def client(self) -> SupersetClient:
        return self.ctx.resource("superset", self._new_client, SupersetClient.close)

    def _new_client(self) -> SupersetClient:
        return SupersetClient.for_target(
            self.target, request_timeout=self._request_timeout, connect_timeout=self._connect_timeout
        )

    # --- lookups shared by the components -------------------------------------------------
    def _list(self, resource: str, columns: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            q = f"(columns:!({columns}),page:{page},page_size:{PAGE_SIZE})"
            body = self.client.request("GET", f"/api/v1/{resource}/?q={quote(q, safe='(),:!')}")
            items.extend(body.get("result", []))
            if len(items) >= int(body.get("count", 0)) or not body.get("result"):
                return items
            page += 1

    def dashboards(self) -> list[dict[str, Any]]:
        return self._list("dashboard", "id,dashboard_title,slug,published,url")

    def charts(self) -> list[dict[str, Any]]:
        return self._list("chart", "id,slice_name,viz_type,datasource_id")

    def dashboard(self, name: str) -> Mapping[str, Any]:
        """A dashboard by title or slug."""
        items = self.dashboards()
        for item in items:
            if name in (item.get("dashboard_title"), item.get("slug")):
                return item
        return find_by_name(items, name, "dashboard_title", "Dashboard")

    def chart(self, name: str) -> dict[str, Any]:
        """The full chart document (params, datasource) of the chart named ``name``."""
        found = find_by_name(self.charts(), name, "slice_name", "Chart")
        return self.client.request("GET", f"/api/v1/chart/{found['id']}")["result"]


class AssetKeywords(BiComponent):
    @keyword(tags=(AREA, "Getter"))
    def get_dashboards(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[str]:
        """Return the titles of every dashboard, optionally asserting on the list (e.g. its length).

        | ${titles}= | Get Dashboards | contains | Operations |
        | Get Dashboards | validate | len(value) >= 1 |
        """

        def get() -> list[str]:
            titles = [d["dashboard_title"] for d in self.dashboards()]
            logger.info(f"{len(titles)} dashboard(s): {', '.join(titles)}")
            return titles

        return get_and_verify(
            get, assertion_operator, assertion_expected, "Dashboards", message, retry_timeout, verify=verify_list
        )

    @keyword(tags=(AREA, "Getter"))
    def get_charts(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[str]:
        """Return the names of every chart, optionally asserting on the list.

        | Get Charts | contains | ${{["Completed trips", "Revenue"]}} |
        """

        def get() -> list[str]:
            names = [c["slice_name"] for c in self.charts()]
            logger.info(f"{len(names)} chart(s): {', '.join(names)}")
            return names

        return get_and_verify(
            get, assertion_operator, assertion_expected, "Charts", message, retry_timeout, verify=verify_list
        )

    @keyword(tags=(AREA, "Assertion"))
    def dashboard_should_exist(self, dashboard: str) -> dict[str, Any]:
        """Fail, listing the dashboards that do exist, unless a dashboard with this title or slug exists.

        Returns the dashboard (``id``, ``dashboard_title``, ``slug``, ``url``).

        | Dashboard Should Exist | Operations |
        """
        found = dict(self.dashboard(dashboard))
        logger.info(f"Dashboard '{dashboard}' exists: id {found['id']}, {self.client.url}{found.get('url', '')}")
        return found

    @keyword(tags=(AREA, "Assertion"))
    def chart_should_exist(self, chart: str, dashboard: str | None = None) -> dict[str, Any]:
        """Fail, listing the charts that do exist, unless a chart named ``chart`` exists (on ``dashboard`` if given).

        | Chart Should Exist | Revenue |
        | Chart Should Exist | Revenue | dashboard=Operations |
        """
        if dashboard is None:
            found = find_by_name(self.charts(), chart, "slice_name", "Chart")
        else:
            on_board = self._dashboard_charts(dashboard)
            found = find_by_name(on_board, chart, "slice_name", f"Chart on dashboard '{dashboard}'".capitalize())
        logger.info(
            f"Chart '{chart}' exists: id {found.get('id')}, "
            f"viz {found.get('viz_type') or found.get('form_data', {}).get('viz_type')}"
        )
        return dict(found)

    def _dashboard_charts(self, dashboard: str) -> list[dict[str, Any]]:
        board = self.dashboard(dashboard)
        return list(self.client.request("GET", f"/api/v1/dashboard/{board['id']}/charts")["result"])

    @keyword(tags=(AREA, "Getter"))
    def get_dashboard_chart_count(
        self,
        dashboard: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Return the number of charts on ``dashboard`` (title or slug), optionally asserting on it.

        | Get Dashboard Chart Count | Operations | == | 4 |
        """

        def get() -> int:
            charts = self._dashboard_charts(dashboard)
            log_table(
                [{"id": c.get("id"), "name": c.get("slice_name")} for c in charts],
                caption=f"Charts on dashboard '{dashboard}'",
            )
            return len(charts)

        return get_and_verify(
            get, assertion_operator, assertion_expected, f"Charts on '{dashboard}'", message, retry_timeout
        )


class ChartKeywords(BiComponent):
    def _data(self, chart: str, where: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        doc = self.chart(chart)
        context = chart_query_context(doc, parse_filters(where))
        started = time.monotonic()
        try:
            response = self.client.request("POST", "/api/v1/chart/data", json=context, csrf=False)
        except SupersetHttpError as error:
            raise AssertionError(f"Chart '{chart}': {error}") from None
        rows = rows_of(response)
        logger.debug(f"chart/data for '{chart}' took {time.monotonic() - started:.3f} s")
        log_json(context, title=f"Query context of chart '{chart}'", level="DEBUG")
        return doc, rows

    @keyword(tags=(AREA, "Getter"))
    def get_chart_data(
        self,
        chart: str,
        where: dict[str, Any] | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Run ``chart``'s query (``POST /api/v1/chart/data``) and return its rows, optionally asserting on them.

        ``where``: extra filters, ``column: value`` (a list means IN; ``"column >": 5`` takes an operator).

        | ${rows}= | Get Chart Data | Trips by zone | where=${{{"correlation_id": $cid}}} |
        | Get Chart Data | Trips by zone | validate | len(value) == 1 |
        """

        def get() -> list[dict[str, Any]]:
            _, rows = self._data(chart, where)
            log_table(rows, caption=f"Chart '{chart}'" + (f" where {where}" if where else ""))
            return rows

        return get_and_verify(
            get, assertion_operator, assertion_expected, f"Rows of chart '{chart}'", message, retry_timeout
        )

    @keyword(tags=(AREA, "Getter"))
    def get_chart_value(
        self,
        chart: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
        where: dict[str, Any] | None = None,
    ) -> Any:
        """Return the number ``chart`` shows (its metric over its one result row), optionally asserting on it.

        The chart's query is run by Superset itself (``POST /api/v1/chart/data``, no cache), as the
        dashboard runs it, plus the ``where`` filters. A chart with a ``groupby`` (``Trips by zone``)
        needs ``where`` filters that leave one row. With ``retry_timeout`` the query runs again until
        the assertion holds (e.g. while Gold is being rebuilt).

        | Get Chart Value | Completed trips | == | 1 | where=${{{"correlation_id": $cid}}} | retry_timeout=30 s |
        | ${revenue}= | Get Chart Value | Revenue |
        | Get Chart Value | Trips by zone | == | 1 | where=${{{"correlation_id": $cid, "zone_name": "Pinheiros"}}} |
        """

        def get() -> Any:
            doc, rows = self._data(chart, where)
            label = metric_labels(doc)[0]
            value = single_value(rows, label, chart)
            logger.info(f"Chart '{chart}' = {value!r}" + (f" where {where}" if where else ""))
            return value

        return get_and_verify(get, assertion_operator, assertion_expected, f"Chart '{chart}'", message, retry_timeout)

    @keyword(tags=(AREA, "Getter"))
    def get_chart_metric_label(self, chart: str) -> str:
        """Return the label of the chart's (first) metric: the column name of its value in chart data.

        | ${label}= | Get Chart Metric Label | Revenue |
        """
        return metric_labels(self.chart(chart))[0]


__all__ = ["AREA", "AssetKeywords", "BiComponent", "ChartKeywords", "NotFound"]
