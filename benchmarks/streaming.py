"""Bronze streaming: event→Bronze visibility as a test sees it, burst drain rate, soak, start-up, RSS.

    python -m benchmarks.streaming [--rate 20] [--seconds 60] [--burst 10000] [--soak-minutes N]
                                   [--label after] [--no-restart] [--topics trips]

Runs against the platform in ``LH_CONTRACT_FILE`` (core + data-platform up; nothing else should
write Bronze, and a second Spark driver on a 2-core box would distort every figure). Not a timed
test. The service is restarted through the platform's lifecycle CLI; RSS is read from ``/proc``,
so the platform must run on this machine.

* latency: events are published at ``--rate``/s in total, round-robin over the 8 Bronze topics,
  for ``--seconds``. One reader polls all 8 Bronze tables (one DuckDB ``delta_scan`` query over
  the run's correlation id) every ``--poll`` s, as a test's wait polls its one table. An event's
  latency is (first poll that sees it) − (broker ack of its publish): what a test sees, poll resolution
  included. Reported as p50/p95/p99/max and counts; duplicates (an event id seen twice) are counted.
  ``--topics trips`` publishes to one topic and reads its one table: what one test's
  ``Wait For Bronze Rows`` on one table sees. One poll of all 8 tables took about 7 times as long
  here (p50 1.6 s against 0.22 s).
* burst: ``--burst`` events (round-robin over the topics) published as fast as the producer can;
  drain rate = events / (time the last one is visible − first publish).
* soak (``--soak-minutes N``): the latency run for N minutes, with percentiles per
  ``--window-minutes`` window, and at the end the ``_delta_log`` object counts and live file
  counts per Bronze table (small files accumulate: one per table per batch).
* batches: the job's own per-batch log (``/batches.json``): Spark's ``durationMs`` (addBatch vs the
  rest of the trigger), the writer's per-table commit times, which batches wrote a Delta checkpoint,
  and the job's background maintenance.
* start: restart → healthy → first event visible (skipped with ``--no-restart``).

Prints the figures and merges them into ``results/benchmarks/streaming.json`` under ``--label``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import requests
from confluent_kafka import Producer
from deltalake import DeltaTable

from benchmarks._lifecycle import RESULTS, LifecycleCli, load_contract
from benchmarks._proc import tree_memory
from contract.layout import DLQ_TABLE, bronze_tables
from contract.platform import PlatformContract
from contract.storage import boto3_client_kwargs, delta_storage_options
from contract.topics import TOPICS
from EventLibrary.factories import EventFactory
from LakehouseLibrary.engine import DeltaQueryEngine

SERVICE = "bronze-streaming"
TOPIC_NAMES = tuple(t.name for t in TOPICS)
KEY_FIELD = {t.name: t.key_field for t in TOPICS}


def union_sql(topics: Sequence[str]) -> str:
    """One query over the Bronze tables of ``topics``: the event ids of one correlation id (``?`` per table)."""
    tables = [t.table for t in TOPICS if t.name in topics]
    return " UNION ALL ".join(
        f"SELECT json_extract_string(_raw_value, '$.event_id') AS id FROM bronze.{table} WHERE correlation_id = ?"
        for table in tables
    )


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


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: Sequence[float], digits: int = 2) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), digits),
        "p95": round(percentile(values, 0.95), digits),
        "p99": round(percentile(values, 0.99), digits),
        "max": round(max(values), digits),
        "mean": round(statistics.mean(values), digits),
    }


class Reader(threading.Thread):
    """Polls the Bronze tables of ``topics`` (default all 8) for one correlation id, as a test's wait
    polls its table; records when each event id was first seen and how often one was seen more than
    once (a duplicate row)."""

    def __init__(
        self, engine: DeltaQueryEngine, cid: str, interval: float, topics: Sequence[str] = TOPIC_NAMES
    ) -> None:
        super().__init__(daemon=True)
        self.engine, self.cid, self.interval = engine, cid, interval
        self.sql, self.tables = union_sql(topics), len(topics)
        self.seen: dict[str, float] = {}
        self.duplicates: dict[str, int] = {}
        self.query_s: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def poll_once(self) -> None:
        started = time.time()
        try:
            rows = self.engine.query(self.sql, [self.cid] * self.tables)
        except Exception as error:  # a transient read error is counted and reported, not hidden
            self.errors.append(f"{type(error).__name__}: {error}"[:300])
            return
        now = time.time()
        self.query_s.append(now - started)
        counts = Counter(r["id"] for r in rows)
        for event_id, n in counts.items():
            self.seen.setdefault(event_id, now)
            if n > 1:
                self.duplicates[event_id] = n

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.time()
            self.poll_once()
            self.stop.wait(max(0.0, self.interval - (time.time() - started)))

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ids <= self.seen.keys():
                return True
            time.sleep(0.05)
        return ids <= self.seen.keys()


class Publisher:
    """Publishes events to the target's physical topics, recording broker ack times per event id."""

    def __init__(self, target: PlatformContract) -> None:
        self.target = target
        self.producer = Producer(
            {"bootstrap.servers": target.kafka_bootstrap, "linger.ms": 5, "enable.idempotence": True}
        )
        self.acked: dict[str, float] = {}
        self.first_publish: float | None = None

    def publish(self, topic: str, event: dict[str, Any], cid: str) -> None:
        event_id = event["event_id"]

        def report(err: Any, _msg: Any) -> None:
            if err is None:
                self.acked[event_id] = time.time()

        if self.first_publish is None:
            self.first_publish = time.time()
        payload = json.dumps(event).encode()
        key = str(event[KEY_FIELD[topic]]).encode()
        while True:
            try:
                self.producer.produce(
                    self.target.topic_name(topic), payload, key=key, on_delivery=report,
                    headers={"correlation_id": cid},
                )  # fmt: skip
                break
            except BufferError:
                self.producer.poll(0.05)
        self.producer.poll(0)

    def flush(self, timeout: float) -> None:
        self.producer.flush(timeout)


