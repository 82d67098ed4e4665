"""Domain keywords over the medallion layers: what Bronze, Silver and Gold must hold for a test's events.

Suites say *what* must be true in the domain's words (``Silver Trips Should Be Deduplicated``,
``Gold Revenue For Day Should Be``); the SQL lives here. Tables are named ``<layer>.<table>`` and
resolved to the target's buckets by the query engine, so the keywords work on any platform the
target describes. Every check reads the latest committed Delta version once: run them after the
data is known to be there (`Wait For Bronze Rows`, a dbt build).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from robot.api.deco import keyword

from lhkit import htmllog

from .context import LakehouseComponent
from .diff import normalise

AREA = "Lakehouse"
FACT_TRIPS = "gold.fact_trips"
DIM_ZONES = "gold.dim_zones"
DAILY_REVENUE = "gold.agg_daily_platform_revenue"
ZONE_DEMAND = "gold.agg_hourly_zone_demand"
SILVER_TRIPS = "silver.stg_trips"
DLQ_ALERT_PREFIX = "_alerts/dlq_monitoring"


class MedallionKeywords(LakehouseComponent):
    """Assertions and getters over Bronze, Silver and Gold in the rideshare domain's words."""

    # --- Bronze -------------------------------------------------------------------------
    @keyword(tags=("Assertion", AREA))
    def bronze_rows_should_carry_kafka_metadata(self, topic: str, correlation_id: str) -> int:
        """Every Bronze row of ``correlation_id`` from ``topic`` carries its Kafka metadata.

        Checks per row: ``_kafka_topic`` is the topic's physical name on the broker,
        ``_kafka_timestamp`` and ``_ingested_at`` are set, ``correlation_id`` is the test's, and the
        partition column ``_ingestion_date`` is the UTC date of ``_ingested_at``. Fails if there is
        no row at all. Returns the number of rows checked.

        | Wait For Bronze Rows | trips | ${cid} | count=6 |
        | Bronze Rows Should Carry Kafka Metadata | trips | ${cid} |
        """
        table = f"bronze.{self.target.bronze_table(topic)}"
        physical = self.target.topic_name(topic)
        rows = self._query(
            f"SELECT _kafka_topic, _kafka_partition, _kafka_offset, _kafka_timestamp, _ingested_at, "
            f"_ingestion_date, correlation_id FROM {table} WHERE correlation_id = ? "
            "ORDER BY _kafka_partition, _kafka_offset",
            [correlation_id],
            caption=f"Kafka metadata of {table} rows of {correlation_id}",
        )
        if not rows:
            raise AssertionError(f"{table} should hold rows of correlation_id '{correlation_id}', but holds none")
        problems: list[str] = []
        for row in rows:
            where = f"partition {row['_kafka_partition']} offset {row['_kafka_offset']}"
            if row["_kafka_topic"] != physical:
                problems.append(f"{where}: _kafka_topic should be '{physical}' but was '{row['_kafka_topic']}'")
            for column in ("_kafka_timestamp", "_ingested_at"):
                if row[column] is None:
                    problems.append(f"{where}: {column} should be set but was NULL")
            if row["correlation_id"] != correlation_id:
                seen = row["correlation_id"]
                problems.append(f"{where}: correlation_id should be '{correlation_id}' but was '{seen}'")
            day = _utc_date(row["_ingested_at"])
            if day is not None and row["_ingestion_date"] != day:
                problems.append(
                    f"{where}: _ingestion_date should be {day} (the UTC date of _ingested_at {row['_ingested_at']}) "
                    f"but was {row['_ingestion_date']}"
                )
        if problems:
            raise AssertionError(
                f"{len(problems)} problem(s) in the Kafka metadata of {len(rows)} {table} row(s) of "
                f"'{correlation_id}':\n" + "\n".join(problems[:20])
            )
        return len(rows)

    @keyword(tags=("Assertion", AREA))
    def bronze_gps_pings_per_driver_should_be(self, correlation_id: str, drivers: int, pings: int) -> dict[str, int]:
        """Bronze holds exactly ``pings`` GPS pings of ``correlation_id`` for each of exactly ``drivers`` drivers.

        Drivers are the pings' ``entity_id`` (the Kafka key of ``gps-pings``). Returns
        ``{driver id: number of pings}``.

        | ${pings}= | Build Gps Pings | ${cid} | drivers=5 | pings=20 |
        | Bronze Gps Pings Per Driver Should Be | ${cid} | drivers=5 | pings=20 |
        """
        table = f"bronze.{self.target.bronze_table('gps-pings')}"
        rows = self._query(
            f"SELECT json_extract_string(_raw_value, '$.entity_id') AS driver, count(*) AS pings FROM {table} "
            "WHERE correlation_id = ? GROUP BY 1 ORDER BY 1",
            [correlation_id],
            caption=f"GPS pings per driver in {table} of {correlation_id}",
        )
        counts = {str(r["driver"]): int(r["pings"]) for r in rows}
        wrong = {d: n for d, n in counts.items() if n != int(pings)}
        if len(counts) != int(drivers) or wrong:
            raise AssertionError(
                f"{table} should hold {pings} ping(s) for each of {drivers} driver(s) of '{correlation_id}'; "
                f"saw {len(counts)} driver(s) with ping counts {counts}"
                + (f" ({len(wrong)} driver(s) with another count than {pings})" if wrong else "")
            )
        return counts

    # --- Silver -------------------------------------------------------------------------
    @keyword(tags=("Assertion", AREA))
    def silver_trips_should_be_deduplicated(self, correlation_id: str, events: int) -> None:
        """``silver.stg_trips`` holds each of the ``events`` trip events of ``correlation_id`` exactly once.

        Catches a redelivered Kafka record (same ``event_id``) surviving into Silver, and events
        lost on the way. Fails naming the event ids seen more than once.

        | Publish Events | trips | ${events} | correlation_id=${cid} |
        | Publish Event | trips | ${events}[0] | correlation_id=${cid} |
        | Build Silver Layer |
        | Silver Trips Should Be Deduplicated | ${cid} | events=6 |
        """
        rows = self._query(
            f"SELECT event_id, count(*) AS copies FROM {SILVER_TRIPS} WHERE correlation_id = ? "
            "GROUP BY event_id ORDER BY copies DESC, event_id",
            [correlation_id],
            caption=f"Trip events of {correlation_id} in {SILVER_TRIPS}",
        )
        total = sum(int(r["copies"]) for r in rows)
        duplicated = {r["event_id"]: int(r["copies"]) for r in rows if int(r["copies"]) > 1}
        if duplicated or len(rows) != int(events):
            raise AssertionError(
                f"{SILVER_TRIPS} should hold {events} distinct event(s) of '{correlation_id}' once each; saw "
                f"{total} row(s) of {len(rows)} distinct event(s)"
                + (f", event ids more than once: {duplicated}" if duplicated else "")
            )

    # --- Gold: facts ------------------------------------------------------------------
    @keyword(tags=("Getter", AREA))
    def get_fact_trip(self, correlation_id: str) -> dict[str, Any]:
        """Returns the one ``gold.fact_trips`` row of ``correlation_id``; fails unless there is exactly one.

        | ${fact}= | Get Fact Trip | ${cid} |
        | Should Be Equal As Numbers | ${fact}[fare] | ${trip}[trips][-1][fare] |
        """
        rows = self._query(
            f"SELECT * FROM {FACT_TRIPS} WHERE correlation_id = ?",
            [correlation_id],
            caption=f"{FACT_TRIPS} of {correlation_id}",
        )
        if len(rows) != 1:
            trips = sorted({str(r.get("trip_id")) for r in rows})
            raise AssertionError(
                f"{FACT_TRIPS} should hold exactly one row of correlation_id '{correlation_id}', "
                f"but holds {len(rows)}" + (f" (trips {', '.join(trips)})" if trips else "")
            )
        return rows[0]

    @keyword(tags=("Assertion", AREA))
    def fact_trip_should_be(self, correlation_id: str, **columns: Any) -> dict[str, Any]:
        """The ``gold.fact_trips`` row of ``correlation_id`` has the given column values.

        Named arguments are columns; numbers compare by value (``12.50`` equals ``12.5``), ``NULL``
        or ``${None}`` means NULL. Returns the row.

        | Fact Trip Should Be | ${cid} | fare=${trip}[trips][-1][fare] | date_key=${date_key} |
        """
        row = self.get_fact_trip(correlation_id)
        _should_match(row, columns, f"{FACT_TRIPS} row of '{correlation_id}'")
        return row

    @keyword(tags=("Assertion", AREA))
    def fact_trip_should_have_zone(
        self, correlation_id: str, pickup_zone_id: str, dropoff_zone_id: str | None = None
    ) -> dict[str, Any]:
        """The ``gold.fact_trips`` row of ``correlation_id`` joins the ``gold.dim_zones`` row of its zones.

        ``pickup_zone_key`` (and ``dropoff_zone_key`` when ``dropoff_zone_id`` is given) must be
        set, and must be the key of the ``dim_zones`` row of the zone the event named. A zone id
        that is missing from the zones seed leaves the key NULL: the trip is counted in no zone.
        Returns ``{pickup_zone_name, dropoff_zone_name}`` as ``dim_zones`` names them.

        | ${events}= | Build Trip Lifecycle | ${cid} |
        | ... |
        | Fact Trip Should Have Zone | ${cid} | ${events}[-1][pickup_zone_id] | ${events}[-1][dropoff_zone_id] |
        """
        rows = self._query(
            f"SELECT f.trip_id, f.pickup_zone_id, f.pickup_zone_key, pz.zone_id AS pickup_dim_zone_id, "
            f"pz.zone_name AS pickup_zone_name, f.dropoff_zone_id, f.dropoff_zone_key, "
            f"dz.zone_id AS dropoff_dim_zone_id, dz.zone_name AS dropoff_zone_name "
            f"FROM {FACT_TRIPS} f LEFT JOIN {DIM_ZONES} pz ON pz.zone_key = f.pickup_zone_key "
            f"LEFT JOIN {DIM_ZONES} dz ON dz.zone_key = f.dropoff_zone_key WHERE f.correlation_id = ?",
            [correlation_id],
            caption=f"Zones of the {FACT_TRIPS} row of {correlation_id}",
        )
        if len(rows) != 1:
            raise AssertionError(
                f"{FACT_TRIPS} should hold exactly one row of correlation_id '{correlation_id}', but holds {len(rows)}"
            )
        row = rows[0]
        problems: list[str] = []
        ends = [("pickup", pickup_zone_id)] + ([("dropoff", dropoff_zone_id)] if dropoff_zone_id is not None else [])
        for end, zone_id in ends:
            if row[f"{end}_zone_id"] != zone_id:
                problems.append(f"{end}_zone_id should be '{zone_id}' (the event's) but was '{row[f'{end}_zone_id']}'")
            if row[f"{end}_zone_key"] is None:
                problems.append(f"{end}_zone_key should be the key of zone '{zone_id}' but was NULL: "
                                f"'{row[f'{end}_zone_id']}' has no row in {DIM_ZONES}")
            elif row[f"{end}_dim_zone_id"] != zone_id or not row[f"{end}_zone_name"]:
                problems.append(f"{end}_zone_key should lead to zone '{zone_id}' in {DIM_ZONES} but leads to "
                                f"'{row[f'{end}_dim_zone_id']}' named '{row[f'{end}_zone_name']}'")
        if problems:
            raise AssertionError(
                f"Trip {row['trip_id']} of '{correlation_id}' in {FACT_TRIPS} does not join its zones:\n"
                + "\n".join(problems)
            )
        return {"pickup_zone_name": row["pickup_zone_name"], "dropoff_zone_name": row["dropoff_zone_name"]}

    # --- Gold: aggregates -------------------------------------------------------------
    @keyword(tags=("Getter", AREA))
    def get_gold_revenue_for_day(self, date_key: int) -> dict[str, Any]:
        """Returns the ``gold.agg_daily_platform_revenue`` row of ``date_key`` (``YYYYMMDD``), or an empty
        dictionary when the day has no revenue or Gold has not been built yet.

        | ${day}= | Get Gold Revenue For Day | 20250304 |
        """
        if not self.engine().table_exists(DAILY_REVENUE):
            return {}
        rows = self._query(
            f"SELECT * FROM {DAILY_REVENUE} WHERE date_key = ?",
            [int(date_key)],
            caption=f"{DAILY_REVENUE} of {date_key}",
        )
        return rows[0] if rows else {}

    @keyword(tags=("Assertion", AREA))
    def gold_revenue_for_day_should_be(self, date_key: int, **columns: Any) -> dict[str, Any]:
        """The day's ``gold.agg_daily_platform_revenue`` row has the given figures.

        Named arguments are columns (``completed_trips``, ``payments``, ``gross_revenue``,
        ``platform_fees``, ``driver_payouts``, ``effective_fee_pct``); numbers compare by value.
        Returns the row.

        | Gold Revenue For Day Should Be | ${date_key} | completed_trips=1 | payments=1 |
        | ... | gross_revenue=${payment}[fare_amount] | platform_fees=${payment}[platform_fee_amount] |
        """
        row = self.get_gold_revenue_for_day(date_key)
        if not row:
            raise AssertionError(f"{DAILY_REVENUE} should have a row for day {date_key} with "
                                 f"{_pairs(columns)}, but has none")
        _should_match(row, columns, f"{DAILY_REVENUE} row of day {date_key}")
        return row

    @keyword(tags=("Assertion", AREA))
    def gold_revenue_for_day_should_be_empty(self, date_key: int, message: str | None = None) -> None:
        """No revenue is recorded in Gold for ``date_key``. A Gold layer not built yet counts as empty.

        Guards exact-figure tests: the day they use must hold no other trip's payment.

        | Gold Revenue For Day Should Be Empty | ${date_key} |
        """
        row = self.get_gold_revenue_for_day(date_key)
        if row:
            raise AssertionError(message or f"{DAILY_REVENUE} should have no row for day {date_key}, but has "
                                 f"{_pairs(row)}")

    @keyword(tags=("Assertion", AREA))
    def gold_zone_demand_for_day_should_be(self, date_key: int, **columns: Any) -> dict[str, Any]:
        """The day's totals over every zone and hour of ``gold.agg_hourly_zone_demand`` are as given.

        Totals: ``requested_trips``, ``completed_trips``, ``cancelled_trips`` and
        ``completion_rate`` (completed / requested over the day). Returns the totals.

        | Gold Zone Demand For Day Should Be | ${date_key} | requested_trips=1 | completed_trips=1 | completion_rate=1 |
        """
        rows = self._query(
            "SELECT sum(requested_trips) AS requested_trips, sum(completed_trips) AS completed_trips, "
            "sum(cancelled_trips) AS cancelled_trips, "
            "round(sum(completed_trips) / nullif(sum(requested_trips), 0), 4) AS completion_rate "
            f"FROM {ZONE_DEMAND} WHERE date_key = ?",
            [int(date_key)],
            caption=f"Zone demand totals of day {date_key}",
        )
        totals = rows[0]
        if totals["requested_trips"] is None:
            raise AssertionError(f"{ZONE_DEMAND} should have rows for day {date_key} with totals "
                                 f"{_pairs(columns)}, but has none")
        _should_match(totals, columns, f"{ZONE_DEMAND} totals of day {date_key}")
        return totals

    # --- Gold: the DLQ monitor's alert records ----------------------------------------
    @keyword(name="Get DLQ Alert Record", tags=("Getter", AREA))
    def get_dlq_alert_record(self, run_id: str, prefix: str = DLQ_ALERT_PREFIX) -> dict[str, Any]:
        """Returns the alert record the ``dlq_monitoring`` DAG wrote for ``run_id`` to the Gold bucket.

        The record is ``<gold bucket>/<prefix>/<run_id>.json``; fails if it is missing or is not a
        JSON object.

        | ${alert}= | Get DLQ Alert Record | ${run_id} |
        | Should Be Equal | ${alert}[correlation_id] | ${cid} |
        """
        from botocore.exceptions import ClientError

        bucket = self.target.bucket("gold")
        key = f"{prefix.strip('/')}/{run_id}.json"
        try:
            body = self.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise AssertionError(f"DLQ alert record s3://{bucket}/{key} should exist but does not") from None
            raise
        text = body.decode("utf-8", errors="replace")
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            raise AssertionError(f"DLQ alert record s3://{bucket}/{key} should be a JSON object but is '{text[:200]}'")
        htmllog.log_json(record, title=f"s3://{bucket}/{key}")
        return record

    @keyword(name="DLQ Alert Record Should Not Exist", tags=("Assertion", AREA))
    def dlq_alert_record_should_not_exist(self, run_id: str, prefix: str = DLQ_ALERT_PREFIX) -> None:
        """The ``dlq_monitoring`` run ``run_id`` wrote no alert record to the Gold bucket.

        | DLQ Alert Record Should Not Exist | ${run_id} |
        """
        bucket = self.target.bucket("gold")
        key = f"{prefix.strip('/')}/{run_id}.json"
        listing = self.s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=10)
        found = [o["Key"] for o in listing.get("Contents", []) if o["Key"] == key]
        if found:
            raise AssertionError(f"DLQ alert record s3://{bucket}/{key} should not exist, but the run wrote it")

    # --- helpers ----------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[Any], caption: str) -> list[dict[str, Any]]:
        rows = self.engine().query(sql, list(params))
        htmllog.log_table(rows, caption=caption)
        return rows


def _utc_date(value: Any) -> date | None:
    if not isinstance(value, datetime):
        return None
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _should_match(row: Mapping[str, Any], expected: Mapping[str, Any], what: str) -> None:
    """Fail naming every expected column that differs (or is not a column), with the value seen."""
    unknown = [k for k in expected if k not in row]
    if unknown:
        raise ValueError(f"{what} has no column(s) {', '.join(unknown)}; columns: {', '.join(row)}")
    differing = [k for k, v in expected.items() if normalise(v) != normalise(row[k])]
    if differing:
        raise AssertionError(
            f"{what} should have {_pairs({k: expected[k] for k in differing})} but has "
            f"{_pairs({k: row[k] for k in differing})} (all expected: {_pairs(expected)})"
        )
