"""BI (Superset): start-to-healthy, idle memory, chart-data and keyword latency, the browser check.

    python -m benchmarks.bi [--rounds 10] [--no-restart] [--no-browser]

Runs against the platform in ``LH_CONTRACT_FILE`` with ``core``, ``data-platform`` and ``bi`` up
(and Gold built, for the Gold charts: run the dashboard suite once). Not a timed test.

* start-to-healthy: ``superset`` and ``superset-init`` are stopped and ``up --profile bi`` is timed:
  the one-shot (warm: the metadata DB exists; a fresh state dir copies the template DB) plus
  gunicorn until ``/health`` answers (``--no-restart`` skips it).
* memory: RSS and PSS of the ``superset`` process tree (gunicorn master + worker), from ``/proc``,
  idle after the rounds.
* ``POST /api/v1/chart/data`` latency per chart of the Operations dashboard (``rounds`` each,
  the first query after a restart reported apart: it opens the process's DuckDB instance).
* ``Get Chart Value`` as a keyword (list charts, read the chart, run its query).
* the browser: ``Open Dashboard In Browser`` (headless Chromium start, form login, render of the
  four charts, screenshot), once.

Prints the figures and writes results/benchmarks/bi.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from typing import Any

from benchmarks._lifecycle import LifecycleCli, load_contract, write_results
from benchmarks._proc import tree_memory
from BiLibrary import BiLibrary
from BiLibrary.client import SupersetClient
from BiLibrary.normalize import chart_query_context

CHARTS = ("Completed trips", "Revenue", "DLQ errors", "Trips by zone")


def _stats(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "runs": len(values),
        "median_s": round(statistics.median(values), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "max_s": round(max(values), 3),
    }


def start_to_healthy(cli: LifecycleCli) -> dict[str, Any]:
    for name in ("superset", "superset-init"):
        cli.run("stop", name)
    started = time.monotonic()
    report = cli.up("bi")
    return {
        "up_bi_s": round(time.monotonic() - started, 2),
        "started": list(report.started),
        "ready_after_s": report.ready_after,
    }


def chart_data_latency(client: SupersetClient, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    charts = client.request("GET", "/api/v1/chart/?q=(page_size:100)")["result"]
    for name in CHARTS:
        found = [c for c in charts if c["slice_name"] == name]
        if not found:
            out[name] = {"error": "missing"}
            continue
        doc = client.request("GET", f"/api/v1/chart/{found[0]['id']}")["result"]
        context = chart_query_context(doc)
        times = []
        for _ in range(rounds):
            started = time.monotonic()
            body = client.request("POST", "/api/v1/chart/data", json=context, csrf=False)
            times.append(time.monotonic() - started)
        first = body["result"][0]
        out[name] = {
            **_stats(times),
            "first_s": round(times[0], 3),
            "rows": first.get("rowcount"),
            "error": first.get("error"),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bi", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    contract = load_contract()
    cli = LifecycleCli.of(contract)
    figures: dict[str, Any] = {}
    if not args.no_restart:
        figures["start_to_healthy"] = start_to_healthy(cli)
    client = SupersetClient.for_target(contract)
    started = time.monotonic()
    client.login()
    figures["login_s"] = round(time.monotonic() - started, 3)
    figures["chart_data"] = chart_data_latency(client, args.rounds)
    lib = BiLibrary(target=contract)
    nobody = {"correlation_id": f"bench-{uuid.uuid4().hex}"}
    times = []
    for _ in range(args.rounds):
        started = time.monotonic()
        lib.get_chart_value("DLQ errors", where=nobody)
        times.append(time.monotonic() - started)
    figures["get_chart_value_keyword"] = _stats(times)
    if not args.no_browser:
        started = time.monotonic()
        lib.open_dashboard_in_browser("Operations", correlation_id=nobody["correlation_id"], timeout=120)
        figures["browser_open_dashboard_s"] = round(time.monotonic() - started, 2)
        lib.close_dashboard_browser()
    lib.close()
    time.sleep(2)
    status = cli.service_status("superset")
    memory = tree_memory(status.pid) if status.pid else {"rss": 0, "pss": 0}
    figures["superset_memory"] = {
        "rss_mb": round(memory.get("rss", 0) / 2**20),
        "pss_mb": round(memory.get("pss", 0) / 2**20),
        "processes": memory.get("procs"),
        "budget_mb": next((s.memory_mb for s in contract.services if s.name == "superset"), None),
    }
    print(json.dumps(figures, indent=2))
    print(f"written to {write_results('bi', figures)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
