"""How dbt Silver+Gold run time grows with Bronze size (10k, 100k, 1M Bronze rows).

Bronze-shaped Delta tables are generated with DbtLibrary.devdata into ``s3://dbtdev/bench-<id>/<size>/bronze``
on the S3 of the platform in ``LH_CONTRACT_FILE``, then ``dbt build`` runs twice per size: a full build
(Silver overwrite + Gold) and an incremental Silver run with no new Bronze rows. dbt is the platform's
own installation (the contract's ``dbt_command``, ``dbt_project_dir``, ``dbt_profiles_dir``), run by
DbtLibrary as a subprocess under the platform's dbt lock.
Results go to stdout and ``results/benchmarks/dbt_scaling.json``.

    python -m benchmarks.dbt_scaling [--sizes 10000 100000 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import resource
import shutil
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the generated tables")
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
            started = time.monotonic()
            world = devdata.generate_events(max(1, round(size / ROWS_PER_TRIP)), seed=size)
            gen_s = time.monotonic() - started
            started = time.monotonic()
            counts = devdata.write_world(roots["bronze_root"], world, delta_storage_options(t))
            write_s = time.monotonic() - started
            del world
            lib = DbtLibrary(target=t, vars=roots)
            try:
                full = lib.build_dbt("tag:silver tag:gold")
                incr = lib.run_dbt("tag:silver")
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
                "dbt_incremental_silver_s": incr["elapsed"],
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
            "incremental = tag:silver again with no new Bronze rows",
            "results": results,
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
