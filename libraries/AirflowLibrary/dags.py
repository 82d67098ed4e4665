"""Keywords about the server and its DAGs: health, existence, pause state, import errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify, verify_list
from lhkit.polling import WaitTimeout, format_seconds

from .client import AirflowNotFound, q
from .context import AREA, AirflowComponent
from .normalize import normalize_import_error


class DagMissing(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class DagKeywords(AirflowComponent):
    # --- server -----------------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_airflow_api_version(self) -> str:
        """Return ``v1`` (Airflow 2, basic auth) or ``v2`` (Airflow 3, JWT), detected on first use.

        | ${api}= | Get Airflow API Version |
        """
        return self.client.api

    @keyword(tags=(AREA, "Getter"))
    def get_airflow_version(self) -> str:
        """Return the server's version string, e.g. ``3.3.2``.

        | ${version}= | Get Airflow Version |
        | Should Start With | ${version} | 3. |
        """
        return self.client.version

    @keyword(tags=(AREA, "Wait"))
    def airflow_should_be_healthy(self, timeout: timedelta | None = None) -> dict[str, Any]:
        """Wait until the metadatabase, scheduler and (on v2) DAG processor report ``healthy``.

        The triggerer is ignored: the platform does not run one. Returns the health document.

        | Airflow Should Be Healthy | timeout=30 s |
        """
        c = self.client
        path = "/monitor/health" if c.api == "v2" else "/health"
        needed = ("metadatabase", "scheduler", "dag_processor") if c.api == "v2" else ("metadatabase", "scheduler")

        def unhealthy(doc: dict[str, Any]) -> list[str]:
            return [
                f"{n}={(doc.get(n) or {}).get('status')}"
                for n in needed
                if (doc.get(n) or {}).get("status") != "healthy"
            ]

        doc = self.wait_until(
            lambda: c.request("GET", path, timeout=5),
            lambda d: not unhealthy(d),
            timeout=self.timeout(timeout),
            description=f"Airflow at {c.url} to report {', '.join(needed)} healthy",
            describe=lambda d: ", ".join(unhealthy(d)),
        )
        return doc

    # --- DAGs -------------------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_dag(self, dag_id: str) -> dict[str, Any]:
        """Return the DAG document (``dag_id``, ``is_paused``, ``fileloc``, ...). Fails if it does not exist.

        | ${dag}= | Get Dag | dlq_monitoring |
        """
        try:
            return self.client.request("GET", f"/dags/{q(dag_id)}")
        except AirflowNotFound:
            raise DagMissing(f"DAG '{dag_id}' does not exist on {self.client.url}{self._import_error_hint()}") from None

    @keyword(tags=(AREA, "Assertion", "Wait"))
    def dag_should_exist(self, dag_id: str, timeout: timedelta | None = None, paused: bool = False) -> dict[str, Any]:
        """Wait until ``dag_id`` is known to the server, then check its pause state (unpaused by default).

        A DAG that stays missing, or is paused when it should run, is a **failure**, never a
        skip: a test that relies on a DAG must not pass silently without it. The failure
        lists the server's import errors, which usually say why a DAG is missing.

        | Dag Should Exist | dbt_silver |
        | Dag Should Exist | maintenance | paused=${True} |
        """
        limit = self.timeout(timeout)

        def probe() -> dict[str, Any] | None:
            try:
                return self.client.request("GET", f"/dags/{q(dag_id)}")
            except AirflowNotFound:
                return None

        try:
            dag = self.wait_until(
                probe,
                lambda d: d is not None,
                timeout=limit,
                description=f"DAG '{dag_id}' to exist",
                describe=lambda _: "HTTP 404 (not parsed yet or unknown)",
            )
        except WaitTimeout:
            raise DagMissing(
                f"DAG '{dag_id}' does not exist on {self.client.url}: expected it within {format_seconds(limit)}, "
                f"last seen HTTP 404.{self._import_error_hint()}"
            ) from None
        assert dag is not None
        if bool(dag.get("is_paused")) != bool(paused):
            want, got = ("paused", "unpaused") if paused else ("unpaused", "paused")
            raise AssertionError(
                f"DAG '{dag_id}' exists but is {got}; expected {want}. Use `Unpause Dag` / `Pause Dag`."
            )
        return dag

    @keyword(tags=(AREA, "Assertion"))
    def dag_should_not_exist(self, dag_id: str) -> None:
        """Fail if ``dag_id`` is known to the server.

        | Dag Should Not Exist | placeholder_dag |
        """
        try:
            self.client.request("GET", f"/dags/{q(dag_id)}")
        except AirflowNotFound:
            return
        raise AssertionError(f"DAG '{dag_id}' exists on {self.client.url}, expected it not to")

    @keyword(tags=(AREA, "Getter"))
    def get_dag_ids(
        self,
        pattern: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[str]:
        """Return the ids of all DAGs (optionally only those whose id contains ``pattern``); optionally
        assert the list (``contains`` / ``not contains`` take one id or a list), asking again for
        ``retry_timeout`` until the assertion holds.

        | ${ids}= | Get Dag Ids | dbt_ |
        | Get Dag Ids | dbt_ | contains | ${{ ["dbt_silver", "dbt_gold"] }} |
        """

        def ids() -> list[str]:
            params: dict[str, Any] = {"limit": 100, "offset": 0}
            if pattern:
                params["dag_id_pattern"] = pattern
            found: list[str] = []
            while True:
                page = self.client.request("GET", "/dags", params=params)
                dags = page.get("dags", [])
                found.extend(d["dag_id"] for d in dags)
                if len(dags) < params["limit"]:
                    return found
                params["offset"] += params["limit"]

        what = f"DAG ids matching '{pattern}'" if pattern else "DAG ids"
        return get_and_verify(
            ids, assertion_operator, assertion_expected, what, message, retry_timeout, verify=verify_list
        )

    @keyword(tags=(AREA, "Setter"))
    def pause_dag(self, dag_id: str) -> None:
        """Pause ``dag_id``.

        | Pause Dag | lh_smoke |
        """
        self._set_paused(dag_id, True)

    @keyword(tags=(AREA, "Setter"))
    def unpause_dag(self, dag_id: str) -> None:
        """Unpause ``dag_id``.

        | Unpause Dag | lh_smoke |
        """
        self._set_paused(dag_id, False)

    def _set_paused(self, dag_id: str, paused: bool) -> None:
        try:
            dag = self.client.request(
                "PATCH", f"/dags/{q(dag_id)}", json={"is_paused": paused}, params={"update_mask": "is_paused"}
            )
        except AirflowNotFound:
            raise DagMissing(
                f"Cannot {'pause' if paused else 'unpause'} DAG '{dag_id}': it does not exist on {self.client.url}"
            ) from None
        if bool(dag.get("is_paused")) != paused:
            raise AssertionError(
                f"DAG '{dag_id}': asked for is_paused={paused}, server answered is_paused={dag.get('is_paused')}"
            )
        logger.info(f"DAG '{dag_id}' is now {'paused' if paused else 'unpaused'}.")

    # --- import errors ----------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_import_errors(self) -> list[dict[str, Any]]:
        """Return the DAG import errors: ``filename`` (as reported), ``file_name`` (base name),
        ``bundle_name`` (v2 only), ``stack_trace``, ``timestamp``.

        v1 reports absolute paths and v2 paths relative to the bundle; compare ``file_name``.

        | ${errors}= | Get Import Errors |
        """
        raw = self.client.request("GET", "/importErrors", params={"limit": 100})
        errors = [normalize_import_error(e) for e in raw.get("import_errors", [])]
        if errors:
            htmllog.log_table(errors, ["file_name", "bundle_name", "stack_trace"], caption="Airflow import errors")
        return errors

    @keyword(tags=(AREA, "Getter"))
    def get_import_error_count(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Return the number of import errors, optionally asserting on it (AssertionEngine operators),
        asking again for ``retry_timeout`` until the assertion holds.

        | Get Import Error Count | == | 0 |
        | Get Import Error Count | == | 0 | retry_timeout=30 s |
        """
        return get_and_verify(
            lambda: len(self.get_import_errors()),
            assertion_operator,
            assertion_expected,
            "Import error count",
            message,
            retry_timeout,
            verify=int_str_verify_assertion,
        )

    @keyword(tags=(AREA, "Wait"))
    def wait_for_import_error(self, file_name: str, timeout: timedelta | None = None) -> dict[str, Any]:
        """Wait until the server reports an import error for a DAG file whose base name is ``file_name``; return it.

        | ${error}= | Wait For Import Error | broken_dag.py |
        | Should Contain | ${error}[stack_trace] | SyntaxError |
        """

        def probe() -> list[dict[str, Any]]:
            raw = self.client.request("GET", "/importErrors", params={"limit": 100})
            return [normalize_import_error(e) for e in raw.get("import_errors", [])]

        errors = self.wait_until(
            probe,
            lambda errs: any(e["file_name"] == file_name for e in errs),
            timeout=self.timeout(timeout),
            description=f"an import error for '{file_name}'",
            describe=lambda errs: f"import errors for {[e['file_name'] for e in errs]}",
        )
        found = next(e for e in errors if e["file_name"] == file_name)
        htmllog.log_text_block(found["stack_trace"], title=f"Import error of {found['filename']}")
        return found

    @keyword(tags=(AREA, "Assertion"))
    def dag_file_should_have_no_import_error(self, file_name: str) -> None:
        """Fail if the server reports an import error for ``file_name`` (base name).

        | Dag File Should Have No Import Error | dlq_monitoring.py |
        """
        for error in self.get_import_errors():
            if error["file_name"] == file_name:
                htmllog.log_text_block(error["stack_trace"], title=f"Import error of {error['filename']}", level="WARN")
                raise AssertionError(
                    f"DAG file '{file_name}' has an import error: {error['stack_trace'].strip().splitlines()[-1:]}"
                )

    def _import_error_hint(self) -> str:
        try:
            raw = self.client.request("GET", "/importErrors", params={"limit": 100})
        except AssertionError:
            return ""
        errors = [normalize_import_error(e) for e in raw.get("import_errors", [])]
        if not errors:
            return " The server reports no import errors."
        lines = "; ".join(
            f"{e['file_name']}: {(e['stack_trace'].strip().splitlines() or [''])[-1]}" for e in errors[:5]
        )
        return f" Import errors on the server: {lines}"
