"""How dbt Silver+Gold run time grows with Bronze size (10k, 100k, 1M Bronze rows).

Bronze-shaped Delta tables are generated with DbtLibrary.devdata into ``s3://dbtdev/bench-<id>/bronze``
on the platform's S3 (or the target of ``LH_TARGET_FILE``), then ``dbt build`` runs twice per size:
a full build (Silver overwrite + Gold) and an incremental Silver run with no new Bronze rows.
Results go to stdout and ``results/benchmarks/dbt_scaling.json``.

    python benchmarks/dbt_scaling.py [--sizes 10000 100000 1000000] [--keep]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder is sys.path[0] and its platform.py would shadow the stdlib module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

import boto3  # noqa: E402

from DbtLibrary import DbtLibrary, devdata  # noqa: E402
from lhkit import target as lh_target  # noqa: E402

BUCKET = "dbtdev"
ROWS_PER_TRIP = 12.0  # Bronze rows per generated trip in devdata.generate_events (pings_per_trip=4), measured


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the generated tables")
    args = parser.parse_args()
    t = lh_target.current()
    s3 = boto3.client("s3", endpoint_url=t.s3_endpoint, aws_access_key_id=t.s3_access_key,
                      aws_secret_access_key=t.s3_secret_key, region_name=t.s3_region)
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
            counts = devdata.write_world(roots["bronze_root"], world, t.s3_storage_options())
            write_s = time.monotonic() - started
            del world
            lib = DbtLibrary(vars=roots)
            full = lib.build_dbt("tag:silver tag:gold")
            incr = lib.run_dbt("tag:silver")
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
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
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
    out = ROOT / "results" / "benchmarks" / "dbt_scaling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "benchmark": "dbt_scaling", "host": platform.node(), "python": platform.python_version(),
        "note": "dbt build = 8 Silver staging + 3 anomaly + 10 Gold Delta models + zones seed + tests, "
                "threads from profiles.yml (2); incremental = tag:silver again with no new Bronze rows",
        "results": results,
    }, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
