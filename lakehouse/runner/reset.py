"""Table reset: empty a layer's tables (or chosen ones) without corrupting them or losing events.

A Delta ``DELETE`` only marks rows removed, so tests clean tables by deleting their objects.
Deleting objects under a table that a writer is appending to corrupts it, and the streaming
job's checkpoint must agree with the tables afterwards. ``reset`` therefore, under the platform's
reset lock and the dbt lock (dbt reads Bronze and writes Silver/Gold):

Bronze
  1. stops ``bronze-streaming`` (the one writer of every Bronze table);
  2. reads the end offsets of the reset tables' topics (the writer is stopped: everything
     below them was published before the reset) and the old checkpoint's committed positions;
  3. deletes the tables' objects;
  4. deletes the checkpoint and seeds the new one with ``starting-offsets.json``: the reset
     topics start at their recorded end offsets, the others at the old checkpoint's committed
     positions (the job also never starts below what Bronze already holds, see
     :func:`merge_start`). A kept checkpoint would replay or skip batches against the new,
     empty tables; a deleted one with ``earliest`` would re-ingest what was published before;
  5. recreates the empty tables with the ``bronze-init`` one-shot;
  6. starts ``bronze-streaming`` again (unless ``resume`` is off), which reads the file because
     its checkpoint is fresh. The file lives inside the checkpoint, so it dies with it.

  A reset table then holds exactly the events published after step 1, each once; tables not
  reset neither lose nor duplicate anything.

Silver and Gold
  dbt is their only writer: under the dbt lock the models' objects are deleted. The tables stay
  absent until the next dbt run rebuilds them, fully, from the layer below (incremental models
  find no table and build from scratch). Nothing else needs to stop.

The pure parts (names, offsets, the checkpoint's offset log) are at the top; the services are
touched only by :func:`reset`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract.layout import LAYERS, bronze_tables
from contract.lifecycle import LifecycleError, ResetReport
from contract.platform import PlatformContract
from contract.topics import TOPICS

if TYPE_CHECKING:
    from lakehouse.runner.embedded import EmbeddedBackend
    from lakehouse.settings import Settings

STARTING_OFFSETS_FILE = "starting-offsets.json"
WRITER = "bronze-streaming"
BRONZE_INIT = "bronze-init"
LOCK_TIMEOUT = 300.0
DEFAULT_TIMEOUT = 300.0

Offsets = dict[str, dict[str, int]]


# --- names ------------------------------------------------------------------------------------
def dbt_models(project_dir: Path, layer: str) -> tuple[str, ...]:
    """The dbt models of ``layer`` (``models/<layer>/**/*.sql``): one Delta table each, ``<bucket>/<model>``."""
    return tuple(sorted(p.stem for p in (project_dir / "models" / layer).rglob("*.sql")))


def resolve_tables(layer: str, requested: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    """The tables to reset: all of ``known`` when none is requested, else the requested ones, normalised
    (``gps-pings``, ``bronze.gps_pings`` → ``gps_pings``), in ``known`` order. Unknown names fail."""
    if layer not in LAYERS:
        raise LifecycleError(f"Unknown layer '{layer}'. Layers: {', '.join(LAYERS)}")
    known = list(known)
    wanted = [t.strip() for t in requested or () if t and t.strip()]
    if not wanted:
        return known
    names = set()
    for name in wanted:
        table = name.removeprefix(f"{layer}.").replace("-", "_")
        if table not in known:
            raise LifecycleError(f"No {layer} table '{name}'. Tables of {layer}: {', '.join(known)}")
        names.add(table)
    return [t for t in known if t in names]


def reset_topics(contract: PlatformContract, tables: Iterable[str]) -> list[str]:
    """Physical topics whose Bronze table is among ``tables`` (the DLQ has no topic of its own)."""
    chosen = set(tables)
    return [contract.topic_name(t.name) for t in TOPICS if t.table in chosen]


# --- offsets ----------------------------------------------------------------------------------
def parse_checkpoint_offsets(text: str) -> Offsets:
    """Kafka source offsets of one Spark offset-log file (``v1``, batch metadata, then one JSON line
    per source: ``{"topic": {"0": 12}}``)."""
    found: Offsets = {}
    for line in text.splitlines()[2:]:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            for topic, parts in value.items():
                if isinstance(parts, dict):
                    found.setdefault(topic, {}).update({str(p): int(o) for p, o in parts.items()})
    return found


def last_batch(checkpoint: Path, log: str) -> int:
    """Highest batch id in the checkpoint's ``commits`` or ``offsets`` log, -1 if none."""
    try:
        return max((int(n) for n in os.listdir(checkpoint / log) if n.isdigit()), default=-1)
    except OSError:
        return -1


