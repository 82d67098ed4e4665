"""Alerts as Alertmanager holds them (``/api/v2/alerts``), and alert rules as Prometheus evaluates them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.polling import WaitTimeout, format_seconds

from .context import AREA, MonitoringComponent

AlertState = Literal["firing", "resolved"]
COLUMNS = ("alertname", "labels", "state", "startsAt", "endsAt", "summary")


def _time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_firing(alert: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Active in Alertmanager (or silenced/inhibited, which still means firing) and not past ``endsAt``."""
    now = now or datetime.now(UTC)
    state = (alert.get("status") or {}).get("state", "active")
    ends = _time(alert.get("endsAt", ""))
    return state in ("active", "suppressed") and (ends is None or ends > now)


def matching(alerts: list[dict[str, Any]], name: str, labels: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    wanted = {k: str(v) for k, v in (labels or {}).items()}
    return [
        a
        for a in alerts
        if a.get("labels", {}).get("alertname") == name
        and all(a.get("labels", {}).get(k) == v for k, v in wanted.items())
    ]


def alert_row(a: Mapping[str, Any]) -> dict[str, Any]:
    labels = dict(a.get("labels", {}))
    return {
        "alertname": labels.pop("alertname", ""),
        "labels": labels,
        "state": "firing" if is_firing(a) else "resolved",
        "startsAt": a.get("startsAt", ""),
        "endsAt": a.get("endsAt", ""),
        "summary": (a.get("annotations") or {}).get("summary", ""),
    }


class AlertNotInState(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class AlertKeywords(MonitoringComponent):
    @keyword(tags=(AREA, "Getter"))
    def get_alerts(
        self, alertname: str | None = None, labels: dict[str, Any] | None = None, firing_only: bool = True
    ) -> list[dict[str, Any]]:
        """Return the alerts Alertmanager holds (``/api/v2/alerts``), optionally of one ``alertname``
        with these ``labels``; only firing ones unless ``firing_only=False``. Logged as a table.

        | ${alerts}= | Get Alerts | FailedDagRun |
        | ${alerts}= | Get Alerts | labels=${{ {"severity": "critical"} }} |
        """
        alerts = self.alertmanager.alerts()
        if alertname:
            alerts = matching(alerts, alertname, labels)
        elif labels:
            alerts = [a for a in alerts if all(a.get("labels", {}).get(k) == str(v) for k, v in labels.items())]
        if firing_only:
            alerts = [a for a in alerts if is_firing(a)]
        htmllog.log_table([alert_row(a) for a in alerts], COLUMNS, caption=f"Alerts in {self.alertmanager.url}")
        return alerts

    @keyword(tags=(AREA, "Wait"))
    def wait_for_alert(
        self,
        alertname: str,
        state: AlertState = "firing",
        labels: dict[str, Any] | None = None,
        timeout: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Wait until Alertmanager has the alert ``alertname`` with ``labels`` in ``state``; return the matches.

        ``firing``: at least one matching alert is active (or silenced) in Alertmanager.
        ``resolved``: no matching alert is firing any more (an alert that never fired counts as resolved;
        wait for ``firing`` first to see both edges). Reads Alertmanager's ``/api/v2/alerts``, i.e. the
        alert really went through Prometheus' rule evaluation and notification.

        On timeout the failure names the alert, the wanted state, what Alertmanager held last, and
        Prometheus' own view of the rule (inactive, pending or firing, with its last evaluation error).

        | Wait For Alert | DlqRateHigh | firing | timeout=1 min |
        | Wait For Alert | FailedDagRun | firing | labels=${{ {"dag_id": "broken_${cid}"} }} |
        | Wait For Alert | FailedDagRun | resolved | labels=${labels} | timeout=2 min |
        """
        if state not in ("firing", "resolved"):
            raise ValueError(f"state must be firing or resolved, got {state!r}")
        limit = self.timeout(timeout)
        want_firing = state == "firing"

        def probe() -> list[dict[str, Any]]:
            return matching(self.alertmanager.alerts(), alertname, labels)

        def holds(found: list[dict[str, Any]]) -> bool:
            firing = [a for a in found if is_firing(a)]
            return bool(firing) if want_firing else not firing

        def describe(found: list[dict[str, Any]]) -> str:
            if not found:
                return "no such alert in Alertmanager"
            return "; ".join(
                f"{alert_row(a)['state']} since {a.get('startsAt')} {alert_row(a)['labels']}" for a in found
            )

        what = f"alert {alertname}{f' {dict(labels)}' if labels else ''} to be {state}"
        try:
            found = self.wait_until(probe, holds, timeout=limit, description=what, describe=describe)
        except WaitTimeout as error:
            raise AlertNotInState(
                f"Expected {what} in Alertmanager at {self.alertmanager.url} within {format_seconds(limit)}; "
                f"last seen: {error.args[0].split('Last observed: ', 1)[-1]}. Prometheus: {self._rule_view(alertname)}"
            ) from None
        htmllog.log_table([alert_row(a) for a in found], COLUMNS, caption=f"{alertname} in Alertmanager")
        return found

    def _rule_view(self, alertname: str) -> str:
        try:
            rules = [r for r in self.prometheus.rules() if r.get("name") == alertname and r.get("type") == "alerting"]
        except AssertionError as error:
            return f"(rule state unavailable: {error})"
        if not rules:
            return f"no alerting rule named {alertname} is loaded"
        rule = rules[0]
        error = f", last error: {rule['lastError']}" if rule.get("lastError") else ""
        return (
            f"rule {alertname} is {rule.get('state')} with {len(rule.get('alerts', []))} active alert(s), "
            f"health {rule.get('health')}{error}, expr {rule.get('query')!r}"
        )

    @keyword(tags=(AREA, "Getter"))
    def get_alert_rule(self, alertname: str) -> dict[str, Any]:
        """Return Prometheus' view of the alerting rule ``alertname`` (``state``: inactive, pending or firing;
        ``query``, ``duration``, ``alerts``, ``health``, ``lastError``). Fails if no such rule is loaded.

        | ${rule}= | Get Alert Rule | StreamingQueryDown |
        | Should Be Equal | ${rule}[health] | ok |
        """
        rules = [r for r in self.prometheus.rules() if r.get("name") == alertname and r.get("type") == "alerting"]
        if not rules:
            names = sorted({r.get("name", "") for r in self.prometheus.rules() if r.get("type") == "alerting"})
            raise AssertionError(
                f"No alerting rule {alertname} in Prometheus at {self.prometheus.url}. Loaded: {', '.join(names)}"
            )
        htmllog.log_json(rules[0], title=f"Rule {alertname}", level="DEBUG")
        return rules[0]
