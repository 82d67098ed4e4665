"""The ``data-platform`` profile: Bronze ingestion with Spark Structured Streaming.

* ``bronze-init`` (one-shot): creates the 8 Bronze tables and the DLQ table on S3
  with delta-rs, empty and with the streaming job's exact schema, so queries work
  before the first event arrives. It runs before the streaming job because Delta
  on S3 is single-writer per table.
* ``bronze-streaming``: one PySpark application (``lakehouse.streaming``) in its own
  venv, local[2], reading all domain topics with one query and appending to
  ``s3a://bronze/<table>`` exactly once. Ready when ``/health`` answers 200, which
  needs an active query and a progress report in the last minute.

Memory: the driver heap is ``DRIVER_MEMORY``; metaspace, code cache and direct
buffers are capped in :func:`lakehouse.streaming.app.build_spark`; the python
driver adds ~100 MB. The budget is the cgroup limit the runner applies.
"""

from __future__ import annotations

from lakehouse.catalogue.base import Probe, Service
from lakehouse.provision.data_platform import spark_python
from lakehouse.settings import Settings

PROFILE = "data-platform"
DRIVER_MEMORY = "768m"
STREAMING_MEMORY_MB = 1536
MAX_RECORD_BYTES = 64 * 1024


def services(settings: Settings) -> list[Service]:
    s = settings
    py = str(s.platform_python)
    return [
        Service(
            name="bronze-init",
            profile=PROFILE,
            description="Creates the empty Bronze and DLQ Delta tables (delta-rs) before streaming starts",
            command=[py, "-m", "lakehouse.streaming.bronze_init"],
            depends_on=("s3", "s3-init"),
            probe=Probe("exited_ok"),
            memory_mb=384,
            oneshot=True,
            workdir=str(s.repo_root),
        ),
        Service(
            name="bronze-streaming",
            profile=PROFILE,
            description="Spark Structured Streaming: all topics → Bronze Delta tables + DLQ, exactly once",
            command=[str(spark_python(s)), "-m", "lakehouse.streaming"],
            depends_on=("kafka", "s3", "kafka-init", "s3-init", "bronze-init"),
            env={
                # This instance's names: the runner's own LH_TOPIC_PREFIX / LH_BUCKET_* decide them.
                **_names_env(s),
                "LH_STREAMING_CHECKPOINT": str(s.streaming_checkpoint_dir),
                # Batches take well under a second now (delta-rs appends, no Spark job per table), so a
                # short trigger shortens the wait for the next batch (benchmarks/streaming.py).
                "LH_STREAMING_TRIGGER": "250 milliseconds",
                "LH_STREAMING_MAX_BYTES": str(MAX_RECORD_BYTES),
                "LH_STREAMING_DRIVER_MEMORY": DRIVER_MEMORY,
                # A 10,000-event burst in one or two batches: per-batch costs are mostly fixed.
                "LH_STREAMING_MAX_OFFSETS_PER_TRIGGER": "20000",
                # Bronze writer: delta-rs from the driver's Arrow data ("spark": Spark's Delta writer, for A/B).
                "LH_STREAMING_WRITER": "delta-rs",
                "LH_STREAMING_WRITE_THREADS": "4",
                # jsonschema-rs for valid records, jsonschema decides on rejects ("0": jsonschema only).
                "LH_STREAMING_FAST_VALIDATION": "1",
                # Maintenance in the job's own background thread (never on the batch path):
                # checkpoint every N commits; compact a table once it has N live files, at most every N s
                # (a reader scans every small file).
                "LH_STREAMING_CHECKPOINT_EVERY": "10",
                "LH_STREAMING_COMPACT_MIN_FILES": "20",
                "LH_STREAMING_COMPACT_EVERY_S": "20",
                "LH_STREAMING_CLEANUP_EVERY_S": "600",
                "PYTHONPATH": str(s.repo_root),
            },
            probe=Probe("http", s.streaming_metrics_url + "/health"),
            memory_mb=STREAMING_MEMORY_MB,
            # JVM start, first Kafka fetch and the first Delta commits on a busy 2-core box.
            start_timeout=180,
            # The driver stops the query and its JVM itself on SIGTERM.
            stop_group=False,
            workdir=str(s.repo_root),
            image_role="jvm",  # PySpark starts a JVM
        ),
    ]


def _names_env(s: Settings) -> dict[str, str]:
    return {
        "LH_STATE_DIR": str(s.state_dir),
        "LH_TOPIC_PREFIX": s.topic_prefix,
        **{f"LH_BUCKET_{layer.upper()}": bucket for layer, bucket in s.buckets.items()},
    }
