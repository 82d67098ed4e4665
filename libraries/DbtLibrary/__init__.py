"""DbtLibrary: run the lakehouse dbt project (Silver and Gold on S3) from Robot Framework."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library

from lhkit import htmllog, to_seconds
from lhkit import target as lh_target

from .runner import PROJECT_DIR, DbtRun, build_args, invoke

__all__ = ["DbtLibrary", "DbtRun"]
__version__ = "0.1.0"


class DbtFailed(AssertionError):
    ROBOT_SUPPRESS_NAME = True


@library(scope="GLOBAL", version=__version__, doc_format="ROBOT")
class DbtLibrary:
    """Runs the reference lakehouse's dbt project (``lakehouse/dbt``) in-process with ``dbtRunner``.

    %TOC%

    = What the project does =
    Silver models (tag ``silver``) parse the raw Kafka JSON of the Bronze Delta tables, type it,
    deduplicate on ``event_id`` and carry ``correlation_id``; Gold models (tag ``gold``) build
    dimensions, facts and aggregates. Every model is a Delta table on S3:
    ``<silver_root>/<model>`` and ``<gold_root>/<model>``. Query them with LakehouseLibrary, e.g.
    ``SELECT * FROM gold.fact_trips``.

    = Vars =
    ``bronze_root``, ``silver_root`` and ``gold_root`` (defaults ``s3://bronze``, ``s3://silver``,
    ``s3://gold``) move the layers, e.g. to a scratch prefix. Pass them per call with ``vars=``
    or for every call with the library argument ``vars``:
    | Library | DbtLibrary | vars={'bronze_root': 's3://dbtdev/run1/bronze'} |

    = Serialization =
    A dbt run rewrites whole Silver/Gold tables, so concurrent runs (pabot workers, pytest) would
    overwrite each other. Every invocation holds an exclusive ``flock`` on ``dbt.lock`` in the
    platform's run directory; waits longer than ``lock_timeout`` fail and name the holder.

    = Target =
    The S3 endpoint and credentials come from the current target (``${LH_TARGET}``, else the
    embedded platform) and reach dbt through ``LH_S3_*`` environment variables read by the
    project's ``profiles.yml``. The secret never appears in the log.

    = Results =
    Each keyword logs ``run_results.json`` as an HTML table and, for failed tests, the compiled
    SQL so the failing rows can be reproduced by hand. Keywords return a dictionary:
    ``success``, ``elapsed``, ``counts`` (status → number), ``results`` (one row per node).
    """

    def __init__(
        self,
        project_dir: str | None = None,
        vars: Mapping[str, Any] | None = None,
        lock_timeout: timedelta = timedelta(minutes=10),
        threads: int | None = None,
    ):
        """``project_dir`` defaults to the repository's ``lakehouse/dbt``; ``vars`` apply to every call
        (per-call ``vars`` override them); ``threads`` overrides the profile's thread count."""
        self.project_dir = Path(project_dir) if project_dir else PROJECT_DIR
        self.default_vars = dict(vars or {})
        self.lock_timeout = to_seconds(lock_timeout, 600.0)
        self.threads = threads

    # --- keywords ------------------------------------------------------------------------
    @keyword(tags=("dbt",))
    def run_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        full_refresh: bool = False,
        expect_success: bool = True,
    ) -> dict[str, Any]:
        """Runs ``dbt run`` for the selected models and returns the results.

        Fails when dbt fails, unless ``expect_success=False``.

        | Run Dbt | tag:silver |
        | ${r}= | Run Dbt | stg_trips | vars=${VARS} | full_refresh=True |
        """
        return self._execute("run", select, vars, exclude, full_refresh, expect_success)

    @keyword(tags=("dbt",))
    def build_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        full_refresh: bool = False,
        expect_success: bool = True,
    ) -> dict[str, Any]:
        """Runs ``dbt build`` (seeds, models and their tests in DAG order) and returns the results.

        | Build Dbt | tag:silver |
        | Build Dbt | tag:gold | vars=${VARS} |
        """
        return self._execute("build", select, vars, exclude, full_refresh, expect_success)

    @keyword(tags=("dbt",))
    def test_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        expect_success: bool = True,
    ) -> dict[str, Any]:
        """Runs ``dbt test`` and returns the results (fails on a failing test unless ``expect_success=False``).

        | ${r}= | Test Dbt | fact_trips | expect_success=False |
        | Should Be Equal As Integers | ${r}[counts][fail] | 1 |
        """
        return self._execute("test", select, vars, exclude, False, expect_success)

    @keyword(tags=("dbt", "assertion"))
    def dbt_test_should_pass(
        self,
        select: str,
        vars: Mapping[str, Any] | None = None,
        min_tests: int = 1,
        message: str | None = None,
    ) -> dict[str, Any]:
        """Runs the dbt tests of ``select`` and fails unless at least ``min_tests`` ran and all passed.

        A selector that matches no test fails too: a check that checks nothing cannot fail.

        | Dbt Test Should Pass | tag:gold |
        | Dbt Test Should Pass | stg_trips | vars=${VARS} | min_tests=5 |
        """
        run = self._invoke("test", select, vars, "", False)
        tests = [r for r in run.results if r.resource_type == "test"]
        failing = [r for r in tests if r.status != "pass"]
        if run.success and not failing and len(tests) >= min_tests:
            logger.info(f"{len(tests)} dbt tests selected by '{select}' passed.")
            return self._as_dict(run)
        detail = "; ".join(f"{r.name}: {r.status} ({r.failures} failing rows) {r.message}".strip() for r in failing)
        raise DbtFailed(
            message
            or f"Expected all dbt tests selected by '{select}' to pass (at least {min_tests}), "
            f"seen {len(tests)} tests, {len(failing)} not passing after {run.elapsed:.1f} s"
            + (f": {detail}" if detail else "")
            + (f". dbt error: {run.exception}" if run.exception else "")
        )

    # --- internals -----------------------------------------------------------------------
    def _execute(
        self, command: str, select: str, vars: Mapping[str, Any] | None,
        exclude: str, full_refresh: bool, expect_success: bool,
    ) -> dict[str, Any]:
        run = self._invoke(command, select, vars, exclude, full_refresh)
        if expect_success and not run.success:
            failed = "; ".join(f"{r.name}: {r.status} {r.message}".strip() for r in run.failed_nodes)
            raise DbtFailed(
                f"Expected 'dbt {command}' of '{select or 'everything'}' to succeed, seen: {run.summary()}"
                + (f". Failed nodes: {failed}" if failed else "")
                + (f". dbt error: {run.exception}" if run.exception else "")
            )
        return self._as_dict(run)

    def _invoke(
        self, command: str, select: str, vars: Mapping[str, Any] | None,
        exclude: str, full_refresh: bool,
    ) -> DbtRun:
        from lakehouse.settings import Settings

        settings = Settings.load()
        target = lh_target.current()
        work = settings.state_dir / "dbt"
        target_path, log_path = work / "target", work / "logs"
        merged = {**self.default_vars, **dict(vars or {})}
        args = build_args(
            command, select=select.split() if select else None, exclude=exclude.split() if exclude else None,
            dbt_vars=merged, full_refresh=full_refresh, project_dir=self.project_dir,
            target_path=target_path, log_path=log_path, threads=self.threads,
        )
        env = {
            "LH_S3_ENDPOINT": target.s3_endpoint,
            "LH_S3_ACCESS_KEY": target.s3_access_key,
            "LH_S3_SECRET_KEY": target.s3_secret_key,
            "LH_S3_REGION": target.s3_region,
            "LH_DBT_PROJECT_DIR": str(self.project_dir),
        }
        logger.info(f"dbt {' '.join(args[:1] + args[5:])}")
        run = invoke(args, env=env, target_path=target_path, lock_path=settings.run_dir / "dbt.lock",
                     lock_timeout=self.lock_timeout)
        if run.lock_wait >= 1:
            logger.info(f"Waited {run.lock_wait:.1f} s for the dbt lock.")
        self._log(run)
        return run

    @staticmethod
    def _log(run: DbtRun) -> None:
        rows = [r.as_row() for r in run.results]
        styles = ["background:#fdd" if r.failed else ("background:#ffd" if r.status == "warn" else "")
                  for r in run.results]
        logger.write(htmllog.table_html(rows, caption=run.summary(), limit=300, row_styles=styles), "INFO", html=True)
        if run.exception:
            htmllog.log_text_block(run.exception, title="dbt raised")
        for r in run.failed_nodes:
            if r.compiled_code:
                htmllog.log_text_block(r.compiled_code, title=f"Compiled SQL of {r.name} ({r.status})")

    @staticmethod
    def _as_dict(run: DbtRun) -> dict[str, Any]:
        return {
            "success": run.success,
            "elapsed": round(run.elapsed, 3),
            "counts": run.counts(),
            "results": [r.as_row() for r in run.results],
        }