def committed_positions(checkpoint: Path) -> Offsets:
    """Where the stopped job's last *committed* batch ended: the next offset it would read per partition."""
    batch = last_batch(checkpoint, "commits")
    if batch < 0:
        return {}
    try:
        return parse_checkpoint_offsets((checkpoint / "offsets" / str(batch)).read_text())
    except OSError:
        return {}


def plan_starting_offsets(
    end_offsets: Mapping[str, Mapping[str, int]], committed: Mapping[str, Mapping[str, int]], reset: Iterable[str]
) -> Offsets:
    """Where the writer starts after the reset: each reset topic at its recorded end offset, every other
    topic where the old checkpoint had committed (absent: the job's own resume point from Bronze)."""
    reset = set(reset)
    out: Offsets = {t: {str(p): int(o) for p, o in parts.items()} for t, parts in committed.items() if t not in reset}
    for topic in reset:
        out[topic] = {str(p): int(o) for p, o in end_offsets.get(topic, {}).items()}
    return {t: dict(sorted(parts.items(), key=lambda kv: int(kv[0]))) for t, parts in sorted(out.items())}


def merge_start(resume: Mapping[str, Mapping[str, int]], seeded: Mapping[str, Mapping[str, int]]) -> Offsets:
    """The streaming job's start on a fresh checkpoint: per partition the later of its resume point after
    what Bronze and the DLQ hold and the seeded ``starting-offsets.json`` (never re-reading either)."""
    out: Offsets = {t: dict(parts) for t, parts in resume.items()}
    for topic, parts in seeded.items():
        for part, offset in parts.items():
            key = str(part)
            out.setdefault(topic, {})[key] = max(int(offset), out.get(topic, {}).get(key, -1))
    return out


def read_starting_offsets(checkpoint: Path) -> Offsets:
    """The seeded starting offsets of a fresh checkpoint, or ``{}``."""
    path = checkpoint / STARTING_OFFSETS_FILE
    if not path.exists():
        return {}
    return {t: {str(p): int(o) for p, o in parts.items()} for t, parts in json.loads(path.read_text()).items()}


def seed_checkpoint(checkpoint: Path, offsets: Mapping[str, Mapping[str, int]]) -> None:
    """Replace the checkpoint with a fresh one holding only ``starting-offsets.json``."""
    if checkpoint.exists():
        shutil.rmtree(checkpoint)
    checkpoint.mkdir(parents=True)
    tmp = checkpoint / (STARTING_OFFSETS_FILE + ".tmp")
    tmp.write_text(json.dumps(offsets, indent=2, sort_keys=True) + "\n")
    tmp.replace(checkpoint / STARTING_OFFSETS_FILE)


