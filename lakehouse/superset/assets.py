"""Superset assets as code: the Gold database, its datasets, the charts and the "Operations" dashboard.

:func:`bundle` returns a Superset v1 import bundle (``{path: text}``, the shape of an exported
ZIP's contents; every file is JSON, which is YAML) that ``superset-init`` imports with
overwrite on every start, so the assets always match this file. Stdlib only.

Reading Gold: the database is DuckDB in memory (``duckdb:///:memory:lakehouse``, shared per process:
:mod:`lakehouse.superset.duckdb_gold`), one connection per query. Its ``engine_params`` make
duckdb-engine LOAD the ``httpfs`` and ``delta`` extensions by
file path from the ``duckdb-extension-*`` wheels (no download), and point DuckDB's
``secret_directory`` at the instance's state dir, where ``superset-init`` writes a persistent
S3 secret for this instance's endpoint. So no credential is stored in Superset's metadata nor
shown by its API: ``extra`` holds only file paths. The datasets are virtual: SQL over
``delta_scan('s3://<bucket>/<table>')`` with this instance's bucket names.

Every dataset carries ``correlation_id``, so a test narrows any chart to its own events (a
query filter through the API, the dashboard's "Correlation id" native filter in the browser).

Chart names are stable: tests address charts by name (:data:`CHART_NAMES`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from lakehouse.superset import duckdb_gold

DASHBOARD_TITLE = "Operations"
DASHBOARD_SLUG = "operations"
DATABASE_NAME = "Lakehouse Gold"
NATIVE_FILTER_ID = "NATIVE_FILTER-correlation_id"
_NS = uuid.UUID("6f1f4b0e-6c59-4c1f-9d0a-1a2b3c4d5e6f")
VERSION = "1.0.0"


def _uuid(name: str) -> str:
    """Stable uuids: re-importing updates the same objects instead of adding copies."""
    return str(uuid.uuid5(_NS, name))


@dataclass(frozen=True)
class Dataset:
    name: str
    sql: str  # ``{gold}``/``{bronze}`` stand for the layer roots (s3://<bucket>)
    columns: tuple[tuple[str, str], ...]
    description: str


@dataclass(frozen=True)
class Chart:
    name: str
    dataset: str
    viz_type: str
    metric_sql: str
    metric_label: str
    description: str
    groupby: tuple[str, ...] = ()
    number_format: str = ",d"


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "gold_completed_trips",
        "select trip_id, correlation_id, date_key, pickup_zone_id, dropoff_zone_id, driver_id, fare, completed_at\n"
        "from delta_scan('{gold}/fact_trips')",
        (
            ("trip_id", "VARCHAR"),
            ("correlation_id", "VARCHAR"),
            ("date_key", "INTEGER"),
            ("pickup_zone_id", "VARCHAR"),
            ("dropoff_zone_id", "VARCHAR"),
            ("driver_id", "VARCHAR"),
            ("fare", "DOUBLE"),
            ("completed_at", "TIMESTAMP WITH TIME ZONE"),
        ),
        "Gold fact_trips: one row per completed trip.",
    ),
    Dataset(
        "gold_payments",
        "select payment_id, trip_id, correlation_id, date_key, fare_amount, platform_fee_amount,\n"
        "       driver_payout_amount, currency\n"
        "from delta_scan('{gold}/fact_payments')",
        (
            ("payment_id", "VARCHAR"),
            ("trip_id", "VARCHAR"),
            ("correlation_id", "VARCHAR"),
            ("date_key", "INTEGER"),
            ("fare_amount", "DOUBLE"),
            ("platform_fee_amount", "DOUBLE"),
            ("driver_payout_amount", "DOUBLE"),
            ("currency", "VARCHAR"),
        ),
        "Gold fact_payments: one row per payment (revenue = fares paid, as agg_daily_platform_revenue).",
    ),
    Dataset(
        "bronze_dlq_errors",
        "select error_type, error_message, correlation_id, _kafka_topic as topic, _ingested_at as ingested_at\n"
        "from delta_scan('{bronze}/dlq')",
        (
            ("error_type", "VARCHAR"),
            ("error_message", "VARCHAR"),
            ("correlation_id", "VARCHAR"),
            ("topic", "VARCHAR"),
            ("ingested_at", "TIMESTAMP WITH TIME ZONE"),
        ),
        "Bronze DLQ: records the streaming job could not ingest, with their error type.",
    ),
    Dataset(
        "gold_trips_by_zone",
        "select f.trip_id, f.correlation_id, f.date_key, f.pickup_zone_id as zone_id, z.zone_name\n"
        "from delta_scan('{gold}/fact_trips') f\n"
        "left join delta_scan('{gold}/dim_zones') z on z.zone_id = f.pickup_zone_id",
        (
            ("trip_id", "VARCHAR"),
            ("correlation_id", "VARCHAR"),
            ("date_key", "INTEGER"),
            ("zone_id", "VARCHAR"),
            ("zone_name", "VARCHAR"),
        ),
        "Completed trips (Gold fact_trips) with their pickup zone (dim_zones).",
    ),
)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "Completed trips",
        "gold_completed_trips",
        "big_number_total",
        "COUNT(*)",
        "completed_trips",
        "Completed trips in Gold fact_trips.",
    ),
    Chart(
        "Revenue",
        "gold_payments",
        "big_number_total",
        "SUM(fare_amount)",
        "revenue",
        "Gross revenue: sum of the fares paid (Gold fact_payments).",
        number_format=",.2f",
    ),
    Chart(
        "DLQ errors",
        "bronze_dlq_errors",
        "big_number_total",
        "COUNT(*)",
        "dlq_errors",
        "Records in the Bronze dead-letter table.",
    ),
    Chart(
        "Trips by zone",
        "gold_trips_by_zone",
        "table",
        "COUNT(*)",
        "trips",
        "Completed trips per pickup zone.",
        groupby=("zone_name",),
    ),
)
CHART_NAMES: tuple[str, ...] = tuple(c.name for c in CHARTS)


def _metric(chart: Chart) -> dict[str, Any]:
    return {
        "expressionType": "SQL",
        "sqlExpression": chart.metric_sql,
        "label": chart.metric_label,
        "optionName": f"metric_{chart.metric_label}",
        "hasCustomLabel": True,
    }


def chart_params(chart: Chart) -> dict[str, Any]:
    """The chart's form data (``params``), as the Explore view saves it."""
    params: dict[str, Any] = {"viz_type": chart.viz_type, "adhoc_filters": [], "row_limit": 1000}
    if chart.viz_type == "big_number_total":
        params.update(
            metric=_metric(chart),
            header_font_size=0.4,
            subheader_font_size=0.15,
            y_axis_format=chart.number_format,
            time_format="smart_date",
        )
    else:
        params.update(
            query_mode="aggregate",
            groupby=list(chart.groupby),
            metrics=[_metric(chart)],
            all_columns=[],
            percent_metrics=[],
            order_desc=True,
            timeseries_limit_metric=_metric(chart),
            table_timestamp_format="smart_date",
            show_cell_bars=False,
            server_pagination=False,
        )
    return params


