"""dbt-duckdb plugin: offline DuckDB extensions, the S3 secret, and Delta writes through delta-rs.

DuckDB's delta extension can read Delta tables and append to existing ones, but it
cannot create or overwrite them (notes §3), so the ``delta`` materialization hands
the built relation to :meth:`Plugin.store`, which writes it with ``deltalake``.

Plugin config (profiles.yml): ``s3_endpoint`` (``http://host:port``), ``s3_access_key``,
``s3_secret_key``, ``s3_region``. The same values feed the DuckDB secret (reads) and the
delta-rs storage options (writes), both built by :mod:`contract.storage`, so reads and
writes can never point at different servers (nor differ from the toolkit's own access).

What a run costs (issue 10): every write records the model's *input fingerprint* (a hash of its
compiled SQL and the Delta versions of everything it reads, computed by the ``delta``
materialization) as a Delta transaction (``txn`` action, app id :data:`FINGERPRINT_APP`) in the
same commit, atomically. The materialization skips a model whose recorded fingerprint equals the
current one: its inputs have not changed, so rebuilding would write the same rows (it reads the
versions and the fingerprint from the Delta log in SQL, without loading any file list). Incremental models
(``delta+merge``) append only rows whose unique key is not in the table yet: the key column of
the target is read, never the whole table, and an empty increment writes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import TargetConfig
from dbt.adapters.events.logging import AdapterLogger
from deltalake import CommitProperties, Transaction, write_deltalake

from contract.platform import PlatformContract
from contract.storage import delta_storage_options, duckdb_s3_secret

EXTENSIONS = ("httpfs", "delta")
# Transaction app id under which each write records the model's input fingerprint.
FINGERPRINT_APP = "lakehouse.dbt.inputs"
logger = AdapterLogger("lakehouse_delta")


def extension_path(name: str) -> Path:
    """The extension binary shipped in the ``duckdb-extension-<name>`` wheel (no network)."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"Python package duckdb-extension-{name}=={duckdb.__version__} is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise RuntimeError(f"{path} not found: duckdb-extension-{name} must match duckdb {duckdb.__version__}")
    return path


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        for key, env in (("s3_endpoint", "LH_S3_ENDPOINT"), ("s3_region", "LH_S3_REGION")):
            if not plugin_config.get(key):
                raise RuntimeError(f"lakehouse_delta plugin: {key} is empty (set {env})")
        self.s3 = PlatformContract(
            s3_endpoint=plugin_config["s3_endpoint"],
            s3_region=plugin_config["s3_region"],
            s3_access_key=plugin_config.get("s3_access_key") or "",
            s3_secret_key=plugin_config.get("s3_secret_key") or "",
        )
        self.storage_options = delta_storage_options(self.s3)
        self._conn: duckdb.DuckDBPyConnection | None = None

    # --- connection setup ------------------------------------------------------------
    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        for name in EXTENSIONS:
            conn.execute(f"LOAD {_sql_str(str(extension_path(name)))}")
        conn.execute(duckdb_s3_secret(self.s3))
        conn.execute("SET TimeZone = 'UTC'")
        self._conn = conn

    def configure_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.execute("SET TimeZone = 'UTC'")

    # --- writes ----------------------------------------------------------------------
    def store(self, target_config: TargetConfig) -> None:
        if self._conn is None:
            raise RuntimeError("lakehouse_delta plugin: no DuckDB connection configured")
        location = target_config.location
        if location is None:
            raise RuntimeError("delta store needs a location")
        config = target_config.config
        # format: "delta" or "delta+merge", optionally ";fingerprint=<int>" (see the materialization)
        kind, _, fingerprint = location.format.partition(";fingerprint=")
        mode = "merge" if kind == "delta+merge" else "overwrite"
        commit = (
            CommitProperties(app_transactions=[Transaction(FINGERPRINT_APP, int(fingerprint))]) if fingerprint else None
        )
        relation = target_config.relation.render()
        started = time.monotonic()
        cur = self._conn.cursor()
        rows: int | None = None
        try:
            if mode == "merge":
                rows = self._append_new(cur, location.path, relation, config, commit)
            else:
                reader = cur.execute(f"select * from {relation}").to_arrow_reader(100_000)
                partition_by = config.get("partition_by") or None
                write_deltalake(
                    location.path,
                    reader,
                    mode="overwrite",
                    schema_mode="overwrite",
                    partition_by=partition_by,
                    storage_options=self.storage_options,
                    commit_properties=commit,
                )
        finally:
            cur.close()
        elapsed = time.monotonic() - started
        logger.debug(
            json.dumps({"delta_store": location.path, "mode": mode, "rows": rows, "seconds": round(elapsed, 3)})
        )

    def _append_new(
        self,
        cur: duckdb.DuckDBPyConnection,
        path: str,
        relation: str,
        config: Any,
        commit: CommitProperties | None,
    ) -> int:
        """Append the rows whose unique key is not in the table yet (events are immutable).

        Reads only the key column(s) of the target (an anti join), never rewrites a file, and
        writes nothing when there is nothing new. Returns the number of rows appended."""
        keys = config.get("unique_key")
        keys = [keys] if isinstance(keys, str) else list(keys or [])
        if not keys:
            raise RuntimeError(f"merge into {path} needs unique_key")
        if not cur.execute(f"select exists (select 1 from {relation})").fetchone()[0]:
            self._record(cur, path, relation, commit)
            return 0
        predicate = " and ".join(f"t.{k} = s.{k}" for k in keys)
        target = f"(select {', '.join(keys)} from delta_scan({_sql_str(path)}))"
        cur.execute(
            f"create or replace temp table lh_new_rows as select s.* from {relation} s "
            f"where not exists (select 1 from {target} t where {predicate})"
        )
        rows = int(cur.execute("select count(*) from lh_new_rows").fetchone()[0])
        if not rows:
            self._record(cur, path, relation, commit)
        else:
            reader = cur.execute("select * from lh_new_rows").to_arrow_reader(100_000)
            write_deltalake(
                path,
                reader,
                mode="append",
                schema_mode="merge",
                storage_options=self.storage_options,
                commit_properties=commit,
            )
        cur.execute("drop table if exists lh_new_rows")
        return rows

    def _record(
        self, cur: duckdb.DuckDBPyConnection, path: str, relation: str, commit: CommitProperties | None
    ) -> None:
        """Nothing new to append, but the inputs changed (say another topic's rows, or the model's SQL):
        an empty commit records the new fingerprint, so the next run with these inputs is skipped."""
        if commit is not None:
            empty = cur.execute(f"select * from {relation} limit 0").to_arrow_table()
            write_deltalake(
                path,
                empty,
                mode="append",
                schema_mode="merge",
                storage_options=self.storage_options,
                commit_properties=commit,
            )
