"""Mutations of issue 10, deliverable 5: slowly changing dimensions, failure propagation in orchestration,
and network exposure. Each is a realistic one-line slip that passed every suite before its test existed."""

from __future__ import annotations

from tests.faults.mutation import AIRFLOW, Mutation

NETWORK = "suites/01_foundation/network_exposure.robot"
ORCHESTRATION = "suites/03_cross_phase/orchestration_failures.robot"
DIMENSIONS = "suites/02_data_flows/dimensions.robot"

MUTATIONS: tuple[Mutation, ...] = (
    # --- slowly changing dimensions: more than one version of an entity --------------------------------------
    Mutation(
        "stg-driver-profiles-drops-updates",
        "stg_driver_profiles keeps driver.created only, so a driver's later profile versions never reach "
        "dim_drivers (one version per driver, the first)",
        "lakehouse/dbt/models/silver/staging/stg_driver_profiles.sql",
        "  and event_type in ('driver.created', 'driver.updated')",
        "  and event_type = 'driver.created'",
        DIMENSIONS,
        "A Driver Updated Twice Has Three Chained Versions And The Last Is Current",
    ),
    Mutation(
        "dim-drivers-chained-in-arrival-order",
        "dim_drivers chains versions in Kafka arrival order instead of event time, so a late-arriving old "
        "version closes a newer one and the wrong version is current",
        "lakehouse/dbt/models/gold/dimensions/dim_drivers.sql",
        "    lead(event_ts) over (partition by driver_id order by event_ts, _kafka_offset) as next_ts",
        "    lead(event_ts) over (partition by driver_id order by _kafka_offset) as next_ts",
        DIMENSIONS,
        "A Driver Updated Twice Has Three Chained Versions And The Last Is Current",
    ),
    Mutation(
        "dim-riders-keeps-first-version",
        "dim_riders picks the oldest profile version (the 'desc' on event time forgotten), so updates to a "
        "rider's email, name and payment method never show",
        "lakehouse/dbt/models/gold/dimensions/dim_riders.sql",
        "qualify row_number() over (partition by rider_id order by event_ts desc, _kafka_offset desc) = 1",
        "qualify row_number() over (partition by rider_id order by event_ts, _kafka_offset desc) = 1",
        DIMENSIONS,
        "A Rider Updated Twice Shows The Latest Profile First Seen At Creation",
    ),
    Mutation(
        "fact-trips-driver-version-start-exclusive",
        "fact_trips joins driver versions on (valid_from, valid_to): a trip completed at the very moment a "
        "profile changed matches no version and loses its driver_key",
        "lakehouse/dbt/models/gold/facts/fact_trips.sql",
        " and c.event_ts >= d.valid_from and (d.valid_to is null or c.event_ts < d.valid_to)",
        " and c.event_ts > d.valid_from and (d.valid_to is null or c.event_ts < d.valid_to)",
        DIMENSIONS,
        "Facts Join The Driver Version Valid When They Happened",
    ),
    Mutation(
        "fact-payments-joins-current-driver",
        "fact_payments joins the driver's current version instead of the one valid when the payment was made",
        "lakehouse/dbt/models/gold/facts/fact_payments.sql",
        " and p.event_ts >= d.valid_from and (d.valid_to is null or p.event_ts < d.valid_to)",
        " and d.is_current",
        DIMENSIONS,
        "Facts Join The Driver Version Valid When They Happened",
    ),
    # --- failure propagation in orchestration: a broken run must end failed, naming the task ------------------
    Mutation(
        "dlq-missing-table-reads-as-no-errors",
        "count_dlq_rows treats a missing DLQ table as zero dead letters, so the monitor branches to no_alert and "
        "the run succeeds while it watches nothing",
        "lakehouse/airflow/dags/dlq_monitoring.py",
        '            raise RuntimeError(f"DLQ table {uri} does not exist: {error}") from None',
        '            return {"counts": {}, "error_types": {}, "total": 0, "dlq_uri": uri}',
        ORCHESTRATION,
        "DLQ Monitoring Fails When The DLQ Table Does Not Exist",
        AIRFLOW,
    ),
    Mutation(
        "dlq-join-runs-whatever-happened",
        "a join task after the alert branch has trigger rule all_done, so it succeeds after a failed send_alert "
        "and, as the only leaf, turns the run green",
        "lakehouse/airflow/dags/dlq_monitoring.py",
        '    decision >> [send_alert(summary), EmptyOperator(task_id="no_alert")]',
        '    decision >> [send_alert(summary), EmptyOperator(task_id="no_alert")] >> EmptyOperator(task_id="done", '
        'trigger_rule="all_done")',
        ORCHESTRATION,
        "DLQ Monitoring Fails When Its Alert Cannot Be Written",
        AIRFLOW,
    ),
    # --- network exposure: the platform promises every service binds 127.0.0.1 ------------------------------
    Mutation(
        "alertmanager-gossip-on-all-interfaces",
        "Alertmanager's cluster listener is given the settings' port but no host, so its gossip port listens on "
        "every interface (TCP and UDP)",
        "lakehouse/catalogue/monitoring.py",
        '                "--cluster.listen-address=",',
        "                f\"--cluster.listen-address=:{s.ports['alertmanager_cluster']}\",",
        NETWORK,
        "Monitoring Services Listen On Loopback Only",
        ("alertmanager",),
    ),
    Mutation(
        "registry-management-on-all-interfaces",
        "the schema registry loses its management host setting, so Quarkus' management interface (health, "
        "metrics) listens on 0.0.0.0",
        "lakehouse/catalogue/core.py",
        '                f"-Dquarkus.management.host={s.host}",\n',
        "",
        NETWORK,
        "Core Services Listen On Loopback Only",
        ("schema-registry",),
    ),
    Mutation(
        "postgres-listens-everywhere",
        "Airflow's metadata database listens on every address (listen_addresses='*', the usual copy-paste)",
        "lakehouse/catalogue/quality_orchestration.py",
        '        "listen_addresses": s.host,',
        '        "listen_addresses": "*",',
        NETWORK,
        "Orchestration Services Listen On Loopback Only",
        ("postgres",),
    ),
)
