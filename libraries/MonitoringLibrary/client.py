"""HTTP clients behind the MonitoringLibrary keywords: Prometheus' ``/api/v1`` and Alertmanager's ``/api/v2``.

Every request has a timeout. Prometheus answers a PromQL error with HTTP 400 and
``{"status": "error", "errorType": "bad_data", "error": "..."}``; that becomes :class:`PromQLError`
with Prometheus' own message. Neither server has authentication.
"""

from __future__ import annotations

from typing import Any

import requests

CONNECT_TIMEOUT = 5.0


class MonitoringError(AssertionError):
    """A Prometheus or Alertmanager call failed. Robot shows the message without the class name."""

    ROBOT_SUPPRESS_NAME = True


class MonitoringUnreachable(MonitoringError):
    pass


class PromQLError(MonitoringError):
    """Prometheus refused the query (syntax error, unknown function, bad range...)."""


def _reason(error: Exception) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if marker in text:
            return marker
    return text[:200]


class HttpApi:
    """One base URL, JSON in and out, bounded requests."""

    name = "server"

    def __init__(self, url: str, request_timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.request_timeout = request_timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        read = self.request_timeout
        try:
            return self._session.get(self.url + path, params=params, timeout=(min(CONNECT_TIMEOUT, read), read))
        except requests.ConnectionError as error:
            raise MonitoringUnreachable(f"Cannot reach {self.name} at {self.url}: {_reason(error)}") from None
        except requests.Timeout:
            raise MonitoringUnreachable(
                f"{self.name} at {self.url} did not answer GET {path} within {read:g} s"
            ) from None


class PrometheusClient(HttpApi):
    name = "Prometheus"

    def api(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``data`` of a ``/api/v1`` answer; a PromQL error raises :class:`PromQLError` with Prometheus' text."""
        r = self.get("/api/v1" + path, params)
        try:
            body = r.json()
        except ValueError:
            raise MonitoringError(
                f"Prometheus at {self.url} answered GET /api/v1{path} with HTTP {r.status_code}, not JSON: "
                f"{r.text[:200]!r}"
            ) from None
        if body.get("status") != "success":
            kind, text = body.get("errorType", "?"), body.get("error", "")
            query = (params or {}).get("query")
            if kind == "bad_data" and query is not None:
                raise PromQLError(f"Prometheus rejected the query {query!r} ({kind}): {text}")
            raise MonitoringError(
                f"Prometheus at {self.url} answered GET /api/v1{path}: HTTP {r.status_code} {kind}: {text}"
            )
        return body.get("data")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query: ``[{"metric": {...}, "value": float}]`` (a scalar result has empty labels)."""
        data = self.api("/query", {"query": promql})
        return normalize_result(data)

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        data = self.api("/query_range", {"query": promql, "start": start, "end": end, "step": step})
        return [
            {"metric": s.get("metric", {}), "values": [(float(t), _float(v)) for t, v in s.get("values", [])]}
            for s in data.get("result", [])
        ]

    def targets(self) -> list[dict[str, Any]]:
        return list(self.api("/targets", {"state": "active"}).get("activeTargets", []))

    def rules(self) -> list[dict[str, Any]]:
        return [rule for group in self.api("/rules").get("groups", []) for rule in group.get("rules", [])]


class AlertmanagerClient(HttpApi):
    name = "Alertmanager"

    def alerts(self) -> list[dict[str, Any]]:
        r = self.get("/api/v2/alerts")
        if r.status_code != 200:
            raise MonitoringError(
                f"Alertmanager at {self.url} answered GET /api/v2/alerts with HTTP {r.status_code}: {r.text[:200]}"
            )
        return list(r.json())


def _float(value: Any) -> float:
    return float(value)  # Prometheus sends "NaN", "+Inf" as strings; float() reads them


def normalize_result(data: dict[str, Any]) -> list[dict[str, Any]]:
    """An instant query's ``data`` as a list of ``{"metric": labels, "value": float}``."""
    kind, result = data.get("resultType"), data.get("result")
    if kind == "vector":
        return [{"metric": s.get("metric", {}), "value": _float(s["value"][1])} for s in result or []]
    if kind == "scalar":
        return [{"metric": {}, "value": _float(result[1])}]
    if kind == "matrix":
        raise PromQLError("the query returns a range vector; use an instant vector (e.g. rate(x[1m]) not x[1m])")
    raise PromQLError(f"the query returns a {kind}, not a number")
