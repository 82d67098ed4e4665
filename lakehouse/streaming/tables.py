"""The Bronze and DLQ table layouts, declared once as Arrow schemas.

bronze-init creates the tables from these schemas with delta-rs; the streaming
job builds every batch as an Arrow table of the same schema before Spark appends
it, so both writers agree on column order, types and the partition column.
"""

from __future__ import annotations

import pyarrow as pa

from lakehouse.contracts import TOPICS
from lakehouse.settings import Settings

BUCKET = "bronze"
DLQ_TABLE = "dlq"
PARTITION_COLUMN = "_ingestion_date"

_UTC = pa.timestamp("us", tz="UTC")

BRONZE_SCHEMA = pa.schema(
    [
        ("_raw_value", pa.string()),
        ("_kafka_topic", pa.string()),
        ("_kafka_partition", pa.int32()),
        ("_kafka_offset", pa.int64()),
        ("_kafka_timestamp", _UTC),
        ("_ingested_at", _UTC),
        ("correlation_id", pa.string()),
        (PARTITION_COLUMN, pa.date32()),
    ]
)

DLQ_SCHEMA = pa.schema(
    [
        ("_raw_value", pa.string()),
        ("_raw_encoding", pa.string()),
        ("error_type", pa.string()),
        ("error_message", pa.string()),
        ("_kafka_topic", pa.string()),
        ("_kafka_partition", pa.int32()),
        ("_kafka_offset", pa.int64()),
        ("_kafka_timestamp", _UTC),
        ("_ingested_at", _UTC),
        ("correlation_id", pa.string()),
        (PARTITION_COLUMN, pa.date32()),
    ]
)

BRONZE_TABLES: tuple[str, ...] = tuple(t.table for t in TOPICS)
ALL_TABLES: tuple[str, ...] = (*BRONZE_TABLES, DLQ_TABLE)


def schema_of(table: str) -> pa.Schema:
    return DLQ_SCHEMA if table == DLQ_TABLE else BRONZE_SCHEMA


def table_uri(table: str, scheme: str = "s3") -> str:
    """``s3://bronze/<table>`` for delta-rs/DuckDB, ``s3a://…`` for Spark."""
    return f"{scheme}://{BUCKET}/{table}"


def table_name(topic_or_table: str) -> str:
    """Accept a topic (``gps-pings``), a table (``gps_pings``) or ``bronze.gps_pings``."""
    name = topic_or_table.removeprefix(f"{BUCKET}.").replace("-", "_")
    if name not in ALL_TABLES:
        raise ValueError(f"Unknown Bronze table '{topic_or_table}'. Known: {', '.join(ALL_TABLES)}")
    return name


def storage_options(settings: Settings) -> dict[str, str]:
    return settings.s3_storage_options()
