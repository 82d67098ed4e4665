"""How dbt Silver+Gold run time grows with Bronze size (10k, 100k, 1M Bronze rows).

Bronze-shaped Delta tables are generated with DbtLibrary.devdata into ``s3://dbtdev/bench-<id>/<size>/bronze``
on the S3 of the platform in ``LH_CONTRACT_FILE``, then per size: a full build (Silver overwrite + Gold,
``--full-refresh``), ``--repeat`` no-op incremental Silver runs (no new Bronze rows), and ``--repeat`` rounds
of "a test's few events": one completed trip (6 trip events, a payment, 2 ratings) appended to Bronze, then
``dbt build`` of Silver and of Gold, as a test does. dbt is the platform's
own installation (the contract's ``dbt_command``, ``dbt_project_dir``, ``dbt_profiles_dir``), run by
DbtLibrary as a subprocess under the platform's dbt lock.
Results go to stdout and ``results/benchmarks/dbt_scaling.json``.

    python -m benchmarks.dbt_scaling [--sizes 10000 100000 1000000] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import resource
import shutil
import statistics
import time
import uuid
from pathlib import Path

import boto3

from benchmarks._lifecycle import load_contract, write_results
from contract.platform import PlatformContract
from contract.storage import boto3_client_kwargs, delta_storage_options
from DbtLibrary import DbtLibrary, devdata

BUCKET = "dbtdev"
ROWS_PER_TRIP = 12.0  # Bronze rows per generated trip in devdata.generate_events (pings_per_trip=4), measured


def require_dbt(t: PlatformContract) -> None:
    """Fail before generating any data when the platform's dbt is not named or not installed."""
    if not t.dbt_command or not t.dbt_project_dir:
        raise SystemExit(
            f"Target '{t.name}' names no dbt installation (dbt_command/dbt_project_dir are empty in its contract); "
            "dbt_scaling runs the platform's own dbt"
        )
    executable = t.dbt_command[0]
    if not (Path(executable).is_file() or shutil.which(executable)):
        raise SystemExit(
            f"The platform's dbt {executable} does not exist: provision the platform first (./lh provision)"
        )


def few_events(i: int) -> dict[str, list[dict]]:
    """One completed trip of a test (its own correlation id): 6 trip events, a payment, 2 ratings."""
    world = devdata.generate_events(1, seed=10_000 + i, pings_per_trip=0, correlation_prefix=f"bench-few-{i}")
    # Its own trip id: the generator numbers trips from trip-00000000, which the big world has too (a second
    # rating of that trip by the same rater then fails fact_ratings' uniqueness test when trip 0 completed).
    events = {t: world.events.get(t, []) for t in ("trips", "payments", "ratings")}
    return {t: [{**e, "trip_id": f"few-{i}-{e['trip_id']}"} for e in rows] for t, rows in events.items()}


def bronze_counts(root: str, storage_options: dict[str, str]) -> dict[str, int]:
    """Rows per table of an existing Bronze root (``--bronze-root``)."""
    from deltalake import DeltaTable

    return {
        table: DeltaTable(f"{root}/{table}", storage_options=storage_options).to_pyarrow_dataset().count_rows()
        for table in devdata.TABLE_TOPIC
    }


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="no-op and few-event rounds per size")
    parser.add_argument("--keep", action="store_true", help="keep the generated tables")
    parser.add_argument("--bronze-root", help="reuse Bronze tables written by an earlier --keep run (one size)")
    parser.add_argument("--project-dir", help="a copy of the dbt project to run instead of the contract's")
    args = parser.parse_args()
    t = load_contract()
    require_dbt(t)
    s3 = boto3.client("s3", **boto3_client_kwargs(t))
    if BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=BUCKET)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    results = []
    try:
        for size in args.sizes:
            root = f"s3://{BUCKET}/{prefix}/{size}"
            roots = {"bronze_root": f"{root}/bronze", "silver_root": f"{root}/silver", "gold_root": f"{root}/gold"}
            gen_s = write_s = 0.0
            if args.bronze_root:
                roots["bronze_root"] = args.bronze_root.rstrip("/")
                counts = bronze_counts(roots["bronze_root"], delta_storage_options(t))
            else:
                started = time.monotonic()
                world = devdata.generate_events(max(1, round(size / ROWS_PER_TRIP)), seed=size)
                gen_s = time.monotonic() - started
                started = time.monotonic()
                counts = devdata.write_world(roots["bronze_root"], world, delta_storage_options(t))
                write_s = time.monotonic() - started
                del world
            print(f"Bronze {roots['bronze_root']}: {sum(counts.values())} rows", flush=True)
            lib = DbtLibrary(target=t, vars=roots, project_dir=args.project_dir)
            opts = delta_storage_options(t)
            try:
                full = lib.build_dbt("tag:silver tag:gold", full_refresh=True)
                noop = [lib.run_dbt("tag:silver")["elapsed"] for _ in range(args.repeat)]
                few: list[dict[str, float]] = []
                for i in range(args.repeat):
                    offset = 10_000_000 + i * 100
                    for table, events in few_events(i).items():
                        batch = devdata.bronze_batch(table, events, first_offset=offset)
                        devdata.write_bronze(roots["bronze_root"], table, batch, opts)
                    silver = lib.build_dbt("tag:silver")["elapsed"]
                    gold = lib.build_dbt("tag:gold")["elapsed"]
                    few.append({"silver_s": silver, "gold_s": gold})
            finally:
                lib.close()
            slowest = sorted(full["results"], key=lambda r: -r["seconds"])[:3]
            row = {
                "bronze_rows": sum(counts.values()),
                "bronze_rows_per_table": counts,
                "generate_s": round(gen_s, 2),
                "bronze_write_s": round(write_s, 2),
                "dbt_build_s": full["elapsed"],
                "dbt_build_nodes": full["counts"],
                "dbt_incremental_silver_s": median(noop),
                "dbt_noop_silver_runs_s": noop,
                "dbt_few_events_silver_build_s": median([f["silver_s"] for f in few]),
                "dbt_few_events_gold_build_s": median([f["gold_s"] for f in few]),
                "dbt_few_events_runs": few,
                "slowest_nodes": [{k: r[k] for k in ("node", "seconds")} for r in slowest],
                # This process (data generation) and the largest dbt subprocess so far.
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "dbt_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if not args.keep:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})
    for a, b in itertools.pairwise(results):
        ratio_rows = b["bronze_rows"] / a["bronze_rows"]
        ratio_t = b["dbt_build_s"] / a["dbt_build_s"]
        print(f"{a['bronze_rows']} → {b['bronze_rows']} rows (×{ratio_rows:.1f}): build time ×{ratio_t:.2f}")
    out = write_results(
        "dbt_scaling",
        {
            "benchmark": "dbt_scaling",
            "host": platform.node(),
            "python": platform.python_version(),
            "note": "dbt build = 8 Silver staging + 3 anomaly + 10 Gold Delta models + zones seed + tests, "
            "threads from profiles.yml; the platform's own dbt as a subprocess; "
            "incremental = median of --repeat `dbt run tag:silver` with no new Bronze rows; few events = "
            "median of `dbt build tag:silver` and `dbt build tag:gold` after appending one completed trip",
            "results": results,
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
