"""Profile start-to-healthy time and memory, on a throw-away second platform instance.

    python -m benchmarks.core_platform [--runs 3] [--port-base 29000] [--profile core ...]
    python -m benchmarks.core_platform --profile all     # the five profiles of the brief

The second instance is the platform's own lifecycle CLI (the contract's ``control_command``)
with ``LH_STATE_DIR`` pointing at a temporary state dir and ``LH_PORT_<NAME>`` at a free port
block, so the shared platform is not disturbed. The provisioned artefacts (and the toolkit
venv) of the main state dir are shared by symlink, so nothing is re-installed. The instance
is stopped (``down``) and its state dir deleted at the end.

Run 1 starts from an empty data dir (storage format, topic/bucket/subject creation); later
runs restart on existing data, which is the usual case.
Prints the figures and writes results/benchmarks/platform.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._lifecycle import ROOT, LifecycleCli, load_contract, write_results

# The ports the lifecycle CLI reads from LH_PORT_<NAME>. Each gets a block of 10 from the base:
# SeaweedFS opens several ports upwards of s3_base, and a gRPC port 10000 above each.
PORT_NAMES = ("kafka", "kafka_controller", "schema_registry", "schema_registry_management", "s3_base",
              "streaming_metrics", "postgres", "airflow", "airflow2", "prometheus", "alertmanager",
              "alertmanager_cluster", "statsd_exporter", "statsd_udp", "kafka_jmx", "process_exporter",
              "superset")  # fmt: skip
FIVE_PROFILES = ("core", "data-platform", "quality-orchestration", "monitoring", "bi")
PORT_BLOCK = 10
GRPC_OFFSET = 10000


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is not "taken"
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_plan(base: int) -> dict[str, str]:
    """``LH_PORT_<NAME>`` values for the second instance; fails if any port of the plan is taken."""
    ports = {name: base + PORT_BLOCK * i for i, name in enumerate(PORT_NAMES)}
    wanted = [p + k for p in ports.values() for k in range(PORT_BLOCK)]
    wanted += [ports["s3_base"] + k + GRPC_OFFSET for k in range(PORT_BLOCK)]
    busy = [p for p in wanted if not _port_free(p)]
    if busy:
        raise SystemExit(f"Ports in use in the second instance's range from {base}: {busy[:10]}; pass --port-base")
    return {f"LH_PORT_{name.upper()}": str(port) for name, port in ports.items()}


@contextlib.contextmanager
def second_instance(main_cli: LifecycleCli, port_base: int) -> Iterator[LifecycleCli]:
    """A lifecycle CLI for a fresh instance beside the main one; stopped and deleted afterwards."""
    main_state = Path(os.environ.get("LH_STATE_DIR", ROOT / ".state")).resolve()
    if not (main_state / "artifacts").is_dir():
        raise SystemExit(f"No provisioned artefacts in {main_state}/artifacts: run ./lh provision first")
    ports = port_plan(port_base)
    state = Path(tempfile.mkdtemp(prefix="lh-bench-", dir="/tmp"))
    cli = LifecycleCli(main_cli.command, main_cli.cwd, {"LH_STATE_DIR": str(state), **ports})
    try:
        for shared in ("artifacts", "venv"):
            if (main_state / shared).exists():
                (state / shared).symlink_to(main_state / shared)
        yield cli
    finally:
        try:
            cli.down()
        finally:
            shutil.rmtree(state, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before sampling RSS")
    parser.add_argument("--port-base", type=int, default=29000, help="first port of the second instance")
    parser.add_argument("--profile", action="append", help="profile to start (repeatable; 'all' = the five)")
    args = parser.parse_args()
    profiles = list(FIVE_PROFILES) if args.profile == ["all"] else (args.profile or ["core"])
    main_cli = LifecycleCli.of(load_contract())

    runs: list[dict[str, Any]] = []
    with second_instance(main_cli, args.port_base) as cli:
        for i in range(args.runs):
            report = cli.up(*profiles)
            time.sleep(args.settle)
            statuses = [st for st in cli.status() if st.state == "RUNNING" and not st.oneshot]
            rss = {st.name: (st.rss_bytes or 0) / 2**20 for st in statuses}
            runs.append({
                "run": i + 1,
                "fresh_data_dir": i == 0,
                "seconds_to_healthy": round(report.seconds, 2),
                "ready_after": {k: round(v, 2) for k, v in report.ready_after.items()},
                "rss_mb": {k: round(v) for k, v in rss.items()},
                "rss_total_mb": round(sum(rss.values())),
            })  # fmt: skip
            print(f"run {i + 1}: healthy in {report.seconds:.2f} s; ready after {runs[-1]['ready_after']}; "
                  f"RSS {runs[-1]['rss_total_mb']} MB {runs[-1]['rss_mb']}", flush=True)  # fmt: skip
            cli.down()
    warm = [r["seconds_to_healthy"] for r in runs[1:]] or [runs[0]["seconds_to_healthy"]]
    summary = {
        "benchmark": f"profiles {', '.join(profiles)}: start to healthy (provisioned) and RSS",
        "profiles": profiles,
        "cpu_load_note": f"loadavg at end {os.getloadavg()}",
        "runs": runs,
        "fresh_seconds": runs[0]["seconds_to_healthy"],
        "restart_seconds_median": statistics.median(warm),
        "rss_total_mb_max": max(r["rss_total_mb"] for r in runs),
        "goals": {"start_to_healthy_s": 10, "core_rss_mb": 1200}
        if profiles == ["core"]
        else {"start_to_healthy_s": 45, "rss_mb": 4096},
    }
    write_results("platform" if profiles == ["core"] else "platform-" + "+".join(profiles), summary)
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
