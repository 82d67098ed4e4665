"""Bronze streaming: event→Bronze latency, sustained rate, start-to-first-batch, RSS.

    python -m benchmarks.streaming [--rate 20] [--seconds 30] [--burst 5000] [--no-restart]

Runs against the platform in ``LH_CONTRACT_FILE`` (core + data-platform must be up; a
second Spark driver on a 2-core box would distort every figure). Not a timed test. The
service is restarted and its pid found through the platform's lifecycle CLI; RSS is read from
``/proc``, so the platform must run on this machine.

* latency: events are published at ``--rate``/s for ``--seconds``; Bronze is polled
  every 0.25 s and each event's latency is (first poll that sees it) − (broker ack
  time), i.e. end-to-end visibility as a test sees it, polling resolution included.
* rate: a burst of ``--burst`` pings is published at once; rate = events / (time
  from first publish until all are visible in Bronze).
* start-to-first-batch: the service is restarted, one event is published as soon as
  the health probe passes; reported both from the restart command to the event being
  visible, and as the job's own ``start_to_first_batch_s`` (process start → first
  batch committed).
* RSS: peak resident memory of the bronze-streaming process tree (JVM + python)
  sampled during the run; bronze-init is a one-shot, so this is the profile's RSS.

Prints the figures and writes results/benchmarks/streaming.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from typing import Any

import requests
from confluent_kafka import Producer

from benchmarks._lifecycle import LifecycleCli, load_contract, write_results
from benchmarks._proc import tree_memory
from contract.platform import PlatformContract
from EventLibrary.factories import EventFactory
from LakehouseLibrary.engine import DeltaQueryEngine

SERVICE = "bronze-streaming"
TOPIC = "gps-pings"
POLL = 0.25


class RssSampler(threading.Thread):
    """Samples the service's process-tree RSS every second from /proc; asks the CLI for the pid
    only when the known one is gone (a restart), so sampling itself costs next to nothing."""

    def __init__(self, cli: LifecycleCli) -> None:
        super().__init__(daemon=True)
        self.cli = cli
        self.pid: int | None = None
        self.peak_mb = 0.0
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            mb = tree_memory(self.pid)["rss"] / 2**20 if self.pid else 0.0
            if mb:
                self.samples.append(mb)
                self.peak_mb = max(self.peak_mb, mb)
            else:
                try:
                    self.pid = self.cli.service_status(SERVICE).pid
                except Exception:
                    self.pid = None
            self.stop.wait(1.0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seen_ids(engine: DeltaQueryEngine, cid: str) -> set[str]:
    rows = engine.query(
        "SELECT json_extract_string(_raw_value, '$.event_id') AS id FROM bronze.gps_pings WHERE correlation_id = ?",
        [cid],
    )
    return {r["id"] for r in rows}


class Publisher:
    """Publishes pings to the target's physical ``gps-pings`` topic, recording broker ack times."""

    def __init__(self, target: PlatformContract) -> None:
        self.topic = target.topic_name(TOPIC)
        self.producer = Producer({"bootstrap.servers": target.kafka_bootstrap, "linger.ms": 5,
                                  "enable.idempotence": True})  # fmt: skip

    def publish(self, events: list[dict[str, Any]], acked: dict[str, float]) -> None:
        def report(err: Any, msg: Any) -> None:
            if err is None:
                acked[json.loads(msg.value())["event_id"]] = time.time()

        for event in events:
            self.producer.produce(self.topic, json.dumps(event).encode(), key=event["entity_id"].encode(),
                                  on_delivery=report)  # fmt: skip
            self.producer.poll(0)

    def flush(self, timeout: float) -> None:
        self.producer.flush(timeout)


