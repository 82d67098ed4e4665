"""The base of the MonitoringLibrary components: the Prometheus and Alertmanager clients of the library instance."""

from __future__ import annotations

from lhkit.component import LibraryComponent, LibraryContext

from .client import AlertmanagerClient, MonitoringError, PrometheusClient

AREA = "Monitoring"


class MonitoringComponent(LibraryComponent):
    def __init__(self, ctx: LibraryContext, request_timeout: float | None = None):
        super().__init__(ctx)
        self._request_timeout = request_timeout

    def _per_request(self) -> float:
        return min(10.0, self._request_timeout if self._request_timeout is not None else self.ctx.timeout)

    @property
    def prometheus(self) -> PrometheusClient:
        def build() -> PrometheusClient:
            if not self.target.prometheus_url:
                raise MonitoringError(
                    f"Target '{self.target.name}' has no prometheus_url; set it in the variables file "
                    "or import MonitoringLibrary with prometheus_url=..."
                )
            return PrometheusClient(self.target.prometheus_url, self._per_request())

        return self.ctx.resource("prometheus", build, PrometheusClient.close)

    @property
    def alertmanager(self) -> AlertmanagerClient:
        def build() -> AlertmanagerClient:
            if not self.target.alertmanager_url:
                raise MonitoringError(
                    f"Target '{self.target.name}' has no alertmanager_url; set it in the variables file "
                    "or import MonitoringLibrary with alertmanager_url=..."
                )
            return AlertmanagerClient(self.target.alertmanager_url, self._per_request())

        return self.ctx.resource("alertmanager", build, AlertmanagerClient.close)
