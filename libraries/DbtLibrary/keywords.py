"""The dbt keywords: run, build and test the platform's dbt project through its own dbt."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from contract.storage import boto3_client_kwargs
from lhcommon.masking import reveal
from lhkit import htmllog
from lhkit import target as lh_target
from lhkit.component import LibraryComponent, LibraryContext

from .runner import CORRELATION_ENV, DbtRun, build_args, invoke

AREA = "Dbt"


class DbtFailed(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class DbtKeywords(LibraryComponent):
    def __init__(
        self, ctx: LibraryContext, default_vars: Mapping[str, Any], lock_timeout: float, threads: int | None
    ):
        super().__init__(ctx)
        self.default_vars = dict(default_vars)
        self.lock_timeout = lock_timeout
        self.threads = threads

    @keyword(tags=(AREA, "Setter"))
    def run_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        full_refresh: bool = False,
        expect_success: bool = True,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Runs ``dbt run`` for the selected models and returns the results.

        Fails when dbt fails, unless ``expect_success=False``. ``correlation_id`` narrows the
        Bronze rows read to that correlation id (see `Create Dbt Scratch Layers`).

        | Run Dbt | tag:silver |
        | ${r}= | Run Dbt | stg_trips | vars=${VARS} | full_refresh=True |
        """
        return self._execute("run", select, vars, exclude, full_refresh, expect_success, correlation_id)

    @keyword(tags=(AREA, "Setter"))
    def build_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        full_refresh: bool = False,
        expect_success: bool = True,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Runs ``dbt build`` (seeds, models and their tests in DAG order) and returns the results.

        | Build Dbt | tag:silver |
        | Build Dbt | tag:gold | vars=${VARS} |
        | Build Dbt | tag:silver | vars=${SCRATCH}[vars] | correlation_id=${cid} |
        """
        return self._execute("build", select, vars, exclude, full_refresh, expect_success, correlation_id)

    @keyword(tags=(AREA, "Getter"))
    def test_dbt(
        self,
        select: str = "",
        vars: Mapping[str, Any] | None = None,
        exclude: str = "",
        expect_success: bool = True,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Runs ``dbt test`` and returns the results (fails on a failing test unless ``expect_success=False``).

        | ${r}= | Test Dbt | fact_trips | expect_success=False |
        | Should Be Equal As Integers | ${r}[counts][fail] | 1 |
        """
        return self._execute("test", select, vars, exclude, False, expect_success, correlation_id)

    @keyword(tags=(AREA, "Assertion"))
    def dbt_test_should_pass(
        self,
        select: str,
        vars: Mapping[str, Any] | None = None,
        min_tests: int = 1,
        message: str | None = None,
        correlation_id: str = "",
    ) -> dict[str, Any]:
        """Runs the dbt tests of ``select`` and fails unless at least ``min_tests`` ran and all passed.

        A selector that matches no test fails too: a check that checks nothing cannot fail.

        | Dbt Test Should Pass | tag:gold |
        | Dbt Test Should Pass | stg_trips | vars=${VARS} | min_tests=5 |
        """
        run = self._invoke("test", select, vars, "", False, correlation_id)
        tests = [r for r in run.results if r.resource_type == "test"]
        failing = [r for r in tests if r.status != "pass"]
        if run.success and not failing and len(tests) >= min_tests:
            logger.info(f"{len(tests)} dbt tests selected by '{select}' passed.")
            return _as_dict(run)
        detail = "; ".join(f"{r.name}: {r.status} ({r.failures} failing rows) {r.message}".strip() for r in failing)
        raise DbtFailed(
            message
            or f"Expected all dbt tests selected by '{select}' to pass (at least {min_tests}), "
            f"seen {len(tests)} tests, {len(failing)} not passing after {run.elapsed:.1f} s"
            + (f": {detail}" if detail else "")
            + (f". {run.exception}" if run.exception and not failing else "")
        )

    @keyword(tags=(AREA, "Setter"))
    def create_dbt_scratch_layers(self, name: str = "") -> dict[str, Any]:
        """Creates an empty bucket of its own for Silver and Gold and returns how to use it.

        The returned dictionary has ``vars`` (``silver_root`` and ``gold_root`` for the dbt
        keywords), ``target`` (the target with its Silver and Gold buckets moved there, for
        ``Import Library  LakehouseLibrary  target=…``: its secrets stay Robot ``Secret`` values)
        and ``bucket``. Bronze stays the platform's. dbt runs into scratch layers write no
        platform table, so they take no dbt lock and run in parallel with every other run;
        with ``correlation_id`` they read only that test's Bronze rows, so a build costs what
        the test published, not what the platform holds. Remove it with `Delete Dbt Scratch Layers`.

        | ${scratch}= | Create Dbt Scratch Layers | silver-gold |
        | Build Dbt | tag:silver | vars=${scratch}[vars] | correlation_id=${cid} |
        """
        t = self.target
        label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:30]
        bucket = f"lh-dbt-{label + '-' if label else ''}{uuid.uuid4().hex[:10]}"
        self._s3().create_bucket(Bucket=bucket)
        root = f"s3://{bucket}"
        moved = t.with_overrides(buckets={**dict(t.buckets), "silver": bucket, "gold": bucket})
        logger.info(f"Scratch Silver and Gold layers: {root} (Bronze stays {t.layer_root('bronze')}).")
        return {"bucket": bucket, "vars": {"silver_root": root, "gold_root": root},
                "target": lh_target.as_variables(moved)}

    @keyword(tags=(AREA, "Destructive"))
    def delete_dbt_scratch_layers(self, scratch: Mapping[str, Any]) -> int:
        """Deletes a bucket made by `Create Dbt Scratch Layers` with every object in it; returns how many.

        Refuses buckets of the platform's own layers and targets not marked as test environments.

        | Delete Dbt Scratch Layers | ${scratch} |
        """
        t = self.target
        lh_target.require_test_environment(t, "delete dbt scratch layers")
        bucket = str(scratch["bucket"])
        if bucket in set(t.buckets.values()) or not bucket.startswith("lh-dbt-"):
            raise ValueError(f"Refusing to delete bucket '{bucket}': not a dbt scratch bucket")
        s3 = self._s3()
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
                deleted += len(keys)
        s3.delete_bucket(Bucket=bucket)
        logger.info(f"Deleted scratch bucket {bucket} ({deleted} objects).")
        return deleted

    # --- internals -----------------------------------------------------------------------
    def _s3(self) -> Any:
        import boto3

        return self.ctx.resource("s3", lambda: boto3.client("s3", **boto3_client_kwargs(self.target)))

    def _execute(
        self, command: str, select: str, vars: Mapping[str, Any] | None,
        exclude: str, full_refresh: bool, expect_success: bool, correlation_id: str = "",
    ) -> dict[str, Any]:
        run = self._invoke(command, select, vars, exclude, full_refresh, correlation_id)
        if expect_success and not run.success:
            failed = "; ".join(f"{r.name}: {r.status} {r.message}".strip() for r in run.failed_nodes)
            raise DbtFailed(
                f"Expected 'dbt {command}' of '{select or 'everything'}' to succeed, seen: {run.summary()}"
                + (f". Failed nodes: {failed}" if failed else "")
                + (f". {run.exception}" if run.exception and not failed else "")
            )
        return _as_dict(run)

    def workdir(self) -> Path:
        """This library instance's own dbt target and log directories (pabot workers never share them)."""
        return self.ctx.resource(
            "workdir", lambda: Path(tempfile.mkdtemp(prefix="lhkit-dbt-")),
            close=lambda path: shutil.rmtree(path, ignore_errors=True),
        )

    def environment(self) -> dict[str, str]:
        """What the platform's dbt project reads: S3 access and layer roots of the target."""
        t = self.target
        return {
            "LH_S3_ENDPOINT": t.s3_endpoint,
            "LH_S3_REGION": t.s3_region,
            "LH_S3_ACCESS_KEY": t.s3_access_key,
            "LH_S3_SECRET_KEY": reveal(t.s3_secret_key),
            **{f"LH_{layer.upper()}_ROOT": t.layer_root(layer) for layer in ("bronze", "silver", "gold")},
            "LH_DBT_PROJECT_DIR": t.dbt_project_dir,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def lock_file(self) -> Path:
        if self.target.dbt_lock_file:
            return Path(self.target.dbt_lock_file)
        # A platform without a published lock: serialize at least this machine's test runs.
        return Path(tempfile.gettempdir()) / "lhkit-dbt.lock"

    def writes_platform_layers(self, dbt_vars: Mapping[str, Any]) -> bool:
        """Whether a run with these vars writes (or tests) the platform's own Silver or Gold tables."""
        t = self.target
        return any(
            str(dbt_vars.get(f"{layer}_root") or t.layer_root(layer)).rstrip("/") == t.layer_root(layer)
            for layer in ("silver", "gold")
        )

    def _invoke(
        self, command: str, select: str, vars: Mapping[str, Any] | None, exclude: str, full_refresh: bool,
        correlation_id: str = "",
    ) -> DbtRun:
        t = self.target
        work = self.workdir()
        target_path, log_path = work / "target", work / "logs"
        merged = {**self.default_vars, **dict(vars or {})}
        # Only runs that write the platform's tables serialize on its lock (with its DAG runs).
        lock = self.lock_file() if self.writes_platform_layers(merged) else None
        env = self.environment()
        if correlation_id:
            env[CORRELATION_ENV] = correlation_id
        project = Path(t.dbt_project_dir)
        args = build_args(
            command, select=select.split() if select else None, exclude=exclude.split() if exclude else None,
            dbt_vars=merged, full_refresh=full_refresh, project_dir=project,
            profiles_dir=Path(t.dbt_profiles_dir) if t.dbt_profiles_dir else None,
            target_path=target_path, log_path=log_path, threads=self.threads,
        )
        scope = f" (Bronze rows of {correlation_id} only)" if correlation_id else ""
        logger.info(f"{' '.join(t.dbt_command)} {' '.join(args)}{scope}")
        run = invoke(
            t.dbt_command, args, env=env, cwd=project, target_path=target_path,
            lock_path=lock, lock_timeout=self.lock_timeout, timeout=self.ctx.timeout,
            parse_cache=Path(tempfile.gettempdir()) / "lhkit-dbt-parse",
        )
        if run.lock_wait >= 1:
            logger.info(f"Waited {run.lock_wait:.1f} s for the dbt lock {lock}.")
        _log(run)
        return run


def _log(run: DbtRun) -> None:
    rows = [r.as_row() for r in run.results]
    styles = ["background:#fdd" if r.failed else ("background:#ffd" if r.status == "warn" else "")
              for r in run.results]
    logger.write(htmllog.table_html(rows, caption=run.summary(), limit=300, row_styles=styles), "INFO", html=True)
    if run.exception:
        htmllog.log_text_block(run.exception, title="dbt failed")
    if run.output:
        htmllog.log_text_block(run.output, title="dbt output", level="DEBUG")
    for r in run.failed_nodes:
        if r.compiled_code:
            htmllog.log_text_block(r.compiled_code, title=f"Compiled SQL of {r.name} ({r.status})")


def _as_dict(run: DbtRun) -> dict[str, Any]:
    return {
        "success": run.success,
        "elapsed": round(run.elapsed, 3),
        "counts": run.counts(),
        "results": [r.as_row() for r in run.results],
    }
