"""The streaming driver's HTTP endpoint: ``/health``, ``/metrics`` (Prometheus) and ``/metrics.json``.

Counters are per process (they restart at 0 with the service); Prometheus'
``rate()``/``increase()`` handle that. Lag per topic is the latest Kafka offset
minus the processed end offset, both from the query's last progress report.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from contract.layout import ERROR_TYPES
from contract.topics import TOPICS

# /health turns 503 when no progress report arrived for this long (the query
# reports at least every second while idle, see app.py).
MAX_PROGRESS_AGE_S = 60.0
# How many batches /batches.json keeps (a 30-minute soak at one batch per 0.3 s is ~6000).
BATCH_LOG_SIZE = 10000


def _offsets(value: Any) -> dict[str, dict[str, int]]:
    """Kafka source offsets from a progress report: JSON text or dict, ``{topic: {partition: offset}}``."""
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    if not isinstance(value, dict):
        return {}
    return {t: {str(p): int(o) for p, o in parts.items()} for t, parts in value.items() if isinstance(parts, dict)}


def lag_per_topic(end: dict[str, dict[str, int]], latest: dict[str, dict[str, int]]) -> dict[str, int]:
    """Sum over partitions of ``latest - end`` (never negative)."""
    lag: dict[str, int] = {}
    for topic, parts in latest.items():
        done = end.get(topic, {})
        lag[topic] = sum(max(0, off - done.get(p, 0)) for p, off in parts.items())
    return lag


@dataclass
class Metrics:
    """Mutable driver state, written by the batch thread and the main loop, read by HTTP threads."""

    app_id: str
    started_at: float = field(default_factory=time.time)
    batches: int = 0
    last_batch_id: int = -1
    # Highest batch id in the checkpoint's offset log: planned (maybe not yet written).
    planned_batch_id: int = -1
    last_batch_duration_s: float = 0.0
    last_batch_finished_at: float = 0.0
    first_batch_finished_at: float = 0.0
    # Every counter series exists from the start at 0 (Prometheus' advice): a test that reads a counter
    # before its first increment gets 0 from this process, not nothing (or a stale value of the last one).
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int, {t.table: 0 for t in TOPICS}))
    dlq_rows: dict[str, int] = field(default_factory=lambda: defaultdict(int, dict.fromkeys(ERROR_TYPES, 0)))
    # table → (batch id, Delta version) of the last commit this process made
    last_commit: dict[str, tuple[int, int]] = field(default_factory=dict)
    query_active: bool = False
    last_progress_at: float = 0.0
    end_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    latest_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    last_error: str = ""
    # Recent commits for lineage: {table, batch_id, delta_version, offsets: {topic: {partition: [min, max]}}}
    commits: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=2000))
    # The batch being written: {batch_id, started_at, tables, committed}; None between batches.
    current_batch: dict[str, Any] | None = None
    # Per-batch timings for benchmarks (``/batches.json``): the writer's own figures (rows, seconds,
    # per-table commit seconds, checkpoints) merged with Spark's progress report of the same batch
    # (``durationMs``: addBatch, latestOffset, queryPlanning, walCommit, commitOffsets, triggerExecution).
    batch_log: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Background maintenance done by the job itself (checkpoints, log cleanup, compaction).
    maintenance: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=2000))
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin_batch(self, batch_id: int, tables: list[str], correlation_ids: list[str]) -> None:
        with self.lock:
            self.current_batch = {
                "batch_id": batch_id,
                "started_at": time.time(),
                "tables": sorted(tables),
                "committed": [],
                "correlation_ids": correlation_ids[:200],
            }

    def table_committed(
        self, batch_id: int, table: str, version: int, offsets: dict[str, dict[str, list[int]]] | None = None
    ) -> None:
        """One table of the batch is committed: visible to readers from now on, so record its lineage now."""
        with self.lock:
            if self.current_batch and self.current_batch["batch_id"] == batch_id:
                self.current_batch["committed"].append(table)
            self.last_commit[table] = (batch_id, version)
            self.commits.append(
                {"table": table, "batch_id": batch_id, "delta_version": version, "offsets": offsets or {}}
            )

    def record_batch(
        self,
        batch_id: int,
        duration_s: float,
        rows: dict[str, int],
        dlq: dict[str, int],
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.lock:
            if detail is not None:
                self._batch_entry(batch_id).update(detail, duration_s=round(duration_s, 3))
            self.current_batch = None
            self.batches += 1
            self.last_batch_id = batch_id
            self.last_batch_duration_s = duration_s
            self.last_batch_finished_at = time.time()
            if not self.first_batch_finished_at:
                self.first_batch_finished_at = self.last_batch_finished_at
            for table, n in rows.items():
                self.rows[table] += n
            for kind, n in dlq.items():
                self.dlq_rows[kind] += n

    def _batch_entry(self, batch_id: int) -> dict[str, Any]:
        entry = self.batch_log.get(batch_id)
        if entry is None:
            entry = self.batch_log[batch_id] = {"batch_id": batch_id}
            while len(self.batch_log) > BATCH_LOG_SIZE:
                del self.batch_log[min(self.batch_log)]
        return entry

    def record_batch_progress(self, progress: dict[str, Any]) -> None:
        """Spark's progress report of one batch (from a query listener, so none is missed)."""
        batch_id = progress.get("batchId")
        if batch_id is None or not progress.get("numInputRows"):
            return
        with self.lock:
            entry = self._batch_entry(int(batch_id))
            entry["input_rows"] = progress.get("numInputRows")
            entry["spark_ms"] = dict(progress.get("durationMs") or {})
            entry["timestamp"] = progress.get("timestamp")

    def record_maintenance(self, what: str, table: str, seconds: float, **extra: Any) -> None:
        with self.lock:
            self.maintenance.append(
                {"what": what, "table": table, "seconds": round(seconds, 3), "at": time.time(), **extra}
            )

    def batches_report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "batches": [dict(self.batch_log[b]) for b in sorted(self.batch_log)],
                "maintenance": list(self.maintenance),
            }

    def record_progress(self, progress: dict[str, Any] | None, active: bool) -> None:
        with self.lock:
            self.query_active = active
            if not progress:
                return
            self.last_progress_at = time.time()
            for source in progress.get("sources", []):
                self.end_offsets = _offsets(source.get("endOffset"))
                self.latest_offsets = _offsets(source.get("latestOffset")) or self.end_offsets

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            now = time.time()
            return {
                "app_id": self.app_id,
                "query_active": self.query_active,
                "uptime_s": round(now - self.started_at, 3),
                "start_to_first_batch_s": (
                    round(self.first_batch_finished_at - self.started_at, 3) if self.first_batch_finished_at else None
                ),
                "last_progress_age_s": round(now - self.last_progress_at, 3) if self.last_progress_at else None,
                "batches": self.batches,
                "last_batch_id": self.last_batch_id,
                "planned_batch_id": self.planned_batch_id,
                "last_batch_duration_s": round(self.last_batch_duration_s, 3),
                "last_batch_finished_at": self.last_batch_finished_at or None,
                "rows": dict(self.rows),
                "dlq_rows": dict(self.dlq_rows),
                "dlq_rows_total": sum(self.dlq_rows.values()),
                "last_commit": {t: {"batch_id": b, "delta_version": v} for t, (b, v) in self.last_commit.items()},
                "processed_offsets": self.end_offsets,
                "latest_offsets": self.latest_offsets,
                "lag": lag_per_topic(self.end_offsets, self.latest_offsets),
                "last_error": self.last_error,
                "current_batch": json.loads(json.dumps(self.current_batch)) if self.current_batch else None,
            }

    def healthy(self) -> tuple[bool, dict[str, Any]]:
        snap = self.snapshot()
        age = snap["last_progress_age_s"]
        ok = bool(snap["query_active"]) and age is not None and age < MAX_PROGRESS_AGE_S
        return ok, {
            "status": "ok" if ok else "unhealthy",
            "query_active": snap["query_active"],
            "last_progress_age_s": age,
            "last_batch_id": snap["last_batch_id"],
            "last_error": snap["last_error"],
        }


