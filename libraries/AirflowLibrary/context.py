"""The base of the AirflowLibrary components: the one client of the library instance, built on first use."""

from __future__ import annotations

from lhkit.component import LibraryComponent, LibraryContext

from .client import AirflowClient
from .normalize import ApiVersion

AREA = "Airflow"
# A DAG run (dbt builds, DLQ scans) takes minutes, not the library-wide seconds: `Wait For Dag Run`
# and `Trigger Dag And Wait` wait this long unless given a timeout. Documented in both keywords.
DAG_RUN_TIMEOUT = 120.0


class AirflowComponent(LibraryComponent):
    """Components share the client through the library context: ``ctx.resource("airflow", ...)``."""

    def __init__(self, ctx: LibraryContext, api: ApiVersion | None = None, request_timeout: float | None = None):
        super().__init__(ctx)
        self._api = api
        self._request_timeout = request_timeout

    @property
    def client(self) -> AirflowClient:
        return self.ctx.resource("airflow", self._new_client, AirflowClient.close)

    def _new_client(self) -> AirflowClient:
        return AirflowClient.for_target(
            self.target,
            api=self._api,
            request_timeout=self._request_timeout if self._request_timeout is not None else self.ctx.timeout,
        )