# --- services ---------------------------------------------------------------------------------
def end_offsets(bootstrap: str, topics: Iterable[str], timeout: float = 10.0) -> Offsets:
    """High watermarks (the next offset to be written) of every partition of ``topics``."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "lakehouse-reset", "enable.auto.commit": False})
    try:
        out: Offsets = {}
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
            if meta is None or meta.error is not None:
                raise LifecycleError(f"Topic '{topic}' is not on the broker {bootstrap}: {meta and meta.error}")
            out[topic] = {}
            for part in sorted(meta.partitions):
                try:
                    _, high = consumer.get_watermark_offsets(TopicPartition(topic, part), timeout=timeout)
                except KafkaException as error:
                    raise LifecycleError(f"Cannot read the end offset of {topic}[{part}]: {error}") from None
                out[topic][str(part)] = int(high)
        return out
    finally:
        consumer.close()


def delete_objects(contract: PlatformContract, layer: str, table: str) -> int:
    """Delete every object under ``<layer bucket>/<table>/``; return how many there were."""
    import boto3
    from botocore.config import Config

    from contract.storage import boto3_client_kwargs

    s3 = boto3.client(
        "s3",
        **boto3_client_kwargs(contract),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    bucket, prefix = contract.buckets[layer], f"{table}/"
    deleted = 0
    for _ in range(3):  # a listing taken while deleting can miss keys: list again until none is left
        keys = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]
        if not keys:
            return deleted
        for i in range(0, len(keys), 1000):
            answer = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True}
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise LifecycleError(f"Deleting s3://{bucket}/{first.get('Key')} failed: {first.get('Message')}")
        deleted += len(keys)
    raise LifecycleError(f"Objects keep appearing under s3://{bucket}/{prefix}: is a writer still running?")


def rerun_oneshot(backend: EmbeddedBackend, name: str, timeout: float) -> None:
    """Run a finished one-shot (``bronze-init``) again through supervisord and wait for its exit 0."""
    from lhcommon.polling import WaitTimeout, wait_until

    rpc = backend._rpc().supervisor
    started = time.time()
    rpc.startProcess(name, False)

    def finished() -> dict[str, Any] | None:
        info = rpc.getProcessInfo(name)
        done = info["statename"] in ("EXITED", "FATAL", "BACKOFF", "STOPPED") and info["start"] >= int(started)
        return info if done else None

    try:
        info = wait_until(
            finished, timeout=timeout, interval=0.2, description=f"the one-shot {name} to finish", log=False
        )
    except WaitTimeout as error:
        raise LifecycleError(f"{error}. Last lines of its log:\n{backend.log_tail(name, 20)}") from None
    if info["statename"] != "EXITED" or info["exitstatus"] != 0:
        raise backend._failure(name, f"failed re-creating the tables ({info['statename']}, exit {info['exitstatus']})")


@contextmanager
def _step(report: ResetReport, name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.steps[name] = round(time.monotonic() - started, 3)


def reset(
    backend: EmbeddedBackend,
    layer: str,
    tables: Iterable[str] | None = None,
    resume: bool = True,
    timeout: float | None = None,
) -> ResetReport:
    """Reset ``tables`` of ``layer`` (all of the layer's tables when none is named); see the module doc."""
    from lhcommon.locks import exclusive_lock

    settings: Settings = backend.settings
    contract = settings.contract()
    timeout = timeout or DEFAULT_TIMEOUT
    known = bronze_tables() if layer == "bronze" else dbt_models(settings.dbt_project_dir, layer)
    chosen = resolve_tables(layer, tables, known)
    started = time.monotonic()
    report = ResetReport(layer=layer, tables=chosen)
    holder = f"reset {layer} {' '.join(chosen)} ({' '.join(sys.argv)[:120]})"
    with ExitStack() as locks:
        for path, what in (
            (settings.run_dir / "reset.lock", "the table reset lock"),
            (settings.dbt_lock_file, "the dbt lock"),
        ):
            with _step(report, f"lock {path.name}"):
                waited = locks.enter_context(exclusive_lock(path, LOCK_TIMEOUT, holder, what=f"{what} {path}"))
            report.locks[str(path)] = round(waited, 3)
        if layer == "bronze":
            _reset_bronze(backend, settings, contract, chosen, resume, timeout, report)
        else:
            with _step(report, "delete objects"):
                for table in chosen:
                    report.objects_deleted[table] = delete_objects(contract, layer, table)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _reset_bronze(
    backend: EmbeddedBackend,
    settings: Settings,
    contract: PlatformContract,
    chosen: list[str],
    resume: bool,
    timeout: float,
    report: ResetReport,
) -> None:
    status = backend.service_status(WRITER)
    with _step(report, f"stop {WRITER}"):
        if status.state not in ("STOPPED", "EXITED", "FATAL", "NOT_CREATED"):
            backend.stop_service(WRITER)
            report.stopped.append(WRITER)
    checkpoint = settings.streaming_checkpoint_dir
    topics = reset_topics(contract, chosen)
    with _step(report, "read offsets"):
        report.end_offsets = end_offsets(settings.kafka_bootstrap, topics) if topics else {}
        committed = committed_positions(checkpoint)
        report.starting_offsets = plan_starting_offsets(report.end_offsets, committed, topics)
    with _step(report, "delete objects"):
        for table in chosen:
            report.objects_deleted[table] = delete_objects(contract, "bronze", table)
    with _step(report, "seed checkpoint"):
        seed_checkpoint(checkpoint, report.starting_offsets)
    with _step(report, f"run {BRONZE_INIT}"), backend._lock():
        backend.ensure_supervisor()
        rerun_oneshot(backend, BRONZE_INIT, timeout)
        report.recreated = list(chosen)
    if resume and report.stopped:
        with _step(report, f"start {WRITER}"):
            backend.start_service(WRITER, timeout=timeout)
            report.resumed.append(WRITER)
