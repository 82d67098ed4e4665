"""Airflow figures against the running quality-orchestration profile.

    python -m benchmarks.airflow [--runs 5] [--dbt]

* Trigger-to-success latency of ``lh_smoke`` (one task), measured by the client: from the
  ``POST dagRuns`` call to the first poll (every 50 ms) that sees ``success``. One warm-up run
  first (the first run after start imports the task SDK, ~3 s). Goal: median <= 2 s.
* With ``--dbt``: the same for ``dbt_silver`` and ``dbt_gold`` (no correlation id: they need
  fresh Bronze/Silver, i.e. the data-platform profile with recent events).
* Memory of the profile's services: PSS summed over each process tree (shared pages counted
  once per process share, unlike RSS), plus RSS for comparison. Goal: <= 1.5 GB PSS.

The platform is the contract in ``LH_CONTRACT_FILE``; service pids come from its lifecycle CLI
(``status --json``) and memory is read from ``/proc``, so the platform must run on this machine.
Prints the figures and writes ``results/benchmarks/airflow.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

from AirflowLibrary.client import AirflowClient
from benchmarks._lifecycle import LifecycleCli, load_contract, write_results
from benchmarks._proc import tree_memory
from contract.platform import PlatformContract

PROFILE = "quality-orchestration"
LATENCY_GOAL_S = 2.0
PSS_GOAL_MB = 1536


def trigger_to_success(client: AirflowClient, dag_id: str, conf: dict[str, Any], timeout: float) -> dict[str, Any]:
    run_id = f"bench_{uuid.uuid4().hex[:10]}"
    body = {"dag_run_id": run_id, "conf": conf, **({"logical_date": None} if client.api == "v2" else {})}
    started = time.monotonic()
    client.request("POST", f"/dags/{dag_id}/dagRuns", json=body)
    state = "queued"
    while time.monotonic() - started < timeout:
        state = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}", timeout=5)["state"]
        if state in ("success", "failed"):
            break
        time.sleep(0.05)
    seconds = time.monotonic() - started
    return {"run_id": run_id, "state": state, "seconds": round(seconds, 3)}


def profile_memory(contract: PlatformContract, cli: LifecycleCli) -> dict[str, Any]:
    names = [s.name for s in contract.service_catalogue().values() if s.profile == PROFILE and not s.oneshot]
    if not names:
        raise SystemExit(f"Target '{contract.name}' declares no services in profile {PROFILE}")
    services: dict[str, Any] = {}
    for st in cli.status(*names):
        if st.pid:
            mem = tree_memory(st.pid)
            services[st.name] = {
                "pss_mb": round(mem["pss"] / 2**20, 1),
                "rss_mb": round(mem["rss"] / 2**20, 1),
                "procs": mem["procs"],
                "budget_mb": st.memory_budget_mb,
            }
        else:
            services[st.name] = {"state": st.state}
    total_pss = round(sum(v.get("pss_mb", 0) for v in services.values()), 1)
    total_rss = round(sum(v.get("rss_mb", 0) for v in services.values()), 1)
    return {"services": services, "total_pss_mb": total_pss, "total_rss_mb": total_rss,
            "goal_pss_mb": PSS_GOAL_MB, "within_goal": total_pss <= PSS_GOAL_MB}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dbt", action="store_true", help="also time dbt_silver and dbt_gold")
    args = parser.parse_args()
    contract = load_contract()
    client = AirflowClient.for_target(contract)
    results: dict[str, Any] = {"airflow_version": client.version, "api": client.api}

    memory_idle = profile_memory(contract, LifecycleCli.of(contract))  # before any run, so it is the idle figure
    warm = trigger_to_success(client, "lh_smoke", {}, 60)
    runs = [trigger_to_success(client, "lh_smoke", {}, 60) for _ in range(args.runs)]
    ok = [r["seconds"] for r in runs if r["state"] == "success"]
    results["lh_smoke"] = {
        "warmup": warm,
        "runs": runs,
        "median_s": round(statistics.median(ok), 3) if ok else None,
        "max_s": max(ok) if ok else None,
        "goal_s": LATENCY_GOAL_S,
        "within_goal": bool(ok) and len(ok) == len(runs) and statistics.median(ok) <= LATENCY_GOAL_S,
    }
    if args.dbt:
        for dag_id in ("dbt_silver", "dbt_gold"):
            results[dag_id] = trigger_to_success(client, dag_id, {"max_age_minutes": 1440}, 900)
    results["memory_idle"] = memory_idle

    smoke = results["lh_smoke"]
    print(f"Airflow {results['airflow_version']} ({results['api']})")
    verdict = "OK" if smoke["within_goal"] else "MISSED"
    print(f"lh_smoke trigger->success: warm-up {warm['seconds']} s; runs {[r['seconds'] for r in runs]} s; "
          f"median {smoke['median_s']} s (goal <= {LATENCY_GOAL_S} s: {verdict})")  # fmt: skip
    for dag_id in ("dbt_silver", "dbt_gold"):
        if dag_id in results:
            print(f"{dag_id} trigger->{results[dag_id]['state']}: {results[dag_id]['seconds']} s")
    for name, mem in memory_idle["services"].items():
        print(f"  {name:<24} PSS {mem.get('pss_mb', '-'):>7} MB  RSS {mem.get('rss_mb', '-'):>7} MB  "
              f"procs {mem.get('procs', '-'):>3}  budget {mem.get('budget_mb', '-')} MB")  # fmt: skip
    print(f"quality-orchestration idle PSS {memory_idle['total_pss_mb']} MB (RSS {memory_idle['total_rss_mb']} MB); "
          f"goal <= {PSS_GOAL_MB} MB: {'OK' if memory_idle['within_goal'] else 'MISSED'}")  # fmt: skip
    print(f"wrote {write_results('airflow', results)}")


if __name__ == "__main__":
    main()