def _database(extension_files: dict[str, str], secret_dir: str) -> dict[str, Any]:
    connect_args = {
        # LOAD '<file>' for each: the wheels' binaries, never a download (a no-op once the
        # process's shared instance has them, see duckdb_gold).
        "preload_extensions": [f"'{extension_files['httpfs']}'", f"'{extension_files['delta']}'"],
        "config": duckdb_gold.connect_config(secret_dir),
    }
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": duckdb_gold.SQLALCHEMY_URI,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"engine_params": {"connect_args": connect_args}, "allows_virtual_table_explore": True},
        "uuid": _uuid("database"),
        "version": VERSION,
    }


def _dataset(ds: Dataset, roots: dict[str, str]) -> dict[str, Any]:
    return {
        "table_name": ds.name,
        "main_dttm_col": None,
        "description": ds.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "schema": "main",
        "sql": ds.sql.format(**roots),
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": _uuid(f"dataset:{ds.name}"),
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "COUNT(*)",
                "description": None,
                "d3format": None,
                "extra": None,
                "warning_text": None,
            }
        ],
        "columns": [
            {
                "column_name": name,
                "verbose_name": None,
                "is_dttm": "TIMESTAMP" in ctype,
                "is_active": True,
                "type": ctype,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": None,
            }
            for name, ctype in ds.columns
        ],
        "version": VERSION,
        "database_uuid": _uuid("database"),
    }


def _chart(chart: Chart) -> dict[str, Any]:
    return {
        "slice_name": chart.name,
        "description": chart.description,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": chart_params(chart),
        "query_context": None,
        "cache_timeout": None,
        "uuid": _uuid(f"chart:{chart.name}"),
        "version": VERSION,
        "dataset_uuid": _uuid(f"dataset:{chart.dataset}"),
    }


def _dashboard() -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1", "ROW-2"], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": DASHBOARD_TITLE}},
    }
    rows = {"ROW-1": CHARTS[:3], "ROW-2": CHARTS[3:]}
    for row_id, charts in rows.items():
        children = []
        for chart in charts:
            cid = f"CHART-{_uuid(chart.name)[:8]}"
            children.append(cid)
            position[cid] = {
                "type": "CHART",
                "id": cid,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "width": 4 if row_id == "ROW-1" else 12,
                    "height": 40,
                    "chartId": 0,
                    "uuid": _uuid(f"chart:{chart.name}"),
                    "sliceName": chart.name,
                },
            }
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": children,
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
    native_filter = {
        "id": NATIVE_FILTER_ID,
        "name": "Correlation id",
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "description": "Narrows every chart to the events of one test (their correlation id).",
        "targets": [{"datasetUuid": _uuid("dataset:gold_completed_trips"), "column": {"name": "correlation_id"}}],
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "controlValues": {
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "multiSelect": True,
            "searchAllOptions": True,
            "inverseSelection": False,
        },
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
    }
    return {
        "dashboard_title": DASHBOARD_TITLE,
        "description": None,
        "css": "",
        "slug": DASHBOARD_SLUG,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": _uuid("dashboard:operations"),
        "position": position,
        "metadata": {
            "native_filter_configuration": [native_filter],
            "color_scheme": "",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": False,
            "default_filters": "{}",
            "chart_configuration": {},
        },
        "version": VERSION,
    }


def bundle(roots: dict[str, str], extension_files: dict[str, str], secret_dir: str) -> dict[str, str]:
    """The import bundle for this instance: ``roots`` are the layer roots (``{"gold": "s3://gold", …}``)."""
    files: dict[str, Any] = {
        "metadata.yaml": {"version": VERSION, "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"},
        "databases/Lakehouse_Gold.yaml": _database(extension_files, secret_dir),
        **{f"datasets/Lakehouse_Gold/{ds.name}.yaml": _dataset(ds, roots) for ds in DATASETS},
        **{f"charts/{c.name.replace(' ', '_')}.yaml": _chart(c) for c in CHARTS},
        "dashboards/Operations.yaml": _dashboard(),
    }
    return {path: json.dumps(content, indent=2) for path, content in files.items()}
