"""Bronze ingestion: every domain topic → its Bronze Delta table on S3, invalid records → the DLQ.

One Kafka ``readStream`` subscribes to all topics (their physical names: the
platform's ``topic_prefix`` + the logical name); ``foreachBatch`` maps each record
back to its logical topic, routes it (:func:`lakehouse.streaming.routing.route`) and
appends one Delta commit per non-empty table under the contract's Bronze bucket.
``_kafka_topic`` keeps the physical name, as seen on Kafka.

Exactly-once per table comes from the Delta writer options ``txnAppId``/``txnVersion``:
a replayed batch (after a crash or restart) finds its ``txnVersion`` already committed
for that table and is skipped there.

``txnAppId`` includes a generation id stored *inside* the checkpoint directory.
Deleting the checkpoint therefore also changes the app id, so the restarted
query (batch ids from 0 again) cannot have its writes skipped silently. It then
resumes after the highest offsets already in Bronze and the DLQ, so no record is
written twice either, or later where a table reset seeded the fresh checkpoint with
``starting-offsets.json`` (see :mod:`lakehouse.runner.reset`).

Run with the Spark venv's python: ``python -m lakehouse.streaming``.
Names, endpoints and the checkpoint come from :class:`lakehouse.settings.Settings`
(``LH_STATE_DIR``, ``LH_PORT_*``, ``LH_TOPIC_PREFIX``, ``LH_BUCKET_BRONZE``); tuning from the
service catalogue: ``LH_STREAMING_TRIGGER``, ``LH_STREAMING_MAX_BYTES``,
``LH_STREAMING_DRIVER_MEMORY``, ``LH_STREAMING_MAX_OFFSETS_PER_TRIGGER``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQueryListener

from contract.layout import DLQ_TABLE, PARTITION_COLUMN, arrow_schema, bronze_tables
from contract.platform import PlatformContract
from contract.storage import spark_s3a_conf
from lakehouse.provision.data_platform import spark_jars
from lakehouse.runner.reset import merge_start, read_starting_offsets
from lakehouse.settings import Settings
from lakehouse.streaming import routing
from lakehouse.streaming.delta_writer import BronzeTables, Maintenance, MaintenancePolicy
from lakehouse.streaming.delta_writer import resume_offsets as bronze_resume_offsets
from lakehouse.streaming.metrics import Metrics, serve
from lakehouse.streaming.routing import DEFAULT_MAX_BYTES, logical_topics, route, starting_offsets

GENERATION_FILE = "lakehouse-generation"
# Fault injection for recovery tests (see BronzeWriter.take_hold): lives in the checkpoint directory.
HOLD_FILE = "hold-mid-batch"
WRITE_THREADS = 4
CORRELATION_HEADER = "correlation_id"


@dataclass(frozen=True)
class StreamingConfig:
    checkpoint: Path
    trigger: str
    max_bytes: int
    driver_memory: str
    max_offsets_per_trigger: int
    writer: str = "delta-rs"
    write_threads: int = WRITE_THREADS
    fast_validation: bool = True

    @classmethod
    def from_env(cls, settings: Settings) -> StreamingConfig:
        env = os.environ
        return cls(
            checkpoint=settings.streaming_checkpoint_dir,
            trigger=env.get("LH_STREAMING_TRIGGER", "1 second"),
            max_bytes=int(env.get("LH_STREAMING_MAX_BYTES", DEFAULT_MAX_BYTES)),
            driver_memory=env.get("LH_STREAMING_DRIVER_MEMORY", "768m"),
            max_offsets_per_trigger=int(env.get("LH_STREAMING_MAX_OFFSETS_PER_TRIGGER", "5000")),
            writer=env.get("LH_STREAMING_WRITER", "delta-rs"),
            write_threads=int(env.get("LH_STREAMING_WRITE_THREADS", WRITE_THREADS)),
            fast_validation=env.get("LH_STREAMING_FAST_VALIDATION", "1") != "0",
        )


def log(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} [bronze-streaming] {message}", flush=True)


def checkpoint_generation(checkpoint: Path) -> tuple[str, bool]:
    """The generation id kept in the checkpoint dir, and whether the checkpoint is fresh."""
    checkpoint.mkdir(parents=True, exist_ok=True)
    fresh = not (checkpoint / "offsets").exists()
    path = checkpoint / GENERATION_FILE
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(uuid.uuid4().hex[:12] + "\n")
        tmp.replace(path)
    return path.read_text().strip(), fresh


def last_batch_in(checkpoint: Path, log: str) -> int:
    """Highest batch id in the checkpoint's ``commits`` (done) or ``offsets`` (planned) log, -1 if none."""
    try:
        names = os.listdir(checkpoint / log)
    except OSError:
        return -1
    return max((int(n) for n in names if n.isdigit()), default=-1)


