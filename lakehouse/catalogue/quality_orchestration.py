"""The ``quality-orchestration`` profile: PostgreSQL and Airflow 3.3 (plus Airflow 2.11 for API v1 tests).

Airflow 3 runs as separate processes (api-server, scheduler, dag-processor; no
``airflow standalone``, no triggerer) on the LocalExecutor with one PostgreSQL
database per Airflow instance. Settings follow ``shared/notes/airflow-superset-prometheus.md``:
parallelism 2 (the LocalExecutor pre-forks that many workers), scheduler idle
sleep 0.2 s (trigger to success ~0.5 s), new DAG files scanned every 5 s.

PostgreSQL refuses to run as root, so the server runs as the ``postgres`` OS user
(created by the Debian package) through ``setpriv``, which execs in place: the
runner signals the server itself, not a wrapper.

DAGs come from two bundles: ``lakehouse`` (the repository's
``lakehouse/airflow/dags``) and ``scratch`` (``<data>/airflow/dags-scratch``),
where tests drop throw-away DAG files (e.g. a broken one for import errors)
without touching the repository.

The ``airflow2-compat`` profile starts Airflow 2.11.2 (webserver + scheduler)
on ``ports['airflow2']``, sharing the PostgreSQL server; only the AirflowLibrary
``/api/v1`` compatibility tests need it. Its DAG folder is ``<data>/airflow2/dags``.

This module only declares. The hooks live in ``lakehouse/services/``: ``postgres.py``
(``initdb``, databases), ``airflow.py`` (folders, users file) and ``airflow2_init.py``
(the Airflow 2 one-shot). A scheduler or DAG processor is ready when its component says
``healthy`` in Airflow's health JSON (an ``http`` probe with ``expect=``): that endpoint
answers 200 whatever the components' state.
"""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.catalogue.base import Probe, Service
from lakehouse.provision.quality_orchestration import AIRFLOW2, AIRFLOW3, airflow_venv, pg_bin_dir
from lakehouse.settings import AIRFLOW_USER, Settings

PROFILE = "quality-orchestration"
AIRFLOW2_PROFILE = "airflow2-compat"
PG_USER = "postgres"
AIRFLOW3_DB = "airflow"
AIRFLOW2_DB = "airflow2"
HOOKS = "lakehouse.services.airflow"


# --- paths ----------------------------------------------------------------------
def pg_data_dir(s: Settings) -> Path:
    return s.data_dir / "postgres"


def pg_socket_dir(s: Settings) -> Path:
    return s.run_dir / "postgres"


def airflow3_home(s: Settings) -> Path:
    return s.data_dir / "airflow"


def airflow3_dags(s: Settings) -> Path:
    return s.repo_root / "lakehouse" / "airflow" / "dags"


def airflow3_scratch_dags(s: Settings) -> Path:
    """Bundle ``scratch``: throw-away DAG files written by tests."""
    return airflow3_home(s) / "dags-scratch"


def airflow2_home(s: Settings) -> Path:
    return s.data_dir / "airflow2"


def airflow2_dags(s: Settings) -> Path:
    return airflow2_home(s) / "dags"


def _pg_url(s: Settings, db: str) -> str:
    return f"postgresql+psycopg2://{PG_USER}@{s.host}:{s.ports['postgres']}/{db}"


def _pg_conf(s: Settings) -> dict[str, str]:
    return {
        "listen_addresses": s.host,  # loopback only; the unix socket lives in the run dir
        # Test data only: durability traded for speed and a small footprint.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "32MB",
        "max_connections": "100",
        "logging_collector": "off",
    }


def _task_env(s: Settings) -> dict[str, str]:
    """What DAG tasks need: this instance's names and layer roots, S3 access, the platform's
    own dbt and its lock file (``Settings.data_env``), and the repository on the path."""
    return {**s.data_env(), "LH_REPO_ROOT": str(s.repo_root), "PYTHONPATH": str(s.repo_root)}


def _path(venv: Path) -> str:
    return f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"


