"""Resetting lakehouse tables (destructive): the platform stops the writers, deletes, recreates and resumes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from contract.lifecycle import ResetReport
from lhkit import htmllog
from lhkit.polling import WaitTimeout, wait_until
from lhkit.target import require_test_environment

from .context import PlatformComponent

AREA = "Platform"
PABOT_LOCK = "lakehouse-table-reset"
SUMMARY_COLUMNS = ("step", "subject", "result", "seconds")


def parse_tables(tables: str | Sequence[str] | None) -> list[str]:
    """``"gps_pings, trips"`` or a list → table names; empty or ``None`` → ``[]`` (all of the layer)."""
    if tables is None:
        return []
    items = tables.split(",") if isinstance(tables, str) else [str(t) for t in tables]
    return [t.strip() for t in items if t and t.strip()]


def summary_rows(report: ResetReport, pabot: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per thing the reset did, in order: locks, stopped writers, recorded end offsets,
    deleted objects per table, re-created tables, resumed writers, total time."""
    steps = report.steps
    rows: list[dict[str, Any]] = []
    if pabot is not None:
        rows.append(
            {"step": "PabotLib lock", "subject": pabot["name"], "result": pabot["result"], "seconds": pabot["waited"]}
        )
    for path, waited in report.locks.items():
        rows.append({"step": "lock", "subject": path, "result": "held", "seconds": waited})
    for name in report.stopped:
        rows.append({"step": "stop writer", "subject": name, "result": "stopped", "seconds": steps.get(f"stop {name}")})
    for topic, parts in report.end_offsets.items():
        for part, offset in parts.items():
            rows.append(
                {"step": "end offset recorded", "subject": f"{topic}[{part}]", "result": offset, "seconds": None}
            )
    for table, count in report.objects_deleted.items():
        rows.append({"step": "objects deleted", "subject": f"{report.layer}.{table}", "result": count, "seconds": None})
    if "delete objects" in steps:
        rows.append(
            {
                "step": "delete objects",
                "subject": f"{len(report.objects_deleted)} table(s)",
                "result": sum(report.objects_deleted.values()),
                "seconds": steps["delete objects"],
            }
        )
    recreate = [k for k in steps if k.startswith("run ")]
    if report.recreated:
        rows.append(
            {
                "step": "recreate (platform init)",
                "subject": recreate[0].removeprefix("run ") if recreate else "",
                "result": ", ".join(report.recreated),
                "seconds": steps.get(recreate[0]) if recreate else None,
            }
        )
    elif report.layer != "bronze":
        rows.append(
            {
                "step": "recreate",
                "subject": "dbt",
                "result": "absent until the next dbt run rebuilds them",
                "seconds": None,
            }
        )
    for name in report.stopped:
        resumed = name in report.resumed
        rows.append(
            {
                "step": "resume writer",
                "subject": name,
                "result": "started from the recorded offsets" if resumed else "left stopped (resume=False)",
                "seconds": steps.get(f"start {name}") if resumed else None,
            }
        )
    rows.append(
        {
            "step": "total",
            "subject": f"{report.layer}: {', '.join(report.tables)}",
            "result": "reset",
            "seconds": report.seconds,
        }
    )
    return rows


class PabotLock:
    """PabotLib's ``Acquire Lock``/``Release Lock`` through its remote server, bounded by a timeout
    (PabotLib's own keyword waits for ever). Outside pabot (no ``${PABOTLIBURI}``) it is a no-op: the
    platform's reset lock still serializes resets across processes."""

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def _variable(name: str) -> Any:
        try:
            return BuiltIn().get_variable_value(name)
        except RobotNotRunningError:
            return None

    def remote(self) -> Any:
        uri = self._variable("${PABOTLIBURI}")
        if not uri:
            return None
        from robot.libraries.Remote import Remote

        return Remote(uri)

    @contextmanager
    def hold(self, timeout: float) -> Iterator[dict[str, Any]]:
        remote = self.remote()
        if remote is None:
            yield {"name": self.name, "result": "not under pabot (platform lock only)", "waited": 0.0}
            return
        caller = self._variable("${CALLER_ID}") or f"pid-{os.getpid()}"
        started = time.monotonic()
        try:
            wait_until(
                lambda: remote.run_keyword("acquire_lock", [self.name, caller], {}),
                timeout=timeout,
                interval=0.2,
                description=f"the PabotLib lock '{self.name}' (another worker is resetting)",
            )
        except WaitTimeout as error:
            raise AssertionError(str(error)) from None
        try:
            yield {"name": self.name, "result": "acquired", "waited": round(time.monotonic() - started, 3)}
        finally:
            remote.run_keyword("release_lock", [self.name, caller], {})


class ResetKeywords(PlatformComponent):
    @keyword(tags=("Destructive", AREA))
    def reset_lakehouse_tables(
        self,
        layer: Literal["bronze", "silver", "gold"],
        tables: str | list[str] | None = None,
        resume: bool = True,
        timeout: timedelta = timedelta(minutes=5),
        lock_timeout: timedelta = timedelta(minutes=10),
    ) -> dict[str, Any]:
        """Empty the ``layer``'s tables, or only ``tables`` (comma-separated or a list), so they hold exactly
        what arrives afterwards; returns the platform's report (a dictionary).

        Deleting a Delta table's objects is the only real way to empty it (``DELETE`` only marks rows
        removed), but doing it under a running writer corrupts the table. The platform, under its reset lock
        and the dbt lock:
        - Bronze: stops the streaming job, records the reset topics' end offsets, deletes the tables'
          objects and the checkpoint, seeds a fresh checkpoint with where each topic starts (the recorded
          end offsets; the old committed positions for the other topics), re-creates the empty tables with
          its ``bronze-init`` one-shot and starts the job again. A reset table then holds exactly the events
          published after the reset began (also those published while it ran), each once; other tables
          lose and duplicate nothing.
        - Silver/Gold: deletes the dbt models' objects under the dbt lock; the next dbt run rebuilds them
          from the layer below (until then they do not exist).

        ``resume=False`` leaves the streaming job stopped (start it with `Start Service`).
        ``timeout`` bounds the platform's steps (the job's restart); ``lock_timeout`` the wait for a
        concurrent reset (a PabotLib lock under pabot). Refuses targets that are not test environments;
        an external platform refuses it (its writers cannot be stopped from here).

        Logs one summary table at INFO: the locks, the stopped writer, the recorded end offsets per
        partition, objects deleted per table, the re-created tables and the time taken.

        | Reset Lakehouse Tables    bronze    tables=gps_pings, trips
        | Reset Lakehouse Tables    silver
        | Reset Lakehouse Tables    gold
        """
        names = parse_tables(tables)
        require_test_environment(self.target, f"reset the {layer} tables {', '.join(names) or '(all)'}")
        with PabotLock(PABOT_LOCK).hold(self.timeout(lock_timeout)) as pabot:
            report = self.backend.reset_tables(layer, names or None, resume=resume, timeout=self.timeout(timeout))
        htmllog.log_table(
            summary_rows(report, pabot),
            SUMMARY_COLUMNS,
            caption=f"Reset of {layer}: {', '.join(report.tables)}",
            limit=200,
        )
        htmllog.log_json(
            report.starting_offsets, title="Where the writer starts again (starting-offsets.json)", level="DEBUG"
        )
        logger.info(
            f"Reset {layer} ({len(report.tables)} table(s), {sum(report.objects_deleted.values())} objects) "
            f"in {report.seconds:.1f} s."
        )
        return asdict(report)
