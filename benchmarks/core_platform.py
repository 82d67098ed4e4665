"""Core profile start-to-healthy time and memory, on an isolated platform instance.

    python -m benchmarks.core_platform [--runs 3]

A separate state dir and ports (offset +1000) are used, so the shared platform
is not disturbed; provisioned artefacts and the venv are shared by symlink.
Run 1 starts from an empty data dir (storage format, topic/bucket/subject
creation); later runs restart on existing data, which is the usual case.
Prints the figures and writes results/benchmarks/platform.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]


OFFSET = 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before sampling RSS")
    args = parser.parse_args()
    from lakehouse.runner.embedded import EmbeddedBackend
    from lakehouse.runner.isolated import isolated_platform

    runs = []
    with isolated_platform(OFFSET) as settings:
        for i in range(args.runs):
            backend = EmbeddedBackend(settings)
            report = backend.up(["core"])
            time.sleep(args.settle)
            statuses = {st.name: st for st in backend.status() if st.profile == "core"}
            rss = {n: (st.rss_bytes or 0) / 2**20 for n, st in statuses.items() if not st.oneshot}
            runs.append({
                "run": i + 1,
                "fresh_data_dir": i == 0,
                "seconds_to_healthy": round(report.seconds, 2),
                "ready_after": {k: round(v, 2) for k, v in report.ready_after.items()},
                "rss_mb": {k: round(v) for k, v in rss.items()},
                "rss_total_mb": round(sum(rss.values())),
            })
            print(f"run {i + 1}: healthy in {report.seconds:.2f} s; ready after {runs[-1]['ready_after']}; "
                  f"RSS {runs[-1]['rss_total_mb']} MB {runs[-1]['rss_mb']}", flush=True)
            backend.down()
    warm = [r["seconds_to_healthy"] for r in runs[1:]] or [runs[0]["seconds_to_healthy"]]
    summary = {
        "benchmark": "core profile start to healthy (provisioned) and RSS",
        "cpu_load_note": f"loadavg at end {os.getloadavg()}",
        "runs": runs,
        "fresh_seconds": runs[0]["seconds_to_healthy"],
        "restart_seconds_median": statistics.median(warm),
        "rss_total_mb_max": max(r["rss_total_mb"] for r in runs),
        "goals": {"start_to_healthy_s": 10, "core_rss_mb": 1200},
    }
    out = ROOT / "results" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "platform.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