def events_round_robin(cid: str, total: int, topics: Sequence[str] = TOPIC_NAMES) -> list[tuple[str, dict[str, Any]]]:
    factory = EventFactory(cid)
    return [(topics[i % len(topics)], factory.event_for(topics[i % len(topics)])) for i in range(total)]


def by_topic(events: list[tuple[str, dict[str, Any]]], latencies: dict[str, float]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {t: [] for t, _ in events}
    for topic, event in events:
        if event["event_id"] in latencies:
            out[topic].append(latencies[event["event_id"]])
    return out


def job_batch_id(target: PlatformContract) -> int:
    return int(requests.get(target.streaming_metrics_url + "/metrics.json", timeout=10).json()["last_batch_id"])


def batch_report(target: PlatformContract, first: int, last: int) -> dict[str, Any]:
    """Per-batch timings of batches ``first..last`` from the job's ``/batches.json``."""
    try:
        report = requests.get(target.streaming_metrics_url + "/batches.json", timeout=10).json()
    except (requests.RequestException, ValueError) as error:
        return {"error": f"no /batches.json: {error}"}
    batches = [b for b in report.get("batches", []) if first < b["batch_id"] <= last and "duration_s" in b]
    if not batches:
        return {"batches": 0}
    add = [b["spark_ms"]["addBatch"] / 1000 for b in batches if "addBatch" in b.get("spark_ms", {})]
    trig = [b["spark_ms"]["triggerExecution"] / 1000 for b in batches if "triggerExecution" in b.get("spark_ms", {})]
    rest = [
        (b["spark_ms"]["triggerExecution"] - b["spark_ms"].get("addBatch", 0)) / 1000
        for b in batches
        if "triggerExecution" in b.get("spark_ms", {})
    ]
    with_cp = [b["duration_s"] for b in batches if b.get("checkpoints")]
    without_cp = [b["duration_s"] for b in batches if not b.get("checkpoints")]
    commits = [c["s"] for b in batches for c in b.get("commits", {}).values()]
    maintenance = [m for m in report.get("maintenance", []) if m.get("at", 0) >= time.time() - 7200]
    by_kind: dict[str, list[float]] = {}
    for m in maintenance:
        by_kind.setdefault(m["what"], []).append(m["seconds"])
    return {
        "batches": len(batches),
        "records_per_batch": summary([b.get("records", 0) for b in batches], 0),
        "writer_s": summary([b["duration_s"] for b in batches]),
        "read_route_s": summary([b.get("read_route_s", 0) for b in batches]),
        "table_commit_s": summary(commits),
        "spark_add_batch_s": summary(add),
        "spark_trigger_s": summary(trig),
        "spark_rest_of_trigger_s": summary(rest),
        "checkpoint_batches": len(with_cp),
        "writer_s_checkpoint_batches": summary(with_cp),
        "writer_s_other_batches": summary(without_cp),
        "maintenance": {k: summary(v) for k, v in by_kind.items()},
    }


def measure_latency(
    engine: DeltaQueryEngine,
    target: PlatformContract,
    rate: float,
    seconds: float,
    poll: float,
    window_s: float,
    topics: Sequence[str] = TOPIC_NAMES,
) -> dict[str, Any]:
    cid = f"bench-lat-{uuid.uuid4().hex[:10]}"
    total = int(rate * seconds)
    events = events_round_robin(cid, total, topics)
    publisher = Publisher(target)
    reader = Reader(engine, cid, poll, topics)
    first_batch = job_batch_id(target)
    reader.start()
    start = time.time()
    for i, (topic, event) in enumerate(events):
        publisher.publish(topic, event, cid)
        time.sleep(max(0.0, start + (i + 1) / rate - time.time()))
    publisher.flush(30)
    reader.wait_for({e["event_id"] for _, e in events}, 120)
    reader.stop.set()
    reader.join()
    last_batch = job_batch_id(target)
    acked = publisher.acked
    latencies = {e: reader.seen[e] - acked[e] for e in acked if e in reader.seen}
    windows = []
    if window_s and window_s < seconds:
        for w in range(int(seconds // window_s + (seconds % window_s > 0))):
            lo, hi = start + w * window_s, start + (w + 1) * window_s
            inside = [lat for e, lat in latencies.items() if lo <= acked[e] < hi]
            windows.append({"window": w, "from_s": round(w * window_s), **summary(inside)})
    result = {
        "events": total,
        "acked": len(acked),
        "visible": len(latencies),
        "duplicated_ids": len(reader.duplicates),
        "rate_per_s": rate,
        "topics": list(topics),
        "poll_interval_s": poll,
        "latency_s": summary(list(latencies.values())),
        "p95_by_topic_s": {
            t: round(percentile(values, 0.95), 2) for t, values in by_topic(events, latencies).items() if values
        },
        "reader_query_s": summary(reader.query_s, 3),
        "reader_errors": len(reader.errors),
        "batches": batch_report(target, first_batch, last_batch),
    }
    if windows:
        result["windows"] = windows
    if reader.errors:
        result["reader_error_sample"] = reader.errors[:3]
    return result


def measure_burst(
    engine: DeltaQueryEngine,
    target: PlatformContract,
    burst: int,
    poll: float,
    topics: Sequence[str] = TOPIC_NAMES,
) -> dict[str, Any]:
    cid = f"bench-burst-{uuid.uuid4().hex[:10]}"
    events = events_round_robin(cid, burst, topics)
    ids = {e["event_id"] for _, e in events}
    publisher = Publisher(target)
    reader = Reader(engine, cid, poll, topics)
    first_batch = job_batch_id(target)
    reader.start()
    for topic, event in events:
        publisher.publish(topic, event, cid)
    publisher.flush(60)
    published = time.time()
    reader.wait_for(ids, 600)
    reader.stop.set()
    reader.join()
    last_batch = job_batch_id(target)
    start = publisher.first_publish or published
    visible = [reader.seen[e] for e in ids if e in reader.seen]
    done = max(visible) if visible else time.time()
    return {
        "events": burst,
        "acked": len(publisher.acked),
        "visible": len(visible),
        "duplicated_ids": len(reader.duplicates),
        "publish_s": round(published - start, 2),
        "all_visible_after_s": round(done - start, 2),
        "events_per_s": round(len(visible) / (done - start), 1) if visible else 0.0,
        "poll_interval_s": poll,
        "batches": batch_report(target, first_batch, last_batch),
    }


def measure_start(engine: DeltaQueryEngine, target: PlatformContract, cli: LifecycleCli) -> dict[str, Any]:
    cid = f"bench-start-{uuid.uuid4().hex[:10]}"
    t0 = time.time()
    cli.restart(SERVICE, 300)  # includes the CLI's own start-up (~1 s of Python imports)
    healthy = time.time()
    publisher = Publisher(target)
    event = EventFactory(cid).event_for("gps-pings")
    publisher.publish("gps-pings", event, cid)
    publisher.flush(15)
    reader = Reader(engine, cid, 0.25)
    while event["event_id"] not in reader.seen and time.time() < healthy + 300:
        reader.poll_once()
        time.sleep(0.25)
    visible = time.time()
    own: dict[str, Any] = {}
    while own.get("start_to_first_batch_s") is None and time.time() < visible + 30:
        own = requests.get(target.streaming_metrics_url + "/metrics.json", timeout=5).json()
        time.sleep(0.2)
    return {
        "restart_to_healthy_s": round(healthy - t0, 1),
        "restart_to_first_event_visible_s": round(visible - t0, 1),
        "process_start_to_first_batch_s": own.get("start_to_first_batch_s"),
    }


def table_objects(target: PlatformContract) -> dict[str, Any]:
    """Per Bronze table: ``_delta_log`` objects (commits, checkpoints, other), live data files, version."""
    s3 = boto3.client("s3", **boto3_client_kwargs(target))
    bucket = target.bucket("bronze")
    out: dict[str, Any] = {}
    for table in bronze_tables():
        kinds: Counter[str] = Counter()
        data_objects = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{table}/"):
            for obj in page.get("Contents", []):
                key = obj["Key"][len(table) + 1 :]
                if key.startswith("_delta_log/"):
                    name = key.rsplit("/", 1)[-1]
                    kinds["checkpoint" if ".checkpoint" in name else name.rsplit(".", 1)[-1]] += 1
                elif key.endswith(".parquet"):
                    data_objects += 1
        try:
            dt = DeltaTable(target.table_uri(table), storage_options=delta_storage_options(target))
            live, version = len(dt.file_uris()), dt.version()
        except Exception as error:
            live, version = -1, f"{type(error).__name__}"
        out[table] = {"delta_log_objects": sum(kinds.values()), "delta_log": dict(kinds),
                      "data_objects": data_objects, "live_files": live, "version": version}  # fmt: skip
    return out


def save(label: str, result: dict[str, Any]) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "streaming.json"
    try:
        existing = json.loads(path.read_text())
    except (OSError, ValueError):
        existing = {}
    runs = existing.get("runs", {}) if isinstance(existing.get("runs"), dict) else {}
    runs[label] = result
    path.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    return str(path)


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second in total for the latency run")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the latency run")
    parser.add_argument("--burst", type=int, default=10000, help="events in the burst (0: no burst)")
    parser.add_argument("--soak-minutes", type=float, default=0.0, help="run the latency mode this long instead")
    parser.add_argument("--window-minutes", type=float, default=5.0, help="soak percentiles per window")
    parser.add_argument("--poll", type=float, default=0.25, help="reader poll interval (s)")
    parser.add_argument("--label", default="latest", help="key of this run in results/benchmarks/streaming.json")
    parser.add_argument("--no-restart", action="store_true", help="skip the start-to-first-event measurement")
    parser.add_argument(
        "--topics", default=",".join(TOPIC_NAMES),
        help="comma-separated topics to publish to and Bronze tables to read (default: all 8); one topic is one "
        "test's wait on one table",
    )  # fmt: skip
    args = parser.parse_args()
    topics = list(dict.fromkeys(t.strip() for t in args.topics.split(",") if t.strip()))
    unknown = sorted(set(topics) - set(TOPIC_NAMES))
    if unknown or not topics:
        wrong = f"unknown {', '.join(unknown)}" if unknown else "no topic given"
        parser.error(f"--topics: {wrong}; known: {', '.join(TOPIC_NAMES)}")
    target = load_contract()
    if not target.streaming_metrics_url:
        print(f"Target '{target.name}' has no streaming_metrics_url", file=sys.stderr)
        return 2
    cli = LifecycleCli.of(target)
    status = cli.service_status(SERVICE)
    if not status.running:
        print(f"{SERVICE} is not running; start it with ./lh up --profile data-platform", file=sys.stderr)
        return 2
    sampler = RssSampler(cli)
    sampler.start()
    result: dict[str, Any] = {
        "service": SERVICE,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load_average(),
    }
    soak = args.soak_minutes > 0
    with DeltaQueryEngine(target) as engine:
        if not args.no_restart and not soak:
            result["start"] = measure_start(engine, target, cli)
            print("start:", json.dumps(result["start"]), flush=True)
        seconds = args.soak_minutes * 60 if soak else args.seconds
        key = "soak" if soak else "latency"
        result[key] = measure_latency(engine, target, args.rate, seconds, args.poll, args.window_minutes * 60, topics)
        lat = result[key]
        print(f"{key}: {lat['visible']}/{lat['events']} visible, dup {lat['duplicated_ids']}, "
              f"latency {json.dumps(lat['latency_s'])}", flush=True)  # fmt: skip
        for w in lat.get("windows", []):
            print(f"  window {w['window']} (from {w['from_s']} s): {json.dumps(w)}", flush=True)
        print("  batches:", json.dumps(lat["batches"]), flush=True)
        if args.burst and not soak:
            result["burst"] = measure_burst(engine, target, args.burst, args.poll, topics)
            b = result["burst"]
            print(f"burst: {b['visible']}/{b['events']} visible after {b['all_visible_after_s']} s = "
                  f"{b['events_per_s']} events/s (publish {b['publish_s']} s), dup {b['duplicated_ids']}",
                  flush=True)  # fmt: skip
            print("  batches:", json.dumps(b["batches"]), flush=True)
    result["tables"] = table_objects(target)
    total_log = sum(t["delta_log_objects"] for t in result["tables"].values())
    total_live = sum(max(0, t["live_files"]) for t in result["tables"].values())
    print(f"tables: {total_log} _delta_log objects, {total_live} live files in {len(result['tables'])} tables "
          f"(dlq: {json.dumps(result['tables'].get(DLQ_TABLE))})", flush=True)  # fmt: skip
    sampler.stop.set()
    sampler.join()
    result["rss"] = {
        "peak_mb": round(sampler.peak_mb),
        "median_mb": round(statistics.median(sampler.samples)) if sampler.samples else None,
        "budget_mb": status.memory_budget_mb,
    }
    result["load_average_at_end"] = load_average()
    lat = result["soak" if soak else "latency"]["latency_s"]
    goals = {
        "p95_le_2s": lat.get("p95", 1e9) <= 2.0,
        "p99_le_3s": lat.get("p99", 1e9) <= 3.0,
        "rss_within_budget": result["rss"]["peak_mb"] <= (status.memory_budget_mb or 1e9),
    }
    if "burst" in result:
        goals["burst_ge_5000_per_s"] = result["burst"]["events_per_s"] >= 5000
    result["goals_met"] = goals
    print("rss:", result["rss"], "load:", result["load_average_at_start"], "->", result["load_average_at_end"],
          "goals:", goals, flush=True)  # fmt: skip
    print(f"wrote {save(args.label, result)} ({args.label})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
