"""Monitoring: alert latency (condition → Alertmanager), profile start-to-healthy, idle memory.

    python -m benchmarks.monitoring [--dlq-rounds 3] [--dag-rounds 2] [--no-restart]

Runs against the platform in ``LH_CONTRACT_FILE``; the alert rounds need core, data-platform and
quality-orchestration up besides monitoring. Not a timed test.

* alert latency, DlqRateHigh (``for: 4s``, more than 20 dead-lettered rows in 30 s): 30 malformed
  events are published; the condition starts when the streaming job's own counter
  (``/metrics.json`` ``dlq_rows_total``, polled every 0.1 s) is more than 20 above its value
  before; the alert fires when Alertmanager's ``/api/v2/alerts`` (polled every 0.1 s) lists it.
  Goal: at most ``for`` + 2 scrape intervals (4 + 2 × 2 = 8 s). Also reported: publish → firing.
* alert latency, FailedDagRun (``for: 0s``): ``dbt_silver`` for a correlation id without Bronze rows
  fails; the condition starts at the run's ``end_date`` (Airflow's API); the alert fires when
  Alertmanager lists it for ``dag_id=dbt_silver``. Goal: 0 + 2 × 2 = 4 s. Each round waits for the
  previous alert to resolve (about a minute).
* start-to-healthy: the four monitoring services are stopped and ``up --profile monitoring`` is
  timed (``--no-restart`` skips it).
* memory: RSS and PSS of each monitoring service's process tree, from ``/proc``, after the rounds.

Prints the figures and writes results/benchmarks/monitoring.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests
from confluent_kafka import Producer

from AirflowLibrary.client import AirflowClient
from benchmarks._lifecycle import LifecycleCli, load_contract, write_results
from benchmarks._proc import tree_memory
from contract.platform import PlatformContract
from EventLibrary.factories import EventFactory
from EventLibrary.malformed import Malformation, malformed_payload

SERVICES = ("prometheus", "alertmanager", "statsd-exporter", "memory-exporter")
SCRAPE_INTERVAL_S = 2.0
POLL = 0.1
DLQ_EVENTS = 30
DLQ_THRESHOLD = 20
DLQ_FOR_S = 4.0
DAG_FOR_S = 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float], goal: float | None = None) -> dict[str, Any]:
    if not values:
        return {"runs": 0}
    out: dict[str, Any] = {
        "runs": len(values),
        "median_s": round(statistics.median(values), 2),
        "p95_s": round(percentile(values, 0.95), 2),
        "max_s": round(max(values), 2),
    }
    if goal is not None:
        out.update(goal_s=goal, within_goal=max(values) <= goal)
    return {**out, "all_s": [round(v, 2) for v in values]}


class Alerts:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def firing(self, name: str, **labels: str) -> bool:
        now = datetime.now().astimezone()
        for a in requests.get(f"{self.url}/api/v2/alerts", timeout=5).json():
            got = a.get("labels", {})
            if got.get("alertname") != name or any(got.get(k) != v for k, v in labels.items()):
                continue
            ends = datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00"))
            if a.get("status", {}).get("state") in ("active", "suppressed") and ends > now:
                return True
        return False


def poll_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return time.time()
        time.sleep(POLL)
    raise TimeoutError(f"{what} not seen within {timeout:.0f} s")


def dlq_round(target: PlatformContract, alerts: Alerts, producer: Producer) -> dict[str, float]:
    poll_until(lambda: not alerts.firing("DlqRateHigh"), 120, "DlqRateHigh resolved before the round")

    def dlq_total() -> int:
        return int(requests.get(f"{target.streaming_metrics_url}/metrics.json", timeout=5).json()["dlq_rows_total"])

    before = dlq_total()
    factory = EventFactory(f"bench-alert-{uuid.uuid4().hex[:8]}")
    kinds = [Malformation.INVALID_JSON, Malformation.MISSING_KEY_FIELD, Malformation.SCHEMA_VIOLATION]
    topic = target.topic_name("trips")
    published = time.time()
    for i in range(DLQ_EVENTS):
        producer.produce(topic, malformed_payload(kinds[i % 3], "trips", factory), key=factory.correlation_id)
    producer.flush(15)
    condition = poll_until(lambda: dlq_total() - before > DLQ_THRESHOLD, 120, "DLQ counter above threshold")
    fired = poll_until(lambda: alerts.firing("DlqRateHigh"), 120, "DlqRateHigh firing")
    return {"condition_to_firing_s": fired - condition, "publish_to_firing_s": fired - published}


def dag_round(target: PlatformContract, alerts: Alerts, airflow: AirflowClient) -> dict[str, float]:
    poll_until(lambda: not alerts.firing("FailedDagRun", dag_id="dbt_silver"), 150, "FailedDagRun resolved first")
    run_id = f"bench_alert_{uuid.uuid4().hex[:10]}"
    conf = {"correlation_id": f"bench-none-{uuid.uuid4().hex[:8]}"}
    airflow.request("POST", "/dags/dbt_silver/dagRuns", json={"dag_run_id": run_id, "logical_date": None, "conf": conf})
    run: dict[str, Any] = {}

    def finished() -> bool:
        run.update(airflow.request("GET", f"/dags/dbt_silver/dagRuns/{run_id}"))
        return run.get("state") in ("success", "failed")

    poll_until(finished, 300, f"dbt_silver run {run_id} to finish")
    if run["state"] != "failed":
        raise RuntimeError(f"dbt_silver run {run_id} ended {run['state']}, expected failed")
    fired = poll_until(lambda: alerts.firing("FailedDagRun", dag_id="dbt_silver"), 120, "FailedDagRun firing")
    ended = datetime.fromisoformat(run["end_date"].replace("Z", "+00:00")).timestamp()
    return {"condition_to_firing_s": fired - ended}


def start_to_healthy(cli: LifecycleCli) -> dict[str, Any]:
    for name in SERVICES:
        cli.run("stop", name)
    started = time.time()
    report = cli.up("monitoring", timeout=120)
    return {"seconds": round(time.time() - started, 2), "runner_seconds": round(report.seconds, 2),
            "ready_after": {k: round(v, 2) for k, v in report.ready_after.items()}}  # fmt: skip


def memory(cli: LifecycleCli) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for st in cli.status(*SERVICES):
        values = tree_memory(st.pid) if st.pid else {"rss": 0, "pss": 0}
        out[st.name] = {"rss_mb": round(values["rss"] / 2**20, 1), "pss_mb": round(values["pss"] / 2**20, 1),
                        "budget_mb": st.memory_budget_mb}  # fmt: skip
    out["total_rss_mb"] = round(sum(v["rss_mb"] for v in out.values()), 1)
    out["total_pss_mb"] = round(sum(v["pss_mb"] for k, v in out.items() if k != "total_rss_mb"), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.monitoring", description=__doc__.split("\n")[0])
    parser.add_argument("--dlq-rounds", type=int, default=3)
    parser.add_argument("--dag-rounds", type=int, default=2)
    parser.add_argument("--no-restart", action="store_true", help="skip the start-to-healthy measurement")
    args = parser.parse_args(argv)
    target = load_contract()
    cli = LifecycleCli.of(target)
    figures: dict[str, Any] = {}
    if not args.no_restart:
        figures["start_to_healthy"] = start_to_healthy(cli)
        print(f"monitoring start-to-healthy: {figures['start_to_healthy']['seconds']} s", flush=True)
    alerts = Alerts(target.alertmanager_url)
    if args.dlq_rounds:
        producer = Producer({"bootstrap.servers": target.kafka_bootstrap, "linger.ms": 5})
        rounds = []
        for i in range(args.dlq_rounds):
            rounds.append(dlq_round(target, alerts, producer))
            print(f"DlqRateHigh round {i + 1}: {json.dumps({k: round(v, 2) for k, v in rounds[-1].items()})}",
                  flush=True)  # fmt: skip
        goal = DLQ_FOR_S + 2 * SCRAPE_INTERVAL_S
        figures["dlq_rate_high"] = {
            "condition_to_firing": summary([r["condition_to_firing_s"] for r in rounds], goal),
            "publish_to_firing": summary([r["publish_to_firing_s"] for r in rounds]),
        }
    if args.dag_rounds:
        airflow = AirflowClient.for_target(target, request_timeout=30)
        rounds = []
        for i in range(args.dag_rounds):
            rounds.append(dag_round(target, alerts, airflow))
            print(f"FailedDagRun round {i + 1}: {json.dumps({k: round(v, 2) for k, v in rounds[-1].items()})}",
                  flush=True)  # fmt: skip
        goal = DAG_FOR_S + 2 * SCRAPE_INTERVAL_S
        figures["failed_dag_run"] = {"condition_to_firing": summary([r["condition_to_firing_s"] for r in rounds], goal)}
    figures["memory"] = memory(cli)
    figures["scrape_interval_s"] = SCRAPE_INTERVAL_S
    out = write_results("monitoring", figures)
    print(json.dumps(figures, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