def build_spark(settings: Settings, contract: PlatformContract, cfg: StreamingConfig) -> SparkSession:
    jars = spark_jars(settings)
    # Spark otherwise resolves the hostname and binds its block manager to a public address.
    os.environ["SPARK_LOCAL_IP"] = settings.host
    if not jars:
        raise SystemExit("No Spark jars provisioned; run the data-platform provisioning first")
    work = settings.data_dir / "streaming"
    # Endpoint and credentials from the contract's one builder; S3A tuning of this job on top.
    s3a = {
        **spark_s3a_conf(contract),
        **{
            f"spark.hadoop.fs.s3a.{key}": value
            for key, value in {
                "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "attempts.maximum": "3",
                "connection.establish.timeout": "15s",
                "connection.timeout": "30s",
                # Skip the HEAD/LIST probes before every file create (Delta never overwrites data files).
                "create.performance": "true",
            }.items()
        },
    }
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("lakehouse-bronze")
        .config("spark.jars", ",".join(str(j) for j in jars))
        .config("spark.driver.memory", cfg.driver_memory)
        # Bounded off-heap so the whole service (JVM + python) stays inside its cgroup budget.
        .config(
            "spark.driver.extraJavaOptions",
            "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=384m -XX:ReservedCodeCacheSize=64m "
            "-XX:MaxDirectMemorySize=128m -Xss512k",
        )
        .config("spark.driver.host", settings.host)
        .config("spark.driver.bindAddress", settings.host)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # Batches are small: planning and code generation dominate, not row throughput.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(work / "tmp"))
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        # The .crc checksum file costs an extra state computation per commit; Bronze does not need it.
        .config("spark.databricks.delta.writeChecksumFile.enabled", "false")
        .config("spark.sql.streaming.minBatchesToRetain", "20")
        # Idle progress every second keeps /health and the lag gauge fresh.
        .config("spark.sql.streaming.noDataProgressEventInterval", "1000ms")
    )
    for key, value in s3a.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def resume_offsets(spark: SparkSession, contract: PlatformContract) -> dict[str, dict[str, int]]:
    """Next offset per (physical) topic-partition after what Bronze and the DLQ already hold."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for table in bronze_tables():
        try:
            rows = (
                spark.read.format("delta").load(contract.table_uri(table, scheme="s3a"))
                .groupBy("_kafka_topic", "_kafka_partition").max("_kafka_offset").collect()
            )
        except Exception as error:
            if "is not a Delta table" in str(error) or "PATH_NOT_FOUND" in str(error):
                continue
            raise
        for topic, partition, offset in rows:
            key = str(partition)
            found[topic][key] = max(found[topic].get(key, -1), int(offset) + 1)
    return dict(found)


class BronzeWriter:
    """The ``foreachBatch`` function: route, then one idempotent Delta append per non-empty table."""

    def __init__(self, app_id: str, contract: PlatformContract, cfg: StreamingConfig, metrics: Metrics) -> None:
        self.app_id = app_id
        self.contract = contract
        self.cfg = cfg
        self.metrics = metrics
        self.logical = logical_topics(contract)
        self.schemas = {table: arrow_schema(table) for table in bronze_tables()}
        self.tables = BronzeTables(contract, app_id) if cfg.writer == "delta-rs" else None
        self.pool = ThreadPoolExecutor(max_workers=cfg.write_threads, thread_name_prefix="delta-append")

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        records = batch.select("topic", "partition", "offset", "timestamp", "value", "headers").toArrow()
        if records.num_rows == 0:
            self.metrics.record_batch(batch_id, time.monotonic() - started, {}, {})
            return
        now = datetime.now(UTC)
        tables = self.route_batch(records, now)
        t_routed = time.monotonic()
        spark = batch.sparkSession
        cids = {c for d in tables.values() for c in d.column("correlation_id").to_pylist() if c}
        self.metrics.begin_batch(batch_id, list(tables), sorted(cids))
        # Tables are independent Delta logs: commit them concurrently, since each
        # commit mostly waits on S3 round trips. Any failure fails the batch, and
        # the replay skips the tables that already hold this txnVersion.
        hold, held_cid = self.take_hold(cids, tables)
        if hold:
            commits = self.append_held(spark, tables, batch_id, hold, held_cid)
        else:
            futures = {t: self.pool.submit(self.append, spark, t, d, batch_id) for t, d in tables.items()}
            commits = {t: future.result() for t, future in futures.items()}
        rows = {t: d.num_rows for t, d in tables.items() if t != DLQ_TABLE}
        dlq = dict(Counter(tables[DLQ_TABLE].column("error_type").to_pylist())) if DLQ_TABLE in tables else {}
        duration = time.monotonic() - started
        detail = {
            "records": records.num_rows,
            "read_route_s": round(t_routed - started, 3),
            "commits": commits,
            "checkpoints": sorted(t for t, c in commits.items() if c.get("checkpoint")),
        }
        self.metrics.record_batch(batch_id, duration, rows, dlq, detail)
        log(
            f"batch {batch_id}: {records.num_rows} records in {duration:.2f} s "
            f"(read+route {t_routed - started:.2f} s); "
            f"bronze {rows}; dlq {dlq}"
        )

    def take_hold(self, cids: set[str], tables: dict[str, pa.Table]) -> tuple[float, str]:
        """Fault injection for recovery tests: seconds to hold this batch half written (0: none), and for whom.

        A test environment that can write the checkpoint directory puts ``hold-mid-batch`` there
        (``{"correlation_id": ..., "seconds": ...}``). The next batch holding that correlation id in
        two or more tables commits its first table, then waits (up to ``seconds``, at most 120) before
        the others, so a hard kill lands between table commits. The file is consumed at once: the
        replayed batch after the kill is not held.
        """
        path = self.cfg.checkpoint / HOLD_FILE
        if len(tables) < 2 or not path.exists():
            return 0.0, ""
        try:
            spec = json.loads(path.read_text())
        except (OSError, ValueError):
            return 0.0, ""
        cid = str(spec.get("correlation_id"))
        if cid not in cids:
            return 0.0, ""
        path.unlink(missing_ok=True)
        return min(float(spec.get("seconds", 30)), 120.0), cid

    def append_held(
        self, spark: SparkSession, tables: dict[str, pa.Table], batch_id: int, hold: float, cid: str
    ) -> dict[str, dict[str, Any]]:
        # A table holding the test's rows first, so the held batch is half written for its tables.
        names = sorted(tables, key=lambda t: (cid not in tables[t].column("correlation_id").to_pylist(), t))
        commits = {names[0]: self.append(spark, names[0], tables[names[0]], batch_id)}
        log(f"batch {batch_id}: fault injection, holding the batch for {hold:.0f} s after committing {names[0]}")
        time.sleep(hold)
        for name in names[1:]:
            commits[name] = self.append(spark, name, tables[name], batch_id)
        return commits

    def append(self, spark: SparkSession, table: str, data: pa.Table, batch_id: int) -> dict[str, Any]:
        """Idempotent append of one batch to one table (skipped if the table already holds this batch)."""
        if self.tables is None:
            return self.append_spark(spark, table, data, batch_id)
        started = time.monotonic()
        version, written = self.tables.append(table, data, batch_id)
        self.metrics.table_committed(batch_id, table, version, offset_ranges(data))
        return {"s": round(time.monotonic() - started, 3), "version": version, "written": written}

    def append_spark(self, spark: SparkSession, table: str, data: pa.Table, batch_id: int) -> dict[str, Any]:
        """Spark's Delta writer (``LH_STREAMING_WRITER=spark``, kept for A/B benchmarks): Delta skips the batch
        when the table holds this txnVersion, after rebuilding the table state to find out."""
        path = self.contract.table_uri(table, scheme="s3a")
        started = time.monotonic()
        (
            spark.createDataFrame(data).write.format("delta").mode("append")
            .partitionBy(PARTITION_COLUMN)
            .option("txnAppId", self.app_id)
            .option("txnVersion", batch_id)
            .save(path)
        )
        version = delta_version(spark, path)
        self.metrics.table_committed(batch_id, table, version, offset_ranges(data))
        # Delta's post-commit hook wrote a checkpoint inside save() when the version is a multiple of 10.
        return {"s": round(time.monotonic() - started, 3), "version": version,
                "checkpoint": version > 0 and version % 10 == 0}  # fmt: skip

    def route_batch(self, records: pa.Table, now: datetime) -> dict[str, pa.Table]:
        """Split one batch of Kafka records into Arrow tables, one per target table."""
        topics = records.column("topic").to_pylist()
        values = records.column("value").to_pylist()
        # Unknown physical topics keep their name and go to the DLQ as UNKNOWN_TOPIC.
        routed = [route(self.logical.get(t, t), v, self.cfg.max_bytes) for t, v in zip(topics, values, strict=True)]
        by_table: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(routed):
            by_table[r.table or DLQ_TABLE].append(i)
        today = now.date()
        out: dict[str, pa.Table] = {}
        for table, idx in by_table.items():
            meta = records.take(pa.array(idx, pa.int64()))
            picked = [routed[i] for i in idx]
            n = len(idx)
            cols: dict[str, Any] = {
                "_raw_value": [r.raw_value for r in picked],
                "_kafka_topic": meta.column("topic"),
                "_kafka_partition": meta.column("partition").cast(pa.int32()),
                "_kafka_offset": meta.column("offset").cast(pa.int64()),
                "_kafka_timestamp": meta.column("timestamp").cast(pa.timestamp("us", tz="UTC")),
                "_ingested_at": [now] * n,
                "correlation_id": [r.correlation_id for r in picked],
                PARTITION_COLUMN: [today] * n,
            }
            schema = self.schemas[table]
            if table == DLQ_TABLE:
                headers = meta.column("headers").to_pylist()
                cols["correlation_id"] = [
                    r.correlation_id or header_value(h, CORRELATION_HEADER)
                    for r, h in zip(picked, headers, strict=True)
                ]
                cols["_raw_encoding"] = [r.raw_encoding for r in picked]
                cols["error_type"] = [r.error_type.value if r.error_type else None for r in picked]
                cols["error_message"] = [r.error_message for r in picked]
            out[table] = pa.table({name: cols[name] for name in schema.names}, schema=schema)
        return out


def header_value(headers: list[dict[str, Any]] | None, name: str) -> str | None:
    """A Kafka header as text (first occurrence), or None."""
    for header in headers or []:
        if header.get("key") == name and header.get("value") is not None:
            return bytes(header["value"]).decode("utf-8", "replace") or None
    return None


def offset_ranges(data: pa.Table) -> dict[str, dict[str, list[int]]]:
    """``{topic: {partition: [min offset, max offset]}}`` of one table's part of a batch (for lineage)."""
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for topic, partition, offset in zip(
        data.column("_kafka_topic").to_pylist(),
        data.column("_kafka_partition").to_pylist(),
        data.column("_kafka_offset").to_pylist(),
        strict=True,
    ):
        lo_hi = out[topic].setdefault(str(partition), [offset, offset])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], offset), max(lo_hi[1], offset)
    return dict(out)


