"""``dlq_monitoring``: count dead-lettered records per topic and raise an alert above a threshold.

Reads the Bronze DLQ Delta table (``<LH_BRONZE_ROOT>/dlq``, written by the streaming job)
for rows ingested in the last ``window_minutes``, optionally only those of one
``correlation_id`` (so parallel tests do not see each other's records), and counts
them per ``_kafka_topic`` and per ``error_type``. If the total is **greater than**
``threshold`` it branches to ``send_alert``, which writes an alert object
``<LH_GOLD_ROOT>/_alerts/dlq_monitoring/<run_id>.json``; otherwise to ``no_alert``.

A missing DLQ table fails the run: "no table" is not "no errors".

Params (override with the run's conf): ``threshold`` (10), ``window_minutes`` (15),
``correlation_id`` (none: all rows), ``dlq_uri`` (none: ``<LH_BRONZE_ROOT>/dlq``),
``alert_root`` (none: ``<LH_GOLD_ROOT>/_alerts/dlq_monitoring``). The layer roots come
from the environment the service catalogue gives Airflow, read when a task runs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Param, dag, get_current_context, task

from contract.layout import DLQ_TABLE, PARTITION_COLUMN
from lakehouse.airflow.s3 import filesystem, layer_root, storage_options

DAG_ID = "dlq_monitoring"
ALERT_PREFIX = "_alerts/dlq_monitoring"


def dlq_uri(params: dict[str, Any]) -> str:
    return params.get("dlq_uri") or f"{layer_root('bronze')}/{DLQ_TABLE}"


def alert_root(params: dict[str, Any]) -> str:
    return (params.get("alert_root") or f"{layer_root('gold')}/{ALERT_PREFIX}").rstrip("/")


def _count_by(rows: Any, column: str) -> dict[str, int]:
    import pyarrow.compute as pc

    grouped = rows.group_by(column).aggregate([(column, "count", pc.CountOptions(mode="all"))])
    pairs = zip(grouped[column].to_pylist(), grouped[f"{column}_count"].to_pylist(), strict=True)
    return {str(k): int(v) for k, v in sorted(pairs, key=lambda kv: str(kv[0]))}


@dag(
    dag_id=DAG_ID,
    # Upstream ran this every 15 min. Here runs are triggered (by tests, or by an operator with
    # conf), so an idle 2-core test box does not spend CPU on it; set a schedule to monitor continuously.
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=4,
    tags=["lakehouse", "bronze", "quality"],
    doc_md=__doc__,
    params={
        "threshold": Param(10, type="integer", minimum=0),
        "window_minutes": Param(15, type="integer", minimum=1),
        "correlation_id": Param(None, type=["null", "string"]),
        "dlq_uri": Param(None, type=["null", "string"]),
        "alert_root": Param(None, type=["null", "string"]),
    },
)
def dlq_monitoring():
    @task(multiple_outputs=False)
    def count_dlq_rows(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Count DLQ rows per topic and error type in the window; push ``counts`` and ``total`` to XCom."""
        import pyarrow as pa
        import pyarrow.dataset as ds
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        p = params or {}
        uri = dlq_uri(p)
        end = datetime.now(UTC)
        start = end - timedelta(minutes=int(p["window_minutes"]))
        try:
            table = DeltaTable(uri, storage_options=storage_options())
        except TableNotFoundError as error:
            raise RuntimeError(f"DLQ table {uri} does not exist: {error}") from None
        dataset = table.to_pyarrow_dataset()
        where = (ds.field("_ingested_at") >= start) & (ds.field("_ingested_at") <= end)
        if PARTITION_COLUMN in dataset.schema.names:  # partition pruning
            where &= ds.field(PARTITION_COLUMN) >= start.date()
        if p.get("correlation_id"):
            column_type = dataset.schema.field("correlation_id").type
            where &= ds.field("correlation_id") == pa.scalar(p["correlation_id"], type=column_type)
        rows = dataset.to_table(columns=["_kafka_topic", "error_type"], filter=where)
        counts = _count_by(rows, "_kafka_topic")
        errors = _count_by(rows, "error_type")
        total = rows.num_rows
        summary = {
            "counts": counts,
            "error_types": errors,
            "total": total,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "correlation_id": p.get("correlation_id"),
            "dlq_uri": uri,
            "table_version": table.version(),
        }
        ti = get_current_context()["ti"]
        ti.xcom_push(key="counts", value=summary["counts"])
        ti.xcom_push(key="total", value=total)
        print(f"DLQ rows {start.isoformat()}..{end.isoformat()}: {json.dumps(summary['counts'])} (total {total})")
        return summary

    @task.branch
    def check_threshold(summary: dict[str, Any], params: dict[str, Any] | None = None) -> str:
        threshold = int((params or {})["threshold"])
        decision = "send_alert" if summary["total"] > threshold else "no_alert"
        print(f"total {summary['total']} vs threshold {threshold}: {decision}")
        return decision

    @task
    def send_alert(summary: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the alert object; return its URI and content (also in XCom)."""
        context = get_current_context()
        run_id = context["run_id"]
        root = alert_root(params or {})
        key = re.sub(r"[^A-Za-z0-9._=-]", "_", run_id)
        uri = f"{root}/{key}.json"
        alert = {
            "dag_id": DAG_ID,
            "run_id": run_id,
            "threshold": int((params or {})["threshold"]),
            "created_at": datetime.now(UTC).isoformat(),
            **summary,
        }
        with filesystem().open_output_stream(uri.removeprefix("s3://")) as out:
            out.write(json.dumps(alert, indent=2, sort_keys=True).encode())
        print(f"Alert written to {uri}: total {summary['total']} > threshold {alert['threshold']}")
        return {"uri": uri, "alert": alert}

    summary = count_dlq_rows()
    decision = check_threshold(summary)
    decision >> [send_alert(summary), EmptyOperator(task_id="no_alert")]


dlq_monitoring()