def measure_latency(engine: DeltaQueryEngine, producer: Publisher, rate: float, seconds: float) -> dict[str, Any]:
    cid = f"bench-lat-{uuid.uuid4().hex[:10]}"
    factory = EventFactory(cid)
    total = int(rate * seconds)
    events = [factory.event_for(TOPIC) for _ in range(total)]
    acked: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def poller() -> None:
        while not stop.is_set():
            now = time.time()
            for event_id in seen_ids(engine, cid) - seen.keys():
                seen[event_id] = now
            stop.wait(POLL)

    thread = threading.Thread(target=poller, daemon=True)
    thread.start()
    start = time.time()
    for i, event in enumerate(events):
        producer.publish([event], acked)
        time.sleep(max(0.0, start + (i + 1) / rate - time.time()))
    producer.flush(15)
    deadline = time.time() + 120
    while len(seen) < total and time.time() < deadline:
        time.sleep(POLL)
    stop.set()
    thread.join()
    latencies = [seen[e] - acked[e] for e in acked if e in seen]
    return {
        "events": total,
        "visible": len(seen),
        "rate_per_s": rate,
        "p50_s": round(percentile(latencies, 0.50), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "mean_s": round(statistics.mean(latencies), 2) if latencies else None,
        "poll_interval_s": POLL,
    }


def measure_rate(engine: DeltaQueryEngine, producer: Publisher, burst: int) -> dict[str, Any]:
    cid = f"bench-rate-{uuid.uuid4().hex[:10]}"
    factory = EventFactory(cid)
    drivers = max(1, burst // 100)
    events = factory.gps_pings(drivers=drivers, pings=burst // drivers, interval_seconds=1.0)
    acked: dict[str, float] = {}
    start = time.time()
    producer.publish(events, acked)
    producer.flush(30)
    published = time.time()
    n = 0
    deadline = time.time() + 600
    while time.time() < deadline:
        n = len(seen_ids(engine, cid))
        if n >= len(events):
            break
        time.sleep(0.5)
    done = time.time()
    return {
        "events": len(events),
        "visible": n,
        "publish_s": round(published - start, 2),
        "all_visible_after_s": round(done - start, 2),
        "events_per_s": round(n / (done - start), 1),
    }


def measure_start(engine: DeltaQueryEngine, producer: Publisher, cli: LifecycleCli,
                  metrics_url: str) -> dict[str, Any]:  # fmt: skip
    cid = f"bench-start-{uuid.uuid4().hex[:10]}"
    t0 = time.time()
    cli.restart(SERVICE, 300)  # includes the CLI's own start-up (~1 s of Python imports)
    healthy = time.time()
    event = EventFactory(cid).event_for(TOPIC)
    producer.publish([event], {})
    producer.flush(15)
    while not seen_ids(engine, cid) and time.time() < healthy + 300:
        time.sleep(POLL)
    visible = time.time()
    own: dict[str, Any] = {}
    while own.get("start_to_first_batch_s") is None and time.time() < visible + 30:
        own = requests.get(metrics_url + "/metrics.json", timeout=5).json()
        time.sleep(0.2)
    return {
        "restart_to_healthy_s": round(healthy - t0, 1),
        "restart_to_first_event_visible_s": round(visible - t0, 1),
        "process_start_to_first_batch_s": own.get("start_to_first_batch_s"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0, help="events per second for the latency run")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--no-restart", action="store_true", help="skip the start-to-first-batch measurement")
    args = parser.parse_args()
    target = load_contract()
    if not target.streaming_metrics_url:
        print(f"Target '{target.name}' has no streaming_metrics_url", file=sys.stderr)
        return 2
    cli = LifecycleCli.of(target)
    status = cli.service_status(SERVICE)
    if not status.running:
        print(f"{SERVICE} is not running; start it with ./lh up --profile data-platform", file=sys.stderr)
        return 2
    producer = Publisher(target)
    sampler = RssSampler(cli)
    sampler.start()
    result: dict[str, Any] = {"service": SERVICE, "cpus": 2}
    with DeltaQueryEngine(target) as engine:
        if not args.no_restart:
            result["start"] = measure_start(engine, producer, cli, target.streaming_metrics_url)
            print("start:", result["start"], flush=True)
        result["latency"] = measure_latency(engine, producer, args.rate, args.seconds)
        print("latency:", result["latency"], flush=True)
        result["rate"] = measure_rate(engine, producer, args.burst)
        print("rate:", result["rate"], flush=True)
    sampler.stop.set()
    sampler.join()
    result["rss"] = {
        "peak_mb": round(sampler.peak_mb),
        "median_mb": round(statistics.median(sampler.samples)) if sampler.samples else None,
        "budget_mb": status.memory_budget_mb,
    }
    metrics = requests.get(target.streaming_metrics_url + "/metrics.json", timeout=5).json()
    result["job"] = {k: metrics[k] for k in ("batches", "last_batch_duration_s", "start_to_first_batch_s")}
    goals = {"p95_le_3s": (result["latency"]["p95_s"] or 1e9) <= 3.0, "rss_le_2gb": result["rss"]["peak_mb"] <= 2048}
    result["goals_met"] = goals
    print("rss:", result["rss"], "goals:", goals, flush=True)
    print(f"wrote {write_results('streaming', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
