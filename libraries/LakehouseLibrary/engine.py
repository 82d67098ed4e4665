"""SQL over the lakehouse's Delta tables with DuckDB (delta + httpfs extensions, loaded offline).

Plain Python, no Robot dependency: KafkaLibrary-independent code such as the StreamingLibrary
imports :class:`DeltaQueryEngine` directly.

Friendly names ``bronze.<table>``, ``silver.<table>`` and ``gold.<table>`` in SQL refer to the
Delta table ``target.table_uri(table, layer)``. Before each query the engine checks that every referenced
table exists (one small S3 listing) and (re)creates a view over ``delta_scan`` for it, so a
table that was re-created with another schema is still read correctly.
"""

from __future__ import annotations

import atexit
import importlib.util
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb

from contract.layout import LAYERS
from contract.storage import boto3_client_kwargs, delta_storage_options, duckdb_s3_secret
from lhcommon import masking as secrets
from lhkit.target import Target

DUCKDB_VERSION = "1.5.5"
EXTENSIONS = ("httpfs", "delta")
# layer.table, not preceded by a dot or word char (so ``x.bronze.t`` is left alone).
_NAME = re.compile(r"(?<![\w.\"])(" + "|".join(LAYERS) + r")\.([A-Za-z_][A-Za-z0-9_]*)\b")
DEFAULT_QUERY_TIMEOUT = 60.0


class LakehouseError(Exception):
    ROBOT_SUPPRESS_NAME = True


class TableNotFound(LakehouseError):
    """A referenced Delta table has no ``_delta_log`` yet."""

    def __init__(self, name: str, uri: str):
        super().__init__(f"Delta table {name} ({uri}) does not exist: no _delta_log objects under it")
        self.name = name
        self.uri = uri


class QueryError(LakehouseError):
    """DuckDB rejected or failed the SQL (syntax, unknown column, type error, …)."""


class StorageUnavailable(LakehouseError, ConnectionError):
    """The S3 endpoint did not answer."""


def table_uri(name: str, target: Target) -> tuple[str, str, str]:
    """``bronze.trips`` → ``(<bronze bucket>, "trips", "s3://<bronze bucket>/trips")`` of ``target``;
    also accepts ``s3://bucket/path`` URIs."""
    if name.startswith("s3://"):
        bucket, _, key = name[5:].partition("/")
        return bucket, key.rstrip("/"), name.rstrip("/")
    layer, dot, table = name.partition(".")
    if not dot or layer not in LAYERS or not table:
        raise ValueError(f"Table name must be <layer>.<table> with layer in {', '.join(LAYERS)}, got '{name}'")
    return target.bucket(layer), table, target.table_uri(table, layer)


def referenced_tables(sql: str) -> list[str]:
    seen: list[str] = []
    for layer, table in _NAME.findall(sql):
        name = f"{layer}.{table}"
        if name not in seen:
            seen.append(name)
    return seen


