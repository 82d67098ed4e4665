"""Mutations of issue 10, deliverable 5: lineage metadata checked against an independent source, boundary
conditions of filters, and time zones and day boundaries. Each is a realistic one-line slip that passed every
suite before its test existed (the tests are in ``suites/02_data_flows/{lineage,bronze_edges,silver_gold_edges}``)."""

from __future__ import annotations

from tests.faults.mutation import Mutation

LINEAGE = "suites/02_data_flows/lineage.robot"
BRONZE_EDGES = "suites/02_data_flows/bronze_edges.robot"
EDGES = "suites/02_data_flows/silver_gold_edges.robot"
STREAMING = ("bronze-streaming",)
MODELS = "lakehouse/dbt/models"

MUTATIONS: tuple[Mutation, ...] = (
    # --- lineage: what Bronze and the log claim about a record, against the broker and the Delta log --------
    Mutation(
        "bronze-kafka-timestamp-is-ingestion-time",
        "the streaming job writes the batch's ingestion time into _kafka_timestamp instead of the record's "
        "timestamp on the broker (the column stays non-NULL, so only a check against the broker sees it)",
        "lakehouse/streaming/app.py",
        '                "_kafka_timestamp": meta.column("timestamp").cast(pa.timestamp("us", tz="UTC")),',
        '                "_kafka_timestamp": [now] * n,',
        LINEAGE,
        "Bronze Kafka Metadata Is What The Broker Acknowledged",
        STREAMING,
    ),
    Mutation(
        "lineage-trail-names-batch-as-delta-version",
        "the job's commit record (/commits.json, the lineage trail in log.html) stores the batch id as the Delta "
        "version: both grow, but a table is not committed in every batch",
        "lakehouse/streaming/metrics.py",
        '{"table": table, "batch_id": batch_id, "delta_version": version, "offsets": offsets or {}}',
        '{"table": table, "batch_id": batch_id, "delta_version": batch_id, "offsets": offsets or {}}',
        LINEAGE,
        "The Lineage Trail Names The Delta Version That Wrote Each Row",
        STREAMING,
    ),
    # --- boundaries of filters: each side of a range, each axis of a box, inclusive edges --------------------
    Mutation(
        "oversize-limit-excludes-its-edge",
        "the size check rejects a record of exactly the limit (>= instead of >), dead-lettering valid events",
        "lakehouse/streaming/routing.py",
        "    if len(raw) > max_bytes:",
        "    if len(raw) >= max_bytes:",
        BRONZE_EDGES,
        "A Record Of Exactly The Size Limit Lands In Bronze And One Byte More Is Oversize",
        STREAMING,
    ),
    Mutation(
        "gps-outliers-forget-the-south",
        "anomalies_gps_outliers checks only the northern edge of the São Paulo box: a ping south of it is dropped "
        "from stg_gps_pings and recorded nowhere",
        f"{MODELS}/silver/anomalies/anomalies_gps_outliers.sql",
        "       or lat not between {{ var('sp_lat_min') }} and {{ var('sp_lat_max') }}",
        "       or lat > {{ var('sp_lat_max') }}",
        EDGES,
        "Each Side Of The Sao Paulo Box Is Inclusive And One Step Past It Is An Outlier",
    ),
    Mutation(
        "gps-outliers-longitude-edges-exclusive",
        "anomalies_gps_outliers treats the box's east and west edges as outside, so a ping on the edge is both "
        "in stg_gps_pings and an outlier",
        f"{MODELS}/silver/anomalies/anomalies_gps_outliers.sql",
        "       or lon not between {{ var('sp_lon_min') }} and {{ var('sp_lon_max') }})",
        "       or lon <= {{ var('sp_lon_min') }} or lon >= {{ var('sp_lon_max') }})",
        EDGES,
        "Each Side Of The Sao Paulo Box Is Inclusive And One Step Past It Is An Outlier",
    ),
    Mutation(
        "impossible-speed-jitter-tolerance-500-m",
        "the 50 m GPS jitter tolerance is written as 0.5 km, so hops under 500 m are never impossible speeds",
        f"{MODELS}/silver/anomalies/anomalies_impossible_speeds.sql",
        "where distance_km > 0.05",
        "where distance_km > 0.5",
        EDGES,
        "A 300 m Hop In Two Seconds Is An Impossible Speed But GPS Jitter Is Not",
    ),
    Mutation(
        "ratings-one-star-excluded",
        "stg_ratings keeps ratings above 1 (exclusive lower edge): one-star ratings vanish from Silver and Gold",
        f"{MODELS}/silver/staging/stg_ratings.sql",
        "  and rating between 1 and 5",
        "  and rating > 1 and rating <= 5",
        EDGES,
        "One-Star And Five-Star Ratings Both Reach Silver",
    ),
    Mutation(
        "payments-zero-fare-excluded",
        "stg_payments requires a positive fare (> 0 instead of >= 0): fully discounted rides lose their payment",
        f"{MODELS}/silver/staging/stg_payments.sql",
        "  and fare_amount >= 0 and platform_fee_amount >= 0",
        "  and fare_amount > 0 and platform_fee_amount >= 0",
        EDGES,
        "A Fully Discounted Ride Paying Zero Reaches Silver",
    ),
    # --- time zones and day boundaries -------------------------------------------------------------------------
    Mutation(
        "event-time-offset-dropped",
        "Silver parses event timestamps as TIMESTAMP (no time zone): DuckDB drops the '-03:00' offset and keeps "
        "the local wall-clock time, three hours off",
        "lakehouse/dbt/macros/bronze.sql",
        "{% macro json_ts(field='timestamp') -%} try_cast(j->>'$.{{ field }}' as timestamptz) {%- endmacro %}",
        "{% macro json_ts(field='timestamp') -%} try_cast(j->>'$.{{ field }}' as timestamp) {%- endmacro %}",
        EDGES,
        "An Event Time With A UTC Offset Is Read As Its UTC Instant",
    ),
    Mutation(
        "dbt-session-in-sao-paulo-time",
        "the dbt plugin sets the DuckDB session time zone to the business's (America/Sao_Paulo): every date key "
        "computed from a timestamp is the local day, so trips between 00:00 and 03:00 UTC count a day early",
        "lakehouse/dbt/plugins/lakehouse_delta.py",
        "        cursor.execute(\"SET TimeZone = 'UTC'\")",
        "        cursor.execute(\"SET TimeZone = 'America/Sao_Paulo'\")",
        EDGES,
        "A Trip Completed Just After Midnight UTC Counts On The Day It Completed",
    ),
    Mutation(
        "dim-time-weekend-by-dayofweek",
        "dim_time's weekend uses dayofweek (Sunday = 0) with ISO numbers (6, 7): Sundays are weekdays",
        f"{MODELS}/gold/dimensions/dim_time.sql",
        "  isodow(d) in (6, 7) as is_weekend",
        "  dayofweek(d) in (6, 7) as is_weekend",
        EDGES,
        "The Calendar Marks Saturdays And Sundays As The Weekend Across New Year",
    ),
)
