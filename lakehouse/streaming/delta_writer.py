"""Bronze appends with delta-rs from the Arrow tables the driver already holds, and their upkeep.

Why not Spark's Delta writer: every idempotent Spark append rebuilds the table's whole state
(``txnVersion`` → ``snapshot.transactions`` → ``computedState``, a Spark job over checkpoint and
log) and every 10th commit writes a checkpoint synchronously. Here an append is: load the new
commits of the table (one listing after the last known version), look up this app's transaction
version, write one Parquet file and one commit (a conditional ``PUT`` of ``<version>.json``).

Exactly-once per table rests on this code (delta-rs accepts a stale transaction version):

1. ``update_incremental()``; if ``transaction_version(app_id) >= batch_id`` the table already
   holds this batch (a replay after a crash or restart): skip it;
2. otherwise append with ``Transaction(app_id, batch_id)`` in the same commit as the rows;
3. a ``CommitFailedError`` (another commit won the version: our own earlier attempt whose answer
   was lost, or a concurrent compaction) → reload and start again at 1.

Every writer of a Bronze table is delta-rs: ``bronze-init`` creates them, this job appends, and
the job's own maintenance thread (:class:`Maintenance`) checkpoints, compacts, cleans the log
and vacuums, never on the batch path. Nothing else may write Bronze (S3 has no lock; delta-rs
relies on the server's ``If-None-Match``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, PostCommitHookProperties, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError

from contract.layout import PARTITION_COLUMN, bronze_tables
from contract.platform import PlatformContract
from contract.storage import delta_storage_options

COMMIT_ATTEMPTS = 5
# The hot path never checkpoints or cleans the log: the maintenance thread does.
NO_HOOKS = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)


@dataclass(frozen=True)
class MaintenancePolicy:
    """When the background thread checkpoints, compacts, cleans the log and vacuums a table."""

    checkpoint_every: int = 10  # commits since the last checkpoint
    compact_min_files: int = 20  # live files in the table (one small file per batch accumulates)
    compact_every_s: float = 60.0
    cleanup_every_s: float = 600.0  # log cleanup and vacuum (the table's retention decides what goes)

    @classmethod
    def from_env(cls) -> MaintenancePolicy:
        env = os.environ
        return cls(
            checkpoint_every=int(env.get("LH_STREAMING_CHECKPOINT_EVERY", cls.checkpoint_every)),
            compact_min_files=int(env.get("LH_STREAMING_COMPACT_MIN_FILES", cls.compact_min_files)),
            compact_every_s=float(env.get("LH_STREAMING_COMPACT_EVERY_S", cls.compact_every_s)),
            cleanup_every_s=float(env.get("LH_STREAMING_CLEANUP_EVERY_S", cls.cleanup_every_s)),
        )


class TableCache:
    """One open ``DeltaTable`` per Bronze table, brought up to date (incrementally) on each use.
    Not thread-safe: the writer and the maintenance thread each keep their own."""

    def __init__(self, contract: PlatformContract) -> None:
        self.contract = contract
        self.options = delta_storage_options(contract)
        self.tables: dict[str, DeltaTable] = {}

    def __call__(self, name: str) -> DeltaTable:
        dt = self.tables.get(name)
        if dt is None:
            dt = self.tables[name] = DeltaTable(self.contract.table_uri(name), storage_options=self.options)
        else:
            dt.update_incremental()
        return dt

    def forget(self, name: str) -> None:
        """Drop a table whose state may be stale (after a failed commit or maintenance step)."""
        self.tables.pop(name, None)


class BronzeTables:
    """The job's appender: one cached :class:`DeltaTable` per Bronze table (never used by two threads at once:
    a batch writes each table from one thread, and batches run one after another)."""

    def __init__(self, contract: PlatformContract, app_id: str) -> None:
        self.contract = contract
        self.app_id = app_id
        self.table = TableCache(contract)

    def append(self, name: str, data: pa.Table, batch_id: int) -> tuple[int, bool]:
        """Append ``data`` as batch ``batch_id`` of this app, once. Returns (table version, whether written)."""
        for attempt in range(COMMIT_ATTEMPTS):
            dt = self.table(name)
            done = dt.transaction_version(self.app_id)
            if done is not None and done >= batch_id:
                return dt.version(), False
            try:
                write_deltalake(
                    dt,
                    data,
                    mode="append",
                    partition_by=[PARTITION_COLUMN],
                    commit_properties=CommitProperties(app_transactions=[Transaction(self.app_id, batch_id)]),
                    post_commithook_properties=NO_HOOKS,
                )
            except CommitFailedError:
                # Another commit took the version. Reload and check again: it may have been ours.
                self.table.forget(name)
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise
                continue
            return dt.version(), True
        raise AssertionError("unreachable")


class Maintenance(threading.Thread):
    """Checkpoints, compaction, log cleanup and vacuum of the Bronze tables, off the batch path.

    Same engine and same process as the appender (Delta on S3 must not have two kinds of
    writers). It keeps its own :class:`DeltaTable` objects; a compaction racing an append is
    resolved by delta-rs' conflict check (a blind append never conflicts with a rewrite of other
    files). Errors are reported and retried on the next round: maintenance never fails the job.
    """

    def __init__(
        self,
        contract: PlatformContract,
        policy: MaintenancePolicy,
        report: Callable[..., None],
        log: Callable[[str], None],
    ) -> None:
        super().__init__(name="bronze-maintenance", daemon=True)
        self.contract = contract
        self.policy = policy
        self.report = report
        self.log = log
        self.table = TableCache(contract)
        self.stop = threading.Event()
        now = time.monotonic()
        self.state: dict[str, dict[str, Any]] = {
            t: {"checkpointed": None, "compacted_at": now - policy.compact_every_s, "cleaned_at": now}
            for t in bronze_tables()
        }

    def run(self) -> None:
        while not self.stop.wait(1.0):
            for table in bronze_tables():
                if self.stop.is_set():
                    return
                try:
                    self.tend(table)
                except Exception as error:  # reported; the next round tries again
                    self.table.forget(table)
                    self.log(f"maintenance of {table} failed: {type(error).__name__}: {str(error)[:300]}")

    def tend(self, name: str) -> None:
        dt = self.table(name)
        state = self.state[name]
        version = dt.version()
        now = time.monotonic()
        if state["checkpointed"] is None:
            state["checkpointed"] = version  # from here on: the first round does not checkpoint an old version
        files = len(dt.file_uris())
        if files >= self.policy.compact_min_files and now - state["compacted_at"] >= self.policy.compact_every_s:
            started = time.monotonic()
            metrics = dt.optimize.compact(post_commithook_properties=NO_HOOKS)
            state["compacted_at"] = time.monotonic()
            dt.update_incremental()
            version = dt.version()
            self.report("compact", name, state["compacted_at"] - started, version=version, files_before=files,
                        removed=metrics.get("numFilesRemoved"), added=metrics.get("numFilesAdded"))  # fmt: skip
        if version - state["checkpointed"] >= self.policy.checkpoint_every:
            started = time.monotonic()
            dt.create_checkpoint()
            state["checkpointed"] = version
            self.report("checkpoint", name, time.monotonic() - started, version=version)
        if now - state["cleaned_at"] >= self.policy.cleanup_every_s:
            started = time.monotonic()
            dt.cleanup_metadata()
            removed = dt.vacuum(dry_run=False, post_commithook_properties=NO_HOOKS)
            state["cleaned_at"] = time.monotonic()
            self.report("cleanup", name, state["cleaned_at"] - started, vacuumed=len(removed))


def resume_offsets(contract: PlatformContract) -> dict[str, dict[str, int]]:
    """Next offset per (physical) topic-partition after what Bronze and the DLQ already hold."""
    from deltalake.exceptions import TableNotFoundError

    options = delta_storage_options(contract)
    found: dict[str, dict[str, int]] = {}
    for name in bronze_tables():
        try:
            dt = DeltaTable(contract.table_uri(name), storage_options=options)
        except TableNotFoundError:
            continue
        data = dt.to_pyarrow_table(columns=["_kafka_topic", "_kafka_partition", "_kafka_offset"])
        if data.num_rows == 0:
            continue
        grouped = data.group_by(["_kafka_topic", "_kafka_partition"]).aggregate([("_kafka_offset", "max")])
        for topic, partition, offset in zip(
            grouped.column("_kafka_topic").to_pylist(),
            grouped.column("_kafka_partition").to_pylist(),
            grouped.column("_kafka_offset_max").to_pylist(),
            strict=True,
        ):
            parts = found.setdefault(topic, {})
            parts[str(partition)] = max(parts.get(str(partition), -1), int(offset) + 1)
    return found
