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
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

import requests

from lakehouse.catalogue.base import Probe, Service
from lakehouse.provision.quality_orchestration import AIRFLOW2, AIRFLOW3, airflow_venv, pg_bin_dir
from lakehouse.settings import AIRFLOW_USER, Settings

PROFILE = "quality-orchestration"
AIRFLOW2_PROFILE = "airflow2-compat"
PG_USER = "postgres"
AIRFLOW3_DB = "airflow"
AIRFLOW2_DB = "airflow2"
THIS = "lakehouse.catalogue.quality_orchestration"


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
    """What DAG tasks need: the state dir (dbt lives in its venv), the repo, S3."""
    return {
        "LH_STATE_DIR": str(s.state_dir),
        "LH_REPO_ROOT": str(s.repo_root),
        "LH_S3_ENDPOINT": s.s3_endpoint,
        "LH_S3_ACCESS_KEY": s.s3_access_key,
        "LH_S3_SECRET_KEY": s.s3_secret_key,
    }


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
                str(_pg_bin(s) / "postgres"),
                *("-D", str(pg_data_dir(s)), "-p", str(s.ports["postgres"]), "-k", str(pg_socket_dir(s))),
                *(arg for key, value in _pg_conf(s).items() for arg in ("-c", f"{key}={value}")),
            ],
            prepare=f"{THIS}:prepare_postgres",
            probe=Probe("tcp", f"{s.host}:{s.ports['postgres']}"),
            # Tree RSS counts shared_buffers once per backend: ~220 MB serving both Airflows.
            memory_mb=320,
            start_timeout=30,
        ),
        Service(
            name="airflow-init",
            profile=PROFILE,
            description="Airflow 3: creates the metadata database and migrates it (idempotent)",
            command=[str(af3), "db", "migrate"],
            env=env3,
            secret_env=AIRFLOW3_SECRETS,
            prepare=f"{THIS}:prepare_airflow3",
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
            probe=Probe("python", f"{THIS}:scheduler_healthy"),
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
            probe=Probe("python", f"{THIS}:dag_processor_healthy"),
            # Tree RSS ~335 MB (PSS ~180 MB): the parsing child shares most pages.
            memory_mb=448,
            start_timeout=90,
        ),
        # --- Airflow 2.11, only for the /api/v1 compatibility tests ---------------
        Service(
            name="airflow2-init",
            profile=AIRFLOW2_PROFILE,
            description="Airflow 2: creates and migrates its database, creates the admin user (idempotent)",
            command=[str(airflow_venv(s, AIRFLOW2) / "bin" / "python"), "-c", _AIRFLOW2_INIT],
            env=env2,
            secret_env=AIRFLOW2_SECRETS,
            prepare=f"{THIS}:prepare_airflow2",
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
            probe=Probe("python", f"{THIS}:airflow2_scheduler_healthy"),
            memory_mb=768,
            start_timeout=90,
        ),
    ]


# Each CLI call costs ~3 s of imports, so the user step runs only when the password
# changed (a digest stamp). ``users reset-password`` is broken in 2.11 (flask-sqlalchemy
# assertion), so a changed password means delete + create. ``users create`` runs through
# the CLI parser in this process: the password never appears in ``ps`` or in errors.
_AIRFLOW2_INIT = """
import hashlib, os, subprocess
from pathlib import Path
def airflow(*args):
    print('+ airflow', *args, flush=True)
    subprocess.run(['airflow', *args], check=True)
airflow('db', 'migrate')
password = os.environ.pop('LH_AIRFLOW_PASSWORD')
stamp = Path(os.environ['AIRFLOW_HOME']) / '.admin-password.sha256'
digest = hashlib.sha256(password.encode()).hexdigest()
if not stamp.exists() or stamp.read_text() != digest:
    users = subprocess.run(['airflow', 'users', 'list', '--output', 'plain'],
                           check=True, capture_output=True, text=True)
    if 'admin' in users.stdout.split():
        airflow('users', 'delete', '--username', 'admin')
    print('+ airflow users create --username admin --role Admin', flush=True)
    from airflow.cli.cli_parser import get_parser
    args = get_parser().parse_args(['users', 'create', '--username', 'admin', '--role', 'Admin',
                                    '--email', 'admin@example.invalid', '--firstname', 'lake', '--lastname', 'house',
                                    '--password', password])
    args.func(args)
    stamp.write_text(digest)
"""


# --- prepare hooks (run by the launcher as root, before the command is exec'd) ----------
def _pg_bin(s: Settings) -> Path:
    found = pg_bin_dir()
    # Before provisioning the catalogue is still listable; the launcher runs after it.
    return found if found is not None else Path("/usr/lib/postgresql/15/bin")


def prepare_postgres(settings: Settings) -> None:
    """Create the cluster once (``initdb`` as ``postgres``), owned by the ``postgres`` user."""
    s = settings
    entry = pwd.getpwnam(PG_USER)
    data, sock = pg_data_dir(s), pg_socket_dir(s)
    for d in (data, sock):
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, entry.pw_uid, entry.pw_gid)
    data.chmod(0o700)
    if (data / "PG_VERSION").exists():
        return
    subprocess.run(
        [
            "setpriv",
            f"--reuid={PG_USER}",
            f"--regid={PG_USER}",
            "--init-groups",
            str(_pg_bin(s) / "initdb"),
            "-D",
            str(data),
            "-U",
            PG_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
    )


def _ensure_database(s: Settings, name: str) -> None:
    psql = [
        str(_pg_bin(s) / "psql"),
        "-h",
        s.host,
        "-p",
        str(s.ports["postgres"]),
        "-U",
        PG_USER,
        "-v",
        "ON_ERROR_STOP=1",
    ]
    found = subprocess.run(
        [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    if found != "1":
        subprocess.run(
            [*psql, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True, text=True, timeout=30
        )


def prepare_airflow3(settings: Settings) -> None:
    s = settings
    home = airflow3_home(s)
    for d in (home, home / "logs", airflow3_scratch_dags(s)):
        d.mkdir(parents=True, exist_ok=True)
    _ensure_database(s, AIRFLOW3_DB)
    passwords = home / "passwords.json"
    tmp = passwords.with_suffix(".tmp")
    tmp.write_text(json.dumps({AIRFLOW_USER: s.airflow_password}))
    tmp.chmod(0o600)
    tmp.replace(passwords)


def prepare_airflow2(settings: Settings) -> None:
    s = settings
    for d in (airflow2_home(s), airflow2_home(s) / "logs", airflow2_dags(s)):
        d.mkdir(parents=True, exist_ok=True)
    _ensure_database(s, AIRFLOW2_DB)


# --- readiness probes (``python`` kind: take settings, return ``(ok, detail)``) ---------
def _component(url: str, component: str) -> tuple[bool, str]:
    response = requests.get(url, timeout=2)
    if response.status_code != 200:
        return False, f"HTTP {response.status_code} from {url}"
    status = (response.json().get(component) or {}).get("status")
    return status == "healthy", f"{component} status {status!r} at {url}"


def scheduler_healthy(settings: Settings) -> tuple[bool, str]:
    return _component(f"{settings.airflow_url}/api/v2/monitor/health", "scheduler")


def dag_processor_healthy(settings: Settings) -> tuple[bool, str]:
    return _component(f"{settings.airflow_url}/api/v2/monitor/health", "dag_processor")


def airflow2_scheduler_healthy(settings: Settings) -> tuple[bool, str]:
    return _component(f"{settings.airflow2_url}/api/v1/health", "scheduler")