# --- Airflow 3 ------------------------------------------------------------------
def airflow3_env(s: Settings) -> dict[str, str]:
    home = airflow3_home(s)
    bundles = [
        {
            "name": "lakehouse",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(airflow3_dags(s))},
        },
        {
            "name": "scratch",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(airflow3_scratch_dags(s))},
        },
    ]
    base = f"http://{s.host}:{s.ports['airflow']}"
    return {
        "PATH": _path(airflow_venv(s, AIRFLOW3)),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(airflow3_dags(s)),
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{AIRFLOW_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__API__HOST": s.host,
        "AIRFLOW__API__PORT": str(s.ports["airflow"]),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": s.airflow_jwt_secret,
        "AIRFLOW__API__SECRET_KEY": s.airflow_secret_key,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _pg_url(s, AIRFLOW3_DB),
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "0",
        "AIRFLOW__DAG_PROCESSOR__STALE_DAG_THRESHOLD": "10",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # StatsD over UDP to the monitoring profile's statsd_exporter (lost if it is not running).
        # Modern names with InfluxDB-style tags (dag_id=...), which statsd_exporter turns into labels.
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": s.host,
        "AIRFLOW__METRICS__STATSD_PORT": str(s.ports["statsd_udp"]),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True",
        "AIRFLOW__METRICS__LEGACY_NAMES_ON": "False",
        **_task_env(s),
    }


AIRFLOW3_SECRETS = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "LH_S3_SECRET_KEY")


# --- Airflow 2 ------------------------------------------------------------------
def airflow2_env(s: Settings) -> dict[str, str]:
    home = airflow2_home(s)
    return {
        "PATH": _path(airflow_venv(s, AIRFLOW2)),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(airflow2_dags(s)),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _pg_url(s, AIRFLOW2_DB),
        "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session",
        "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": s.host,
        "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(s.ports["airflow2"]),
        "AIRFLOW__WEBSERVER__WORKERS": "1",
        "AIRFLOW__WEBSERVER__SECRET_KEY": s.airflow_secret_key,
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
        "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__PRINT_STATS_INTERVAL": "0",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "LH_AIRFLOW_PASSWORD": s.airflow_password,
    }


AIRFLOW2_SECRETS = ("AIRFLOW__WEBSERVER__SECRET_KEY", "LH_AIRFLOW_PASSWORD")


