"""The medallion layout: layers, and the Bronze and DLQ column layout.

The column layout is declared once, as a list of ``(name, type)`` pairs with
portable type names. :func:`arrow_schema` turns it into a pyarrow schema
(bronze-init, the streaming job); :func:`sql_null_row` into the typed empty row
dbt reads for a Bronze table that does not exist yet (a unit test guards the
dbt macro against this declaration).
"""

from __future__ import annotations

from typing import Any

from contract.topics import TOPICS

LAYERS: tuple[str, ...] = ("bronze", "silver", "gold")
DLQ_TABLE = "dlq"
PARTITION_COLUMN = "_ingestion_date"
# Why a record went to the DLQ instead of its Bronze table.
ERROR_TYPES: tuple[str, ...] = ("OVERSIZE", "NOT_UTF8", "INVALID_JSON", "MISSING_KEY", "SCHEMA_VIOLATION")

_KAFKA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_kafka_topic", "string"),
    ("_kafka_partition", "int32"),
    ("_kafka_offset", "int64"),
    ("_kafka_timestamp", "timestamp"),
    ("_ingested_at", "timestamp"),
    ("correlation_id", "string"),
    (PARTITION_COLUMN, "date"),
)

BRONZE_COLUMNS: tuple[tuple[str, str], ...] = (("_raw_value", "string"), *_KAFKA_COLUMNS)
DLQ_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_raw_value", "string"),
    ("_raw_encoding", "string"),
    ("error_type", "string"),
    ("error_message", "string"),
    *_KAFKA_COLUMNS,
)

# Portable type -> SQL (DuckDB) type.
SQL_TYPES = {"string": "varchar", "int32": "integer", "int64": "bigint", "timestamp": "timestamptz", "date": "date"}


def bronze_tables() -> tuple[str, ...]:
    """Every Bronze table: one per topic (its logical name, never prefixed), then the DLQ."""
    return (*(t.table for t in TOPICS), DLQ_TABLE)


def columns_of(table: str) -> tuple[tuple[str, str], ...]:
    """The column layout of a Bronze table (any topic table) or of the DLQ."""
    return DLQ_COLUMNS if table == DLQ_TABLE else BRONZE_COLUMNS


def arrow_schema(table: str) -> Any:
    """The pyarrow schema of a Bronze table or the DLQ (timestamps are UTC microseconds)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
    }
    return pa.schema([(name, types[kind]) for name, kind in columns_of(table)])


def sql_null_row(table: str = "") -> str:
    """``null::<type> as <column>, …``: the typed columns of an empty Bronze table in SQL."""
    return ", ".join(f"null::{SQL_TYPES[kind]} as {name}" for name, kind in columns_of(table))
