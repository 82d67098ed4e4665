"""MonitoringLibrary: Prometheus queries, scrape targets and Alertmanager alerts from Robot Framework."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from contract.platform import PlatformContract
from lhkit.component import KeywordLibrary, LibraryContext
from lhkit.polling import to_seconds

from .alerts import AlertKeywords, AlertNotInState
from .client import MonitoringError, MonitoringUnreachable, PromQLError
from .metrics import MetricKeywords, NoSeries
from .targets import TargetDown, TargetKeywords

__all__ = [
    "AlertNotInState",
    "MonitoringError",
    "MonitoringLibrary",
    "MonitoringUnreachable",
    "NoSeries",
    "PromQLError",
    "TargetDown",
]
__version__ = "0.1.0"


class MonitoringLibrary(KeywordLibrary):
    """Keywords for the lakehouse's monitoring: PromQL values, scrape targets, alerts.

    %TOC%

    = Target =
    Prometheus and Alertmanager come from the current target (``prometheus_url`` and
    ``alertmanager_url`` of ``${LH_TARGET}``, else of the contract file named by
    ``LH_CONTRACT_FILE``). Nothing connects until the first keyword runs. Override on import:
    | Library | MonitoringLibrary | prometheus_url=http://127.0.0.1:9090 | alertmanager_url=http://127.0.0.1:9093 |
    Neither server has authentication (Prometheus has none built in; put a proxy in front if needed).

    = PromQL getters =
    `Get Metric Value` returns the one number of an instant query; `Get Metric Values` a
    dictionary by one label; `Get Metric Series` every series. They take AssertionEngine's
    ``assertion_operator``, ``assertion_expected`` and ``message``, and with ``retry_timeout``
    they ask again until the assertion holds:
    | Get Metric Value | sum(lakehouse_bronze_dlq_rows_total) | >= | 30 | retry_timeout=30 s |
    A query without any series fails with ``no series for <query>`` (retried within
    ``retry_timeout``: a metric may appear only after the first event). A PromQL syntax error fails
    at once with Prometheus' own message; an unreachable Prometheus fails naming its URL.

    = Targets and alerts =
    `Target Should Be Up` and `All Targets Should Be Up` read ``/api/v1/targets``: a target that
    is configured and down is a failure naming its last scrape error and time.
    `Wait For Alert` reads Alertmanager's ``/api/v2/alerts``: an alert really went from a rule
    through Prometheus to Alertmanager (``firing``), or is no longer there (``resolved``).

    = Plots =
    `Log Metric Plot` draws a query's series over a time window as a small inline SVG chart in
    log.html; getters that fail plot their query too, which often explains more than a number.

    = Timeouts =
    Waits without their own ``timeout`` use the library-wide ``timeout`` (default 30 s). Each
    HTTP request is bounded by ``request_timeout`` (default 10 s). Waits poll every 0.2 s.

    = Tags =
    Every keyword is tagged ``Monitoring`` and one or two of ``Getter``, ``Assertion`` and ``Wait``.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | PlatformContract | None = None,
        prometheus_url: str | None = None,
        alertmanager_url: str | None = None,
        timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
    ):
        """``target``: a target dictionary to use instead of the current one. ``prometheus_url``,
        ``alertmanager_url``: override the target's. ``timeout``: the default of every wait (30 s).
        ``request_timeout``: limit for each HTTP request (default 10 s)."""
        overrides = {"prometheus_url": prometheus_url, "alertmanager_url": alertmanager_url}
        ctx = LibraryContext(target, timeout, overrides=overrides)
        per_request = to_seconds(request_timeout, 10.0)
        super().__init__(
            ctx,
            [MetricKeywords(ctx, per_request), TargetKeywords(ctx, per_request), AlertKeywords(ctx, per_request)],
        )
