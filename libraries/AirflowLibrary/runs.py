"""Keywords about DAG runs and their task instances: trigger, wait, states, logs, XCom."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify
from lhkit.polling import WaitTimeout, format_seconds, to_seconds

from .client import AirflowError, AirflowHttpError, AirflowNotFound, q
from .context import AREA, DAG_RUN_TIMEOUT, AirflowComponent
from .normalize import (
    FAILED_TASK_STATES,
    RUN_STATES,
    TERMINAL_RUN_STATES,
    format_log_content,
    make_run_id,
    normalize_task_instance,
    parse_xcom_value,
    trigger_body,
)

LOG_TAIL_CHARS = 20_000


class DagRunFailed(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class RunKeywords(AirflowComponent):
    # --- trigger ----------------------------------------------------------------------
    @keyword(tags=(AREA, "Setter"))
    def trigger_dag(
        self,
        dag_id: str,
        conf: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        note: str | None = None,
    ) -> str:
        """Trigger ``dag_id`` with ``conf`` and return the run id.

        Pass ``run_id`` to choose it (e.g. built from the test's correlation id, so it is
        deterministic and easy to find in the Airflow UI). Without it the id is
        ``lh__<test name>__<time>_<random>``. A run id that already exists fails with HTTP 409.

        | ${run}= | Trigger Dag | dlq_monitoring | conf=${{ {"correlation_id": $CID} }} |
        | ${run}= | Trigger Dag | dbt_silver | run_id=silver_${CID} |
        """
        if run_id is None:
            run_id = make_run_id(dag_id, _robot_test_name(), f"{time.strftime('%Y%m%dT%H%M%S')}_{uuid.uuid4().hex[:6]}")
        body = trigger_body(self.client.api, run_id, conf, note)
        try:
            run = self.client.request("POST", f"/dags/{q(dag_id)}/dagRuns", json=body)
        except AirflowNotFound:
            raise AssertionError(f"Cannot trigger DAG '{dag_id}': it does not exist on {self.client.url}") from None
        except AirflowHttpError as error:
            if error.status == 409:
                raise AssertionError(f"Cannot trigger DAG '{dag_id}': run id '{run_id}' already exists") from None
            raise
        logger.info(f"Triggered DAG '{dag_id}' as run '{run['dag_run_id']}' (state {run.get('state')}).")
        if conf:
            htmllog.log_json(dict(conf), title=f"conf of {dag_id} / {run_id}", level="DEBUG")
        return str(run["dag_run_id"])

    # --- runs -------------------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """Return the DAG run document (``state``, ``conf``, ``start_date``, ``end_date``, ...).

        | ${run}= | Get Dag Run | lh_smoke | ${run_id} |
        """
        try:
            return self.client.request("GET", f"/dags/{q(dag_id)}/dagRuns/{q(run_id)}")
        except AirflowNotFound:
            raise AssertionError(f"DAG run '{run_id}' of DAG '{dag_id}' does not exist on {self.client.url}") from None

    @keyword(tags=(AREA, "Getter"))
    def get_dag_run_state(
        self,
        dag_id: str,
        run_id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> str:
        """Return the run's state, optionally asserting on it, asking again for ``retry_timeout``
        until the assertion holds (to wait for a run, `Wait For Dag Run` also reports its failed tasks).

        | Get Dag Run State | lh_smoke | ${run_id} | == | success |
        | Get Dag Run State | lh_smoke | ${run_id} | != | queued | retry_timeout=30 s |
        """
        return get_and_verify(
            lambda: str(self.get_dag_run(dag_id, run_id).get("state")),
            assertion_operator,
            assertion_expected,
            f"State of {dag_id}/{run_id}",
            message,
            retry_timeout,
        )

    @keyword(tags=(AREA, "Wait"))
    def wait_for_dag_run(
        self,
        dag_id: str,
        run_id: str,
        state: str = "success",
        timeout: timedelta | None = None,
    ) -> dict[str, Any]:
        """Wait until the run reaches ``state`` (default ``success``) and return the run document.

        A DAG run takes minutes, so without ``timeout`` this waits 2 minutes, not the
        library-wide timeout.

        Fails as soon as the run ends in another terminal state, without waiting for the
        timeout. On failure or timeout the task instances are logged as a table and the
        logs of failed tasks are attached to log.html.

        | ${run}= | Wait For Dag Run | dbt_silver | ${run_id} | timeout=3 min |
        | Wait For Dag Run | broken_dag | ${run_id} | state=failed |
        """
        if state not in RUN_STATES:
            raise ValueError(f"Unknown DAG run state '{state}'; expected one of {', '.join(sorted(RUN_STATES))}")
        limit = to_seconds(timeout, DAG_RUN_TIMEOUT)
        started = time.monotonic()
        try:
            run = self.wait_until(
                lambda: self.get_dag_run(dag_id, run_id),
                lambda r: r.get("state") == state or r.get("state") in TERMINAL_RUN_STATES,
                timeout=limit,
                interval=0.2,
                description=f"DAG run {dag_id}/{run_id} to reach state '{state}'",
                describe=lambda r: f"state '{r.get('state')}'",
                log=False,
            )
        except WaitTimeout as error:
            self._report_tasks(dag_id, run_id)
            raise DagRunFailed(str(error)) from None
        waited = time.monotonic() - started
        if run.get("state") != state:
            failed = self._report_tasks(dag_id, run_id)
            broken = [t for t, st in failed if st != "upstream_failed"]
            skipped = [t for t, st in failed if st == "upstream_failed"]
            raise DagRunFailed(
                f"DAG run {dag_id}/{run_id} ended in state '{run.get('state')}', expected '{state}' "
                f"(waited {format_seconds(waited)}). Failed tasks: {', '.join(broken) or 'none reported'}"
                f"{'; upstream_failed: ' + ', '.join(skipped) if skipped else ''}. Their logs are attached above."
            )
        logger.info(f"DAG run {dag_id}/{run_id} reached '{state}' after {format_seconds(waited)}.")
        return run

    @keyword(tags=(AREA, "Setter", "Wait"))
    def trigger_dag_and_wait(
        self,
        dag_id: str,
        conf: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        state: str = "success",
        timeout: timedelta | None = None,
    ) -> dict[str, Any]:
        """`Trigger Dag`, then `Wait For Dag Run` (2 minutes without ``timeout``); returns the run document.

        | ${run}= | Trigger Dag And Wait | dbt_gold | conf=${conf} | timeout=5 min |
        """
        rid = self.trigger_dag(dag_id, conf, run_id)
        return self.wait_for_dag_run(dag_id, rid, state, timeout)

    # --- task instances ---------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Return the run's task instances: ``task_id``, ``state``, ``try_number``, ``map_index``, dates, ``duration``.

        | ${tis}= | Get Task Instances | dlq_monitoring | ${run_id} |
        """
        try:
            raw = self.client.request(
                "GET", f"/dags/{q(dag_id)}/dagRuns/{q(run_id)}/taskInstances", params={"limit": 100}
            )
        except AirflowNotFound:
            raise AssertionError(f"DAG run '{run_id}' of DAG '{dag_id}' does not exist on {self.client.url}") from None
        tis = [normalize_task_instance(t) for t in raw.get("task_instances", [])]
        return sorted(tis, key=lambda t: (t["start_date"] or "~", t["task_id"] or ""))

    @keyword(tags=(AREA, "Getter"))
    def get_task_state(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> str | None:
        """Return a task's state in a run (``None`` if it never got one), optionally asserting on it,
        asking again for ``retry_timeout`` until the assertion holds.

        | Get Task State | dlq_monitoring | ${run_id} | send_alert | == | success |
        | Get Task State | dlq_monitoring | ${run_id} | no_alert | == | skipped |
        """

        def state() -> str | None:
            tis = self.get_task_instances(dag_id, run_id)
            matches = [t for t in tis if t["task_id"] == task_id]
            if not matches:
                known = ", ".join(sorted({str(t["task_id"]) for t in tis}))
                raise AssertionError(f"Run {dag_id}/{run_id} has no task '{task_id}'. Tasks: {known}")
            return matches[0]["state"]

        return get_and_verify(
            state,
            assertion_operator,
            assertion_expected,
            f"State of task {task_id} in {dag_id}/{run_id}",
            message,
            retry_timeout,
        )

    @keyword(tags=(AREA, "Getter"))
    def get_task_states(
        self,
        dag_id: str,
        run_id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> dict[str, str | None]:
        """Return every task's state in a run as ``{task_id: state}``, optionally asserting on the whole
        mapping: which task failed, which never ran (``upstream_failed``), which a branch skipped, and
        that no task beyond those expected exists.

        | VAR | &{expected} | count_dlq_rows=failed | check_threshold=upstream_failed |
        | Get Task States | dlq_monitoring | ${run_id} | == | ${expected} |
        """

        def states() -> dict[str, str | None]:
            return {str(t["task_id"]): t["state"] for t in self.get_task_instances(dag_id, run_id)}

        found = get_and_verify(
            states, assertion_operator, assertion_expected, f"Task states of {dag_id}/{run_id}", message, retry_timeout
        )
        htmllog.log_json(found, title=f"Task states of {dag_id}/{run_id}")
        return found

    @keyword(tags=(AREA, "Getter"))
    def get_task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int | None = None) -> str:
        """Return the plain-text log of one task try (the latest try by default).

        | ${log}= | Get Task Log | dbt_silver | ${run_id} | dbt_build |
        | Should Contain | ${log} | PASS= |
        """
        if try_number is None:
            tis = [t for t in self.get_task_instances(dag_id, run_id) if t["task_id"] == task_id]
            if not tis:
                raise AssertionError(f"Run {dag_id}/{run_id} has no task '{task_id}'")
            try_number = max(int(tis[0]["try_number"] or 1), 1)
        path = f"/dags/{q(dag_id)}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}/logs/{int(try_number)}"
        # v2 only serves JSON (structured lines); v1 serves plain text.
        accept = "application/json" if self.client.api == "v2" else "text/plain"
        return format_log_content(self.client.request("GET", path, params={"full_content": "true"}, accept=accept))

    @keyword(tags=(AREA, "Getter"))
    def get_xcom_value(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str = "return_value",
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> Any:
        """Return an XCom value as a Python object, the same on v1 and v2, optionally asserting on it
        (asking again for ``retry_timeout`` until the assertion holds).

        v2 returns JSON; v1 returns the Python repr, which is parsed back (see the library
        introduction for the one ambiguity).

        | ${counts}= | Get XCom Value | dlq_monitoring | ${run_id} | count_dlq_rows | key=counts |
        | Get XCom Value | lh_smoke | ${run_id} | say | == | ${{ {"answer": 42, "echo": None} }} |
        """
        path = f"/dags/{q(dag_id)}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}/xcomEntries/{q(key)}"

        def value() -> Any:
            try:
                entry = self.client.request("GET", path)
            except AirflowNotFound:
                raise AssertionError(f"No XCom '{key}' for task '{task_id}' in run {dag_id}/{run_id}") from None
            return parse_xcom_value(entry.get("value"), self.client.api)

        found = get_and_verify(
            value, assertion_operator, assertion_expected, f"XCom {task_id}.{key}", message, retry_timeout
        )
        htmllog.log_json(found, title=f"XCom {task_id}.{key} of {dag_id}/{run_id}")
        return found

    # --- failure reporting ------------------------------------------------------------
    def _report_tasks(self, dag_id: str, run_id: str) -> list[tuple[str, str]]:
        """Log the task table and attach the logs of failed tasks; return (task id, state) of failed tasks."""
        try:
            tis = self.get_task_instances(dag_id, run_id)
        except AssertionError as error:
            logger.warn(f"Could not list task instances of {dag_id}/{run_id}: {error}")
            return []
        htmllog.log_table(
            tis,
            ["task_id", "state", "try_number", "start_date", "end_date", "duration"],
            caption=f"Task instances of {dag_id}/{run_id}",
        )
        failed = [t for t in tis if t["state"] in FAILED_TASK_STATES]
        for ti in failed:
            if ti["state"] == "upstream_failed":
                continue  # never ran: no log
            try:
                text = self.get_task_log(dag_id, run_id, str(ti["task_id"]), int(ti["try_number"] or 1))
            except AirflowError as error:
                text = f"(log not available: {error})"
            htmllog.log_text_block(
                text[-LOG_TAIL_CHARS:], title=f"Log of failed task {ti['task_id']} (try {ti['try_number']})"
            )
        return [(str(t["task_id"]), str(t["state"])) for t in failed]


def _robot_test_name() -> str | None:
    try:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        return BuiltIn().get_variable_value("${TEST NAME}")
    except (ImportError, RobotNotRunningError):
        return None