def services(settings: Settings) -> list[Service]:
    s = settings
    af3 = airflow_venv(s, AIRFLOW3) / "bin" / "airflow"
    af2 = airflow_venv(s, AIRFLOW2) / "bin" / "airflow"
    env3 = airflow3_env(s)
    env2 = airflow2_env(s)
    setpriv = ["setpriv", f"--reuid={PG_USER}", f"--regid={PG_USER}", "--init-groups"]
    return [
        Service(
            name="postgres",
            profile=PROFILE,
            description="PostgreSQL (Debian) private cluster: Airflow metadata databases",
            command=[
                *setpriv,
                str(pg_bin(s) / "postgres"),
                *("-D", str(pg_data_dir(s)), "-p", str(s.ports["postgres"]), "-k", str(pg_socket_dir(s))),
                *(arg for key, value in _pg_conf(s).items() for arg in ("-c", f"{key}={value}")),
            ],
            prepare="lakehouse.services.postgres:prepare",
            image_role="postgres",
            probe=Probe("tcp", f"{s.host}:{s.ports['postgres']}"),
            # Tree RSS counts shared_buffers once per backend: ~220 MB serving both Airflows, 315 MB
            # with both Airflows and their StatsD-emitting schedulers busy (measured 2026-12-01).
            memory_mb=448,
            start_timeout=30,
        ),
        Service(
            name="airflow-init",
            profile=PROFILE,
            description="Airflow 3: creates the metadata database and migrates it (idempotent)",
            command=[str(af3), "db", "migrate"],
            env=env3,
            secret_env=AIRFLOW3_SECRETS,
            prepare=f"{HOOKS}:prepare_airflow3",
            image_role="postgres",  # its prepare hook creates the database with psql
            depends_on=("postgres",),
            probe=Probe("exited_ok"),
            memory_mb=384,
            oneshot=True,
            start_timeout=180,
        ),
        Service(
            name="airflow-api-server",
            profile=PROFILE,
            description="Airflow 3 API server (/api/v2, JWT from /auth/token, execution API for tasks)",
            command=[str(af3), "api-server"],
            env=env3,
            secret_env=AIRFLOW3_SECRETS,
            depends_on=("airflow-init",),
            probe=Probe("http", f"{s.airflow_url}/api/v2/monitor/health"),
            memory_mb=448,
            start_timeout=90,
        ),
        Service(
            name="airflow-scheduler",
            profile=PROFILE,
            description="Airflow 3 scheduler, LocalExecutor with 2 workers (task processes, dbt included, run here)",
            command=[str(af3), "scheduler", "--skip-serve-logs"],
            env=env3,
            secret_env=AIRFLOW3_SECRETS,
            depends_on=("airflow-init",),
            probe=Probe("http", f"{s.airflow_url}/api/v2/monitor/health", expect="scheduler.status=healthy"),
            # ~270 MB idle; task processes (dbt included) run in this tree.
            memory_mb=1024,
            start_timeout=90,
        ),
        Service(
            name="airflow-dag-processor",
            profile=PROFILE,
            description="Airflow 3 DAG processor: parses the lakehouse and scratch bundles",
            command=[str(af3), "dag-processor"],
            env=env3,
            secret_env=AIRFLOW3_SECRETS,
            depends_on=("airflow-init",),
            probe=Probe("http", f"{s.airflow_url}/api/v2/monitor/health", expect="dag_processor.status=healthy"),
            # Tree RSS ~335 MB (PSS ~180 MB): the parsing child shares most pages.
            memory_mb=448,
            start_timeout=90,
        ),
        # --- Airflow 2.11, only for the /api/v1 compatibility tests ---------------
        Service(
            name="airflow2-init",
            profile=AIRFLOW2_PROFILE,
            description="Airflow 2: creates and migrates its database, creates the admin user (idempotent)",
            command=[str(airflow_venv(s, AIRFLOW2) / "bin" / "python"), "-m", "lakehouse.services.airflow2_init"],
            env=env2,
            secret_env=AIRFLOW2_SECRETS,
            prepare=f"{HOOKS}:prepare_airflow2",
            image_role="postgres",  # its prepare hook creates the database with psql
            depends_on=("postgres",),
            probe=Probe("exited_ok"),
            memory_mb=384,
            oneshot=True,
            start_timeout=180,
        ),
        Service(
            name="airflow2-webserver",
            profile=AIRFLOW2_PROFILE,
            description="Airflow 2 webserver (/api/v1, basic auth), one gunicorn worker",
            command=[str(af2), "webserver"],
            env=env2,
            secret_env=AIRFLOW2_SECRETS,
            depends_on=("airflow2-init",),
            probe=Probe("http", f"{s.airflow2_url}/api/v1/health"),
            memory_mb=512,
            start_timeout=90,
        ),
        Service(
            name="airflow2-scheduler",
            profile=AIRFLOW2_PROFILE,
            description="Airflow 2 scheduler, LocalExecutor with 2 workers",
            command=[str(af2), "scheduler", "--skip-serve-logs"],
            env=env2,
            secret_env=AIRFLOW2_SECRETS,
            depends_on=("airflow2-init",),
            probe=Probe("http", f"{s.airflow2_url}/api/v1/health", expect="scheduler.status=healthy"),
            memory_mb=768,
            start_timeout=90,
        ),
    ]


def pg_bin(s: Settings) -> Path:
    """The PostgreSQL binaries (apt). Before provisioning the catalogue is still listable."""
    found = pg_bin_dir()
    return found if found is not None else Path("/usr/lib/postgresql/15/bin")