def delta_version(spark: SparkSession, path: str) -> int:
    """The table's current version from the driver's cached DeltaLog (no extra Spark job)."""
    try:
        jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
        log_ = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)  # type: ignore[attr-defined]
        return int(log_.unsafeVolatileSnapshot().version())
    except Exception:
        return -1


class ProgressListener(StreamingQueryListener):
    """Every batch's progress report (the main loop samples ``lastProgress`` only once a second)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def onQueryStarted(self, event: Any) -> None:
        pass

    def onQueryProgress(self, event: Any) -> None:
        try:
            self.metrics.record_batch_progress(json.loads(event.progress.json))
        except Exception as error:  # a listener error must not stop the query; it is only timing
            log(f"progress listener: {error}")

    def onQueryIdle(self, event: Any) -> None:
        pass

    def onQueryTerminated(self, event: Any) -> None:
        pass


def _progress_dict(progress: Any) -> dict[str, Any] | None:
    if progress is None:
        return None
    if isinstance(progress, dict):
        return progress
    return json.loads(progress.json)


def main() -> int:
    settings = Settings.load()
    contract = settings.contract()
    cfg = StreamingConfig.from_env(settings)
    generation, fresh = checkpoint_generation(cfg.checkpoint)
    app_id = f"lakehouse-bronze-{generation}"
    metrics = Metrics(app_id=app_id, last_batch_id=last_batch_in(cfg.checkpoint, "commits"))
    server = serve(metrics, settings.host, settings.ports["streaming_metrics"])
    state = "fresh" if fresh else "resumed"
    log(f"metrics on {settings.streaming_metrics_url}; checkpoint {cfg.checkpoint} ({state}); txnAppId {app_id}")
    log(f"topics {', '.join(contract.topic_names)} -> {contract.layer_root('bronze', 's3a')}/<table>")
    if not cfg.fast_validation:
        routing.jsonschema_rs = None  # every record through the reference validator (A/B benchmarks)
    log(f"schema validation: {'jsonschema-rs, then jsonschema for rejects' if routing.jsonschema_rs else 'jsonschema'}")
    spark = build_spark(settings, contract, cfg)
    # A table reset seeds a fresh checkpoint with where each topic starts (lakehouse.runner.reset).
    seeded = read_starting_offsets(cfg.checkpoint) if fresh else {}
    resume: dict[str, dict[str, int]] = {}
    if fresh:
        resume = bronze_resume_offsets(contract) if cfg.writer == "delta-rs" else resume_offsets(spark, contract)
    start_spec = starting_offsets(contract, merge_start(resume, seeded) if fresh else {})
    if fresh:
        log(f"fresh checkpoint{' seeded by a table reset' if seeded else ''}: starting offsets {start_spec}")
    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", ",".join(contract.topic_names))
        .option("startingOffsets", start_spec)
        .option("maxOffsetsPerTrigger", cfg.max_offsets_per_trigger)
        .option("failOnDataLoss", "false")
        # A fetch that reaches the end of the available data must not wait the default 500 ms for more.
        .option("kafka.fetch.max.wait.ms", "20")
        # Producers also put the correlation id in a header: the DLQ's fallback for unparseable payloads.
        .option("includeHeaders", "true")
        .load()
    )
    spark.streams.addListener(ProgressListener(metrics))
    maintenance = None
    if cfg.writer == "delta-rs":
        policy = MaintenancePolicy.from_env()
        log(f"writer delta-rs, {cfg.write_threads} thread(s); maintenance in the background: {policy}")
        maintenance = Maintenance(contract, policy, metrics.record_maintenance, log)
        maintenance.start()
    else:
        log(f"writer Spark Delta, {cfg.write_threads} thread(s)")
    query = (
        stream.writeStream.queryName("bronze")
        .foreachBatch(BronzeWriter(app_id, contract, cfg, metrics))
        .option("checkpointLocation", str(cfg.checkpoint))
        .trigger(processingTime=cfg.trigger)
        .start()
    )
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    exit_code = 0
    try:
        while not stopping:
            if query.awaitTermination(1):
                break
            metrics.record_progress(_progress_dict(query.lastProgress), query.isActive)
            metrics.planned_batch_id = last_batch_in(cfg.checkpoint, "offsets")
        error = query.exception()
        if error is not None:
            metrics.last_error = str(error)[:2000]
            log(f"query failed: {error}")
            exit_code = 1
    finally:
        metrics.record_progress(None, False)
        log(f"stopping (signal {stopping[0] if stopping else '-'})")
        if maintenance is not None:
            maintenance.stop.set()
        if query.isActive:
            query.stop()
        spark.stop()
        server.shutdown()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