def prometheus_text(snap: dict[str, Any]) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP lakehouse_bronze_{name} {help_text}")
        lines.append(f"# TYPE lakehouse_bronze_{name} {kind}")
        lines.extend(f"lakehouse_bronze_{name}{labels} {value}" for labels, value in samples)

    metric("query_active", "gauge", "1 while the streaming query runs.", [("", int(snap["query_active"]))])
    metric("batches_total", "counter", "Micro-batches written by this process.", [("", snap["batches"])])
    metric("last_batch_id", "gauge", "Id of the last completed micro-batch.", [("", snap["last_batch_id"])])
    metric(
        "last_batch_duration_seconds",
        "gauge",
        "Wall time of the last micro-batch.",
        [("", snap["last_batch_duration_s"])],
    )
    metric(
        "rows_total",
        "counter",
        "Rows appended to Bronze tables.",
        [(f'{{table="{t}"}}', n) for t, n in sorted(snap["rows"].items())],
    )
    metric(
        "dlq_rows_total",
        "counter",
        "Rows appended to the DLQ table.",
        [(f'{{error_type="{k}"}}', n) for k, n in sorted(snap["dlq_rows"].items())],
    )
    metric(
        "lag_records",
        "gauge",
        "Latest Kafka offset minus processed offset, summed over partitions.",
        [(f'{{topic="{t}"}}', n) for t, n in sorted(snap["lag"].items())],
    )
    age = snap["last_progress_age_s"]
    metric(
        "last_progress_age_seconds",
        "gauge",
        "Seconds since the last progress report.",
        [("", age if age is not None else -1)],
    )
    return "\n".join(lines) + "\n"


def serve(metrics: Metrics, host: str, port: int) -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/health":
                ok, body = metrics.healthy()
                self._send(200 if ok else 503, json.dumps(body), "application/json")
            elif path == "/metrics.json":
                self._send(200, json.dumps(metrics.snapshot()), "application/json")
            elif path == "/batches.json":
                self._send(200, json.dumps(metrics.batches_report()), "application/json")
            elif path == "/commits.json":
                with metrics.lock:
                    body = json.dumps(list(metrics.commits))
                self._send(200, body, "application/json")
            elif path == "/metrics":
                self._send(200, prometheus_text(metrics.snapshot()), "text/plain; version=0.0.4")
            else:
                self._send(404, json.dumps({"error": f"unknown path {path}"}), "application/json")

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server
