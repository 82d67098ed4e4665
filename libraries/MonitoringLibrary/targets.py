"""Scrape targets: every configured target must be up; a down one is a failure naming its error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.polling import WaitTimeout, format_seconds

from .context import AREA, MonitoringComponent

COLUMNS = ("job", "instance", "health", "lastError", "lastScrape", "lastScrapeDuration", "scrapeUrl")


def target_row(t: dict[str, Any]) -> dict[str, Any]:
    labels = t.get("labels", {})
    return {
        "job": labels.get("job", t.get("scrapePool", "")),
        "instance": labels.get("instance", ""),
        "health": t.get("health", ""),
        "lastError": t.get("lastError", ""),
        "lastScrape": t.get("lastScrape", ""),
        "lastScrapeDuration": t.get("lastScrapeDuration", ""),
        "scrapeUrl": t.get("scrapeUrl", ""),
    }


def describe_target(row: dict[str, Any]) -> str:
    error = row["lastError"] or "no error recorded"
    return (
        f"{row['job']} ({row['instance']}) is {row['health']}: {error}; last scrape {row['lastScrape']} "
        f"of {row['scrapeUrl']}"
    )


class TargetDown(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class TargetKeywords(MonitoringComponent):
    def _rows(self) -> list[dict[str, Any]]:
        return [target_row(t) for t in self.prometheus.targets()]

    @keyword(tags=(AREA, "Getter"))
    def get_scrape_targets(self) -> list[dict[str, Any]]:
        """Return Prometheus' active scrape targets as rows (job, instance, health, lastError, lastScrape,
        lastScrapeDuration, scrapeUrl), logged as a table.

        | ${targets}= | Get Scrape Targets |
        """
        rows = self._rows()
        htmllog.log_table(rows, COLUMNS, caption=f"Scrape targets of {self.prometheus.url}")
        return rows

    @keyword(tags=(AREA, "Wait", "Assertion"))
    def target_should_be_up(self, job: str, instance: str | None = None, timeout: timedelta | None = None) -> None:
        """Wait until the scrape target of ``job`` (and ``instance``, if given) is ``up``.

        Fails if no such target is configured, or if it is not up within ``timeout`` (the
        library default, 30 s): the message names the target, its last scrape error and the
        time of its last scrape.

        | Target Should Be Up | kafka |
        | Target Should Be Up | streaming | instance=127.0.0.1:18090 | timeout=20 s |
        """
        limit = self.timeout(timeout)

        def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rows if r["job"] == job and (instance is None or r["instance"] == instance)]

        rows = self._rows()
        if not mine(rows):
            known = ", ".join(sorted({f"{r['job']} ({r['instance']})" for r in rows}))
            raise TargetDown(
                f"No scrape target {job}{f' ({instance})' if instance else ''} is configured "
                f"in Prometheus at {self.prometheus.url}. Targets: {known}"
            )
        try:
            self.wait_until(
                lambda: mine(self._rows()),
                lambda found: bool(found) and all(r["health"] == "up" for r in found),
                timeout=limit,
                description=f"scrape target {job} to be up",
                describe=lambda found: "; ".join(describe_target(r) for r in found if r["health"] != "up"),
            )
        except WaitTimeout as error:
            down = [r for r in mine(self._rows()) if r["health"] != "up"]
            htmllog.log_table(down, COLUMNS, caption="Targets not up")
            raise TargetDown(
                f"Scrape target {'; '.join(describe_target(r) for r in down) or job} "
                f"(expected up within {format_seconds(limit)}, waited {format_seconds(error.waited)})"
            ) from None

    @keyword(tags=(AREA, "Wait", "Assertion"))
    def all_targets_should_be_up(self, timeout: timedelta | None = None) -> list[dict[str, Any]]:
        """Wait until every configured scrape target is ``up``; return the target rows.

        A target that stays down is a failure: the message lists each down target with its last
        error and last scrape, and log.html shows the whole target table.

        | All Targets Should Be Up | timeout=30 s |
        """
        limit = self.timeout(timeout)
        try:
            rows = self.wait_until(
                self._rows,
                lambda rs: bool(rs) and all(r["health"] == "up" for r in rs),
                timeout=limit,
                description="every scrape target to be up",
                describe=lambda rs: "; ".join(describe_target(r) for r in rs if r["health"] != "up") or "no targets",
            )
        except WaitTimeout as error:
            rows = self._rows()
            htmllog.log_table(rows, COLUMNS, caption=f"Scrape targets of {self.prometheus.url}")
            down = [r for r in rows if r["health"] != "up"]
            raise TargetDown(
                f"{len(down)} of {len(rows)} scrape targets not up after {format_seconds(error.waited)}: "
                + "; ".join(describe_target(r) for r in down)
            ) from None
        htmllog.log_table(rows, COLUMNS, caption=f"Scrape targets of {self.prometheus.url}")
        return rows
