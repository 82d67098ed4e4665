"""Mutation checks: break the reference lakehouse on purpose and require that a named test FAILS.

Each mutation replaces one exact snippet of platform code, restarts the services that
load it, runs the Robot test that must catch it, then restores the file and restarts
again, whatever happened. A test that stays green against its mutation is a defect.

    ./lh mutate                      # every mutation
    ./lh mutate --name dlq-alert-not-written

Needs the platform profiles of the tests up (``./lh up --profile ...``). Writes
results/mutations.json (``--out`` another file).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from robot.api import ExecutionResult

from tests.faults.cli import platform_cli
from tests.faults.mutation import AIRFLOW, Mutation

ROOT = Path(__file__).resolve().parents[2]



FIRST: tuple[Mutation, ...] = (
    # --- Bronze ingestion (issue 3): loss, duplicates, mis-routing ----------------------------
    Mutation(
        "streaming-loses-dlq-records",
        "the job silently drops every other dead-lettered record",
        "lakehouse/streaming/app.py",
        "            by_table[r.table or DLQ_TABLE].append(i)",
        "            if r.table or i % 2:\n                by_table[r.table or DLQ_TABLE].append(i)",
        "suites/02_data_flows/bronze_ingestion.robot",
        "Nothing Is Lost When Valid And Invalid Records Are Mixed",
        ("bronze-streaming",),
    ),
    Mutation(
        "streaming-skips-schema-validation",
        "records that violate their topic's schema are routed to Bronze instead of the DLQ",
        "lakehouse/streaming/routing.py",
        "    error = best_match(validator(topic_name).iter_errors(doc))",
        "    error = None",
        "suites/02_data_flows/bronze_ingestion.robot",
        "Each Malformed Kind Lands In The DLQ With Its Error Type",
        ("bronze-streaming",),
    ),
    Mutation(
        "streaming-not-idempotent",
        "Bronze appends no longer check the table's transaction version for the job's app id, so a batch "
        "replayed after a crash is written twice",
        "lakehouse/streaming/delta_writer.py",
        "            if done is not None and done >= batch_id:\n                return dt.version(), False\n",
        "",
        "suites/04_regression/streaming_recovery.robot",
        "Events Land Exactly Once After A Hard Kill Mid-Batch",
        ("bronze-streaming",),
    ),
    # --- Cross-phase (issue 4): one defect per test ----------------------------------------------
    Mutation(
        "dbt-silver-dag-selects-nothing",
        "dbt_silver runs a selector that matches no model, so the DAG succeeds doing nothing",
        "lakehouse/airflow/dags/dbt_dags.py",
        '    selector = f"tag:{tag}"',
        '    selector = f"tag:{tag}_typo"',
        "suites/03_cross_phase/airflow_orchestration.robot",
        "Airflow Builds Silver From The Test's Bronze Rows",
        AIRFLOW,
    ),
    Mutation(
        "fact-trips-wrong-state",
        "fact_trips filters on a trip state that never occurs, so completed trips vanish from Gold",
        "lakehouse/dbt/models/gold/facts/fact_trips.sql",
        "  select * from trip_events where trip_state = 'completed'",
        "  select * from trip_events where trip_state = 'complete'",
        "suites/03_cross_phase/airflow_orchestration.robot",
        "Airflow Builds Gold From A Completed Trip",
    ),
    Mutation(
        "freshness-check-is-a-placeholder",
        "check_bronze_freshness always passes (upstream's 'echo' placeholder)",
        "lakehouse/airflow/dags/dbt_dags.py",
        "            return check_freshness(upstream, upstream_root, params or {})",
        '            return {"placeholder": True}',
        "suites/03_cross_phase/airflow_orchestration.robot",
        "Dbt Silver Refuses To Run Without Bronze Rows",
        AIRFLOW,
    ),
    Mutation(
        "dlq-alert-not-written",
        "send_alert only prints; no alert record is written",
        "lakehouse/airflow/dags/dlq_monitoring.py",
        "            out.write(json.dumps(alert, indent=2, sort_keys=True).encode())",
        "            print(alert)",
        "suites/03_cross_phase/airflow_orchestration.robot",
        "DLQ Monitoring Alerts When Malformed Events Exceed The Threshold",
        AIRFLOW,
    ),
    Mutation(
        "dlq-threshold-off-by-one",
        "the monitor alerts at the threshold (>=) instead of above it",
        "lakehouse/airflow/dags/dlq_monitoring.py",
        '        decision = "send_alert" if summary["total"] > threshold else "no_alert"',
        '        decision = "send_alert" if summary["total"] >= threshold else "no_alert"',
        "suites/03_cross_phase/airflow_orchestration.robot",
        "DLQ Monitoring Stays Quiet At The Threshold",
        AIRFLOW,
    ),
    Mutation(
        "revenue-fees-inflated",
        "agg_daily_platform_revenue over-counts platform fees by 1 %",
        "lakehouse/dbt/models/gold/aggregates/agg_daily_platform_revenue.sql",
        "    sum(platform_fee_amount) as platform_fees,",
        "    sum(platform_fee_amount) * 1.01 as platform_fees,",
        "suites/03_cross_phase/airflow_orchestration.robot",
        "Dbt Tests Pass On The Platform's Own Data",
    ),
)


def catalogue() -> tuple[Mutation, ...]:
    """Every mutation: the first ones above, then each ``tests/faults/mutations_<area>.py`` module's."""
    found = list(FIRST)
    for path in sorted(Path(__file__).parent.glob("mutations_*.py")):
        found += importlib.import_module(f"tests.faults.{path.stem}").MUTATIONS
    return tuple(found)


MUTATIONS = catalogue()


def run(mutation: Mutation, outdir: Path) -> dict:
    path = ROOT / mutation.file
    original = path.read_text()
    if original.count(mutation.old) != 1:
        raise RuntimeError(f"{mutation.name}: snippet not found exactly once in {mutation.file}")
    started = time.monotonic()
    try:
        path.write_text(original.replace(mutation.old, mutation.new))
        for service in mutation.restart:
            platform_cli("restart", service)
        out = outdir / mutation.name
        subprocess.run(
            [sys.executable, "-m", "robot", "--outputdir", str(out), "--log", "NONE", "--report", "NONE",
             "--test", mutation.test,
             str(ROOT / mutation.suite)],
            capture_output=True, text=True, timeout=1800, check=False, cwd=ROOT,
        )
        tests = list(ExecutionResult(str(out / "output.xml")).suite.all_tests)
    finally:
        path.write_text(original)
        for service in mutation.restart:
            platform_cli("restart", service)
    status = tests[0].status if tests else "NOT RUN"
    return {**asdict(mutation), "status": status, "caught": status == "FAIL",
            "message": tests[0].message[:600] if tests else "", "seconds": round(time.monotonic() - started)}


def main(names: list[str], out: Path) -> int:
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    unknown = set(names) - {m.name for m in MUTATIONS}
    if unknown:
        raise SystemExit(f"Unknown mutation(s): {', '.join(sorted(unknown))}")
    outdir = ROOT / "results" / "mutations"
    results = []
    for mutation in chosen:
        result = run(mutation, outdir)
        results.append(result)
        verdict = "caught" if result["caught"] else "NOT CAUGHT"
        print(f"{mutation.name}: {verdict} by '{mutation.test}' ({result['status']}, {result['seconds']} s)\n"
              f"    {result['message'][:300]}", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0 if all(r["caught"] for r in results) else 1


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", action="append", default=[], help="mutation to run (repeatable; default all)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "mutations.json", help="results file")
    args = parser.parse_args()
    sys.exit(main(args.name, args.out))
