"""``dbt_silver`` and ``dbt_gold``: check the upstream layer is fresh, then ``dbt run`` and ``dbt test`` one layer.

One factory builds both DAGs, so the two cannot drift apart:

* ``dbt_silver``: ``check_bronze_freshness`` → ``dbt_build`` for ``tag:silver``.
* ``dbt_gold``: ``check_silver_freshness`` → ``dbt_build`` for ``tag:gold`` (the zones seed feeds
  ``dim_zones``; upstream forgot it).

``dbt_build`` is one ``dbt build``: seeds, models and their data tests in DAG order, each test right
after its model; a failing test fails the task (and skips what depends on the model). One dbt
process per layer instead of one per command: every dbt start (imports, parse, connection,
``on-run-start``) costs more than the small per-test work itself, so ``seed`` + ``run`` + ``test``
as three tasks paid it three times.

The freshness check really checks. With ``conf.correlation_id`` it requires at least
``min_rows`` rows of that correlation id in the upstream layer (tests run under pabot
and must not pass on another test's data). Without it, it requires the newest upstream
Delta commit to be younger than ``max_age_minutes``. Either way an empty or stale
upstream fails the run before dbt starts.

dbt is the platform's own installation (``LH_DBT_EXECUTABLE``, in the platform's
provisioned environment, not the toolkit's), run in a subprocess against the project in
``LH_DBT_PROJECT_DIR``. It reads ``LH_S3_*`` and the layer roots ``LH_<LAYER>_ROOT`` from the
environment the service catalogue gives Airflow. Its target and log directories live in
the state dir (``LH_STATE_DIR``), so this DAG never collides with a developer's own dbt runs.
``max_active_runs=1``: runs of one layer queue instead of writing the same Delta tables at
once; ``LH_DBT_LOCK_FILE`` keeps them from writing at the same time as a test's dbt run.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, chain, dag, task

from contract.topics import TOPICS
from lakehouse.airflow.s3 import env, layer_root, storage_options


def _dbt_project() -> Path:
    return Path(env("LH_DBT_PROJECT_DIR"))


def _upstream_tables(layer: str) -> list[str]:
    """Tables of the layer a DAG reads: Bronze topic tables, or the Silver models of the dbt project."""
    if layer == "bronze":
        return [t.table for t in TOPICS]
    return sorted(p.stem for p in (_dbt_project() / "models" / "silver").rglob("*.sql"))


def check_freshness(layer: str, root: str, params: dict[str, Any]) -> dict[str, Any]:
    """Fail unless the upstream layer has the test's rows (correlation id) or a recent commit."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    cid = params.get("correlation_id")
    min_rows = int(params.get("min_rows") or 1)
    max_age = timedelta(minutes=int(params["max_age_minutes"]))
    now = datetime.now(UTC)
    report: dict[str, Any] = {"layer": layer, "correlation_id": cid, "tables": {}}
    missing: list[str] = []
    newest: datetime | None = None
    matched = 0
    for name in _upstream_tables(layer):
        uri = f"{root.rstrip('/')}/{name}"
        try:
            table = DeltaTable(uri, storage_options=storage_options())
        except TableNotFoundError:
            missing.append(uri)
            continue
        last = table.history(1)[0]
        committed = datetime.fromtimestamp(last["timestamp"] / 1000, UTC)
        newest = committed if newest is None or committed > newest else newest
        entry: dict[str, Any] = {"version": table.version(), "last_commit": committed.isoformat()}
        if cid:
            dataset = table.to_pyarrow_dataset()
            if "correlation_id" in dataset.schema.names:
                # Compared in memory, not pushed down: DuckDB-written Silver files mix string and
                # string_view, for which Arrow has no comparison kernel.
                column = dataset.to_table(columns=["correlation_id"])["correlation_id"].cast(pa.string())
                entry["rows_for_correlation_id"] = int(pc.sum(pc.equal(column, cid)).as_py() or 0)
                matched += entry["rows_for_correlation_id"]
        report["tables"][name] = entry
    report["missing"] = missing
    print(f"{layer} freshness: {report}")
    if not report["tables"]:
        raise RuntimeError(f"No {layer} table exists under {root} (missing: {', '.join(missing)})")
    if cid:
        if matched < min_rows:
            raise RuntimeError(
                f"{layer} has {matched} row(s) with correlation_id={cid}, expected at least {min_rows}: "
                "nothing for dbt to transform yet"
            )
    elif newest is None or now - newest > max_age:
        raise RuntimeError(
            f"{layer} is stale: newest commit {newest.isoformat() if newest else 'never'}, "
            f"older than {max_age} (max_age_minutes={params['max_age_minutes']})"
        )
    return report


def run_dbt(command: str, selector: str, run_id: str) -> str:
    """Run one dbt command for the selector; fail the task with dbt's output tail if dbt fails."""
    project = _dbt_project()
    work = Path(env("LH_STATE_DIR")) / "dbt" / "airflow"
    argv = [
        env("LH_DBT_EXECUTABLE"), command, "--select", selector,
        "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    # Tests whose parents span layers run with the later layer: the project sets
    # indirect_selection: cautious (dbt_project.yml flags).
    # dbt rewrites whole Silver/Gold tables: take the platform's dbt lock (flock(2), the same file
    # the tests' dbt runs take), so a DAG run and a test's dbt run never write them at once.
    argv = ["flock", "--wait", "1200", env("LH_DBT_LOCK_FILE"), *argv]
    # dbt reads LH_S3_* and LH_<LAYER>_ROOT from this environment (profiles.yml, dbt_project.yml).
    # One dbt thread: the test box has 2 cores shared with Kafka, Spark and Airflow.
    dbt_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt_env.setdefault("LH_DBT_THREADS", "1")
    started = time.monotonic()
    print("+ " + " ".join(argv))
    proc = subprocess.run(argv, env=dbt_env, cwd=project, capture_output=True, text=True, timeout=1800)
    output = proc.stdout + proc.stderr
    print(output)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-30:])
        raise RuntimeError(f"dbt {command} --select {selector} failed (exit {proc.returncode}), run {run_id}:\n{tail}")
    print(f"dbt {command} --select {selector} took {time.monotonic() - started:.1f} s")
    return output.strip().splitlines()[-1] if output.strip() else ""


def make_dbt_dag(dag_id: str, tag: str, upstream: str) -> Any:
    selector = f"tag:{tag}"

    @dag(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        is_paused_upon_creation=False,
        max_active_runs=1,
        tags=["lakehouse", "dbt", tag],
        doc_md=__doc__,
        params={
            "correlation_id": Param(None, type=["null", "string"]),
            "min_rows": Param(1, type="integer", minimum=1),
            "max_age_minutes": Param(60, type="integer", minimum=1),
        },
    )
    def dbt_layer() -> None:
        @task(task_id=f"check_{upstream}_freshness")
        def freshness(params: dict[str, Any] | None = None) -> dict[str, Any]:
            upstream_root = layer_root(upstream)
            return check_freshness(upstream, upstream_root, params or {})

        @task
        def dbt_build(run_id: str | None = None) -> str:
            return run_dbt("build", selector, str(run_id))

        chain(freshness(), dbt_build())

    return dbt_layer()


dbt_silver = make_dbt_dag("dbt_silver", "silver", "bronze")
dbt_gold = make_dbt_dag("dbt_gold", "gold", "silver")
