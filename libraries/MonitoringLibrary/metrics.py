"""PromQL getters (AssertionEngine style, with retry) and the inline plot of a query over time."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify
from lhkit.polling import WaitTimeout, format_seconds, to_seconds

from .context import AREA, MonitoringComponent
from .plot import series_label, svg_chart

DEFAULT_WINDOW = 300.0


class NoSeries(AssertionError):
    ROBOT_SUPPRESS_NAME = True


def single_value(query: str, result: list[dict[str, Any]]) -> float | None:
    """The one number of an instant query; ``None`` when there is no series; an error for several."""
    if not result:
        return None
    if len(result) > 1:
        shown = ", ".join(series_label(s["metric"]) for s in result[:5])
        raise AssertionError(
            f"Query {query!r} returned {len(result)} series, expected one: {shown}"
            f"{' ...' if len(result) > 5 else ''}. Aggregate it (sum, max, ...) or select by labels, "
            "or use `Get Metric Values`."
        )
    return result[0]["value"]


class MetricKeywords(MonitoringComponent):
    def _verify_present(self, query: str) -> Any:
        def verify(value: Any, operator: Any, expected: Any, what: str, message: str | None) -> Any:
            if value is None:
                raise NoSeries(f"no series for {query}")
            return verify_assertion(value, operator, expected, what, message)

        return verify

    def _get(
        self, query: str, extract: Any, operator: Any, expected: Any, message: str | None, retry_timeout: Any, what: str
    ) -> Any:
        started = time.time()

        def read() -> Any:
            return extract(query, self.prometheus.query(query))

        try:
            if operator is None:
                if to_seconds(retry_timeout, 0.0) > 0:
                    return self.wait_until(
                        read,
                        lambda v: v is not None,
                        timeout=to_seconds(retry_timeout, 0.0),
                        description=f"a series for {query}",
                        describe=lambda _: "no series",
                    )
                value = read()
                if value is None:
                    raise NoSeries(f"no series for {query}")
                return value
            return get_and_verify(
                read, operator, expected, what, message, retry_timeout, verify=self._verify_present(query)
            )
        except (AssertionError, WaitTimeout) as error:
            if not isinstance(error, NoSeries) or to_seconds(retry_timeout, 0.0) > 0:
                self._plot_quietly(query, started - 60, time.time())
            if isinstance(error, WaitTimeout):
                raise NoSeries(f"no series for {query}: {error}") from None
            if not isinstance(error, NoSeries) and str(error).startswith(f"no series for {query}"):
                raise NoSeries(str(error)) from None
            raise

    def _plot_quietly(self, query: str, start: float, end: float, threshold: float | None = None) -> None:
        try:
            self.log_plot(query, start, end, threshold=threshold)
        except Exception as error:  # a plot must never replace the real failure
            logger.debug(f"(no plot: {error})")

    def log_plot(
        self, query: str, start: float, end: float, step: float | None = None, threshold: float | None = None
    ) -> list[dict[str, Any]]:
        step = step or max(1.0, round((end - start) / 150, 1))
        series = self.prometheus.query_range(query, start, end, step)
        logger.info(svg_chart(series, title=query, threshold=threshold), html=True)
        return series

    @keyword(tags=(AREA, "Getter"))
    def get_metric_value(
        self,
        query: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: float | None = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> float:
        """Return the single number of the instant PromQL ``query``, optionally asserting it.

        The query must return exactly one series (aggregate with ``sum``, ``max``... or select
        by labels). No series at all is a failure, ``no series for <query>``: with
        ``retry_timeout`` the keyword asks again until a series exists and the assertion holds.
        A PromQL syntax error fails at once with Prometheus' message; an unreachable Prometheus
        fails naming its URL. On failure, the query's series over the last minute and the retry
        window are plotted in log.html.

        | ${up}= | Get Metric Value | up{job="kafka"} |
        | Get Metric Value | sum(lakehouse_bronze_rows_total{table="trips"}) | >= | 6 | retry_timeout=30 s |
        | Get Metric Value | rate(airflow_scheduler_heartbeat[30s]) | > | 0 | retry_timeout=20 s |
        """
        value = self._get(
            query, single_value, assertion_operator, assertion_expected, message, retry_timeout, f"Value of {query}"
        )
        logger.info(f"{query} = {value:g}")
        return value

    @keyword(tags=(AREA, "Getter"))
    def get_metric_values(
        self,
        query: str,
        by: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> dict[str, float]:
        """Return ``{<value of label by>: number}`` for the series of ``query``, optionally asserting the dictionary.

        No series is a failure (``no series for <query>``), retried like `Get Metric Value`.
        Two series with the same ``by`` label value are an error: aggregate ``by (<label>)``.

        | ${up}= | Get Metric Values | up | by=job |
        | Get Metric Values | sum by (service) (lakehouse_service_memory_budget_bytes) | by=service | contains | kafka |
        """

        def extract(q: str, result: list[dict[str, Any]]) -> dict[str, float] | None:
            if not result:
                return None
            out: dict[str, float] = {}
            for s in result:
                key = s["metric"].get(by, "")
                if key in out:
                    raise AssertionError(f"Query {q!r} has several series with {by}={key!r}; aggregate by ({by})")
                out[key] = s["value"]
            return out

        values = self._get(
            query, extract, assertion_operator, assertion_expected, message, retry_timeout, f"Values of {query} by {by}"
        )
        htmllog.log_table([{by: k, "value": v} for k, v in sorted(values.items())], caption=query)
        return values

    @keyword(tags=(AREA, "Getter"))
    def get_metric_series(self, query: str) -> list[dict[str, Any]]:
        """Return every series of the instant ``query`` as ``[{"metric": {labels}, "value": number}]``
        (possibly empty), logged as a table.

        | ${series}= | Get Metric Series | lakehouse_service_memory_bytes |
        | FOR | ${s} | IN | @{series} |
        |  | Log | ${s}[metric][service]: ${s}[value] |
        """
        result = self.prometheus.query(query)
        htmllog.log_table([{**s["metric"], "value": s["value"]} for s in result], caption=f"{query}")
        return result

    @keyword(tags=(AREA, "Getter"))
    def log_metric_plot(
        self,
        query: str,
        window: timedelta | None = None,
        since: float | None = None,
        step: timedelta | None = None,
        threshold: float | None = None,
    ) -> list[dict[str, Any]]:
        """Plot ``query`` over time as a small inline chart in log.html and return the range series.

        The window is the last ``window`` (default 5 minutes), or from ``since`` (a Unix time,
        e.g. ``${start}`` from ``Get Time  epoch`` at the start of the test) until now. ``threshold``
        draws a dashed line, e.g. an alert's threshold.

        | ${start}= | Get Time | epoch |
        | Log Metric Plot | sum(lakehouse_bronze_dlq_rows_total) | since=${start} | threshold=20 |
        """
        end = time.time()
        start = float(since) if since is not None else end - to_seconds(window, DEFAULT_WINDOW)
        return self.log_plot(query, start, end, to_seconds(step, 0.0) or None, threshold)

    @keyword(tags=(AREA, "Wait"))
    def wait_for_metric_series(self, query: str, timeout: timedelta | None = None) -> list[dict[str, Any]]:
        """Wait until the instant ``query`` returns at least one series; return them.

        | Wait For Metric Series | airflow_scheduler_heartbeat | timeout=30 s |
        """
        limit = self.timeout(timeout)
        try:
            return self.wait_until(
                lambda: self.prometheus.query(query),
                bool,
                timeout=limit,
                description=f"a series for {query}",
                describe=lambda _: "no series",
            )
        except WaitTimeout:
            raise NoSeries(f"no series for {query} within {format_seconds(limit)}") from None