def extension_path(name: str) -> Path:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise LakehouseError(f"Package duckdb-extension-{name}=={DUCKDB_VERSION} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{DUCKDB_VERSION}"
    path = path / f"{name}.duckdb_extension"
    if not path.exists():
        raise LakehouseError(f"DuckDB extension file missing: {path} (duckdb must be {DUCKDB_VERSION})")
    return path


def to_python(value: Any) -> Any:
    """DuckDB values as plain, comparable Python values (Decimal → float kept exact via str)."""
    if isinstance(value, Decimal):
        return float(value) if value == value.to_integral_value() or abs(value.as_tuple().exponent) <= 6 else value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


class DeltaQueryEngine:
    """One DuckDB connection reading the target's Delta tables. Thread-safe; close it when done.

    >>> with DeltaQueryEngine(target) as engine:
    ...     rows = engine.query("SELECT count(*) AS n FROM bronze.trips WHERE correlation_id = ?", [cid])
    """

    def __init__(self, target: Target, *, timeout: float = DEFAULT_QUERY_TIMEOUT):
        self.target = target
        self.timeout = timeout
        self._con: duckdb.DuckDBPyConnection | None = None
        self._s3: Any = None
        self._lock = threading.RLock()

    # --- lifecycle ------------------------------------------------------------------
    def __enter__(self) -> DeltaQueryEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection (avoids an intermittent abort at interpreter exit)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
            try:
                for name in EXTENSIONS:
                    con.execute(f"LOAD '{extension_path(name)}'")
                con.execute(duckdb_s3_secret(self.target))
                con.execute("SET http_timeout = 10; SET http_retries = 1")
            except Exception:
                con.close()
                raise
            self._con = con
            # deltalake and the delta extension in one process can abort at exit unless DuckDB is closed first.
            atexit.register(self.close)
        return self._con

    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = s3_client(self.target)
        return self._s3

    # --- queries --------------------------------------------------------------------
    def table_exists(self, name: str) -> bool:
        bucket, key, _ = table_uri(name, self.target)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            listing = self.s3().list_objects_v2(Bucket=bucket, Prefix=f"{key}/_delta_log/", MaxKeys=1)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchBucket", "404"):
                return False
            raise StorageUnavailable(secrets.mask(f"S3 error listing s3://{bucket}/{key}: {error}")) from None
        except BotoCoreError as error:
            raise StorageUnavailable(
                secrets.mask(f"S3 endpoint {self.target.s3_endpoint} not reachable: {error}")
            ) from None
        return listing.get("KeyCount", 0) > 0

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Run ``sql`` (with ``?`` or ``$name`` parameters) and return rows as dicts.

        Raises :class:`TableNotFound` for a missing ``layer.table``, :class:`QueryError` for SQL
        errors and :class:`StorageUnavailable` when S3 does not answer, all without retrying.
        """
        tables = referenced_tables(sql)
        for name in tables:
            if not self.table_exists(name):
                _, _, uri = table_uri(name, self.target)
                raise TableNotFound(name, uri)
        with self._lock:
            con = self._connection()
            for name in tables:
                layer, table = name.split(".", 1)
                uri = table_uri(name, self.target)[2]
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{layer}"')
                try:
                    con.execute(
                        f'CREATE OR REPLACE VIEW "{layer}"."{table}" AS SELECT * FROM delta_scan({_sql_literal(uri)})'
                    )
                except duckdb.Error as error:
                    raise QueryError(secrets.mask(f"Cannot read Delta table {name} ({uri}): {error}")) from None
            limit = self.timeout if timeout is None else timeout
            timer = threading.Timer(limit, con.interrupt)
            timer.daemon = True
            timer.start()
            try:
                cursor = con.execute(sql, params) if params is not None else con.execute(sql)
                columns = [d[0] for d in cursor.description or []]
                rows = cursor.fetchall() if columns else []
            except duckdb.InterruptException:
                raise QueryError(f"Query interrupted after {limit:g} s: {_short(sql)}") from None
            except duckdb.Error as error:
                raise QueryError(secrets.mask(f"{type(error).__name__}: {error}\nSQL: {_short(sql)}")) from None
            finally:
                timer.cancel()
        return [{c: to_python(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def s3_client(target: Target) -> Any:
    """A boto3 S3 client for the target with short timeouts and few retries."""
    import boto3
    from botocore.config import Config

    secrets.quiet_client_loggers()
    return boto3.client(
        "s3",
        **boto3_client_kwargs(target),
        config=Config(
            connect_timeout=3,
            read_timeout=15,
            retries={"max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )


def storage_options(target: Target) -> dict[str, str]:
    """The contract's delta-rs options for the target, plus client timeouts so nothing hangs on a dead endpoint."""
    return {
        **delta_storage_options(target),
        "timeout": "15s",
        "connect_timeout": "3s",
        "max_retries": "1",
        "retry_timeout": "10s",
    }


def _sql_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _short(sql: str, limit: int = 500) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
