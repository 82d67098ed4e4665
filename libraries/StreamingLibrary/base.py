"""The StreamingLibrary component base: Bronze/DLQ reads, the job's metrics endpoint, lineage logging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests
from robot.api import logger

from contract.layout import DLQ_TABLE
from LakehouseLibrary.context import LakehouseComponent
from LakehouseLibrary.engine import StorageUnavailable
from lhkit import htmllog

# Columns shown in log tables, in this order (the rest stay in the returned rows).
BRONZE_LOG_COLUMNS = (
    "_kafka_topic", "_kafka_partition", "_kafka_offset", "_kafka_timestamp", "_ingested_at", "correlation_id",
    "_ingestion_date", "event_id", "_raw_value",
)
DLQ_LOG_COLUMNS = (
    "error_type", "error_message", "_kafka_topic", "_kafka_partition", "_kafka_offset", "_raw_encoding",
    "correlation_id", "_ingested_at", "_raw_value",
)
LINEAGE_LINES = 10
POLL_INTERVAL = 0.5
# Waits on Bronze and the DLQ retry these (S3 briefly unreachable); anything else fails at once.
TRANSIENT = (StorageUnavailable,)


class StreamingComponent(LakehouseComponent):
    """A StreamingLibrary component: Bronze tables through the LakehouseLibrary engine, the job's HTTP endpoint."""

    # --- names ------------------------------------------------------------------------
    def table(self, name: str) -> str:
        """The Bronze table of a topic (``gps-pings``), a table (``gps_pings``), ``bronze.gps_pings`` or ``dlq``."""
        return self.target.bronze_table(name)

    def topic_of(self, table: str) -> str:
        """The physical Kafka topic of a Bronze table (``topic_prefix`` + logical name)."""
        return self.target.topic_name(table)

    # --- Bronze and DLQ ---------------------------------------------------------------
    def bronze_rows(self, table: str, correlation_id: str) -> list[dict[str, Any]]:
        if table == DLQ_TABLE:
            raise ValueError("Use 'Get Dlq Rows' / 'Wait For Dlq Rows' for the DLQ table")
        return self.engine().query(
            f"SELECT *, json_extract_string(_raw_value, '$.event_id') AS event_id FROM bronze.{table} "
            "WHERE correlation_id = ? ORDER BY _kafka_partition, _kafka_offset",
            [correlation_id],
        )

    def dlq_rows(self, correlation_id: str | None = None, topic: str | None = None) -> list[dict[str, Any]]:
        clauses, params = [], []
        if correlation_id:
            clauses.append("correlation_id = ?")
            params.append(correlation_id)
        if topic:
            clauses.append("_kafka_topic = ?")
            params.append(self.target.topic_name(topic))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        order = " ORDER BY _kafka_topic, _kafka_partition, _kafka_offset"
        return self.engine().query(f"SELECT * FROM bronze.{DLQ_TABLE}{where}{order}", params)

    # --- the job's HTTP endpoint ------------------------------------------------------
    def metrics_url(self, path: str) -> str:
        base = self.target.streaming_metrics_url
        if not base:
            raise ValueError(f"Target '{self.target.name}' has no streaming_metrics_url")
        return base.rstrip("/") + path

    def http(self) -> requests.Session:
        return self.ctx.resource("http", requests.Session, close=requests.Session.close)

    def metrics(self, path: str = "/metrics.json") -> Any:
        response = self.http().get(self.metrics_url(path), timeout=5)
        response.raise_for_status()
        return response.json()

    def wait_caught_up(self, topics: Sequence[str] | None, timeout: float) -> dict[str, Any]:
        """Wait until every planned batch is written, none is in progress and ``topics`` (physical) have no lag."""

        def caught_up(d: Mapping[str, Any]) -> bool:
            lag = d.get("lag") or {}
            wanted = list(topics) if topics else list(lag)
            age = d.get("last_progress_age_s")
            return (
                bool(d.get("query_active")) and age is not None and age < 5 and d.get("current_batch") is None
                and int(d["last_batch_id"]) >= int(d.get("planned_batch_id", -1))
                and all(t in lag and int(lag[t]) == 0 for t in wanted)
            )

        def describe(d: Mapping[str, Any]) -> str:
            return (
                f"active {d.get('query_active')}, last batch {d.get('last_batch_id')} of planned "
                f"{d.get('planned_batch_id')}, in progress {d.get('current_batch') is not None}, lag {d.get('lag')}"
            )

        return self.wait_until(
            self.metrics,
            caught_up,
            timeout=timeout,
            description=f"the streaming job to catch up{' on ' + ', '.join(topics) if topics else ''}",
            interval=POLL_INTERVAL,
            describe=describe,
            transient=(requests.RequestException, KeyError),
        )

    # --- logging ----------------------------------------------------------------------
    def log_rows(self, table: str, correlation_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        columns = DLQ_LOG_COLUMNS if table == DLQ_TABLE else BRONZE_LOG_COLUMNS
        htmllog.log_table(rows, columns, caption=f"bronze.{table} rows of {correlation_id}")
        self.log_lineage(correlation_id, table, rows)

    def log_lineage(self, correlation_id: str, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Kafka topic/partition/offset → Bronze table and the Delta version (batch) that wrote it."""
        try:
            commits = self.metrics("/commits.json") if self.target.streaming_metrics_url else []
        except (requests.RequestException, ValueError):
            commits = []
        for row in rows[:LINEAGE_LINES]:
            topic, part, off = row["_kafka_topic"], int(row["_kafka_partition"]), int(row["_kafka_offset"])
            version = "?"
            for commit in commits:
                lo_hi = commit.get("offsets", {}).get(topic, {}).get(str(part))
                if commit["table"] == table and lo_hi and lo_hi[0] <= off <= lo_hi[1]:
                    version = f"v{commit['delta_version']} (batch {commit['batch_id']})"
                    break
            htmllog.log_lineage(
                correlation_id,
                [("Kafka", f"{topic}[{part}]@{off}"), ("Bronze", f"bronze.{table} {version}")],
            )
        if len(rows) > LINEAGE_LINES:
            logger.info(f"… lineage of {len(rows) - LINEAGE_LINES} more row(s) not shown")
