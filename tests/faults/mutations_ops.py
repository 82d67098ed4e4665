"""Mutations of issue 10, deliverable 5: slowly changing dimensions, failure propagation in orchestration,
and network exposure. Each is a realistic one-line slip that passed every suite before its test existed."""

from __future__ import annotations

from tests.faults.mutation import AIRFLOW, Mutation

NETWORK = "suites/01_foundation/network_exposure.robot"
ORCHESTRATION = "suites/03_cross_phase/orchestration_failures.robot"
DIMENSIONS = "suites/02_data_flows/dimensions.robot"

MUTATIONS: tuple[Mutation, ...] = (
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
