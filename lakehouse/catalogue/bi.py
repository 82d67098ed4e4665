"""The ``bi`` profile: Apache Superset 6.1 over the Gold Delta tables (DuckDB, delta + httpfs extensions).

* ``superset-init`` (one-shot, Superset venv's python, :mod:`lakehouse.services.superset_init`):
  migrates the SQLite metadata DB (copied from a template after the first cold run), creates the
  admin user with the instance's password, writes DuckDB's persistent S3 secret, and imports the
  assets as code (:mod:`lakehouse.superset.assets`: database, datasets, the "Operations" dashboard).
* ``superset``: gunicorn, one gthread worker with 4 threads, on 127.0.0.1; ready when ``/health``
  answers 200.

``depends_on``: only ``s3`` (core). Superset reads Gold and the Bronze DLQ straight from S3 at query
time and needs nothing else to start: no Spark, no Airflow (Gold is built by dbt, whoever runs it; a
chart over a table that does not exist yet fails at query time, not at start). The one-shot depends
on ``s3`` as well because it writes the S3 secret for that endpoint.

Config (``<data>/superset/superset_config.py``) comes from the ``prepare`` hook in
``lakehouse/services/superset.py``. Secrets (Flask ``SECRET_KEY``, the admin password, the S3 key)
reach the processes through ``secret_env`` only.
"""

from __future__ import annotations

from lakehouse.catalogue.base import Probe, Service
from lakehouse.provision.bi import superset_venv
from lakehouse.services import superset as hooks
from lakehouse.settings import SUPERSET_USER, Settings

PROFILE = "bi"
PREPARE = "lakehouse.services.superset:prepare"
SECRETS = ("SUPERSET_SECRET_KEY", "LH_SUPERSET_PASSWORD", "LH_S3_SECRET_KEY")


def template_db(s: Settings):
    """A migrated, initialised metadata DB without users: later cold starts copy it (saves ~15 s)."""
    return s.artifacts_dir / "superset-template" / "superset-6.1.0.db"


def superset_env(s: Settings) -> dict[str, str]:
    venv = superset_venv(s)
    return {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "SUPERSET_CONFIG_PATH": str(hooks.config_path(s)),
        "SUPERSET_SECRET_KEY": s.superset_secret_key,
        "FLASK_APP": "superset",
        "SUPERSET_HOME": str(hooks.home(s)),
        "PYTHONPATH": str(s.repo_root),
        **s.data_env(),
        "LH_SUPERSET_USER": SUPERSET_USER,
        "LH_SUPERSET_PASSWORD": s.superset_password,
        "LH_SUPERSET_METADATA_DB": str(hooks.metadata_db(s)),
        "LH_SUPERSET_SECRET_DIR": str(hooks.secret_dir(s)),
        "LH_SUPERSET_TEMPLATE": str(template_db(s)),
    }


def services(settings: Settings) -> list[Service]:
    s = settings
    venv = superset_venv(s)
    env = superset_env(s)
    return [
        Service(
            name="superset-init",
            profile=PROFILE,
            description="Superset: metadata DB, admin user, DuckDB S3 secret, assets as code (idempotent)",
            command=[str(venv / "bin" / "python"), "-m", "lakehouse.services.superset_init"],
            env=env,
            secret_env=SECRETS,
            prepare=PREPARE,
            depends_on=("s3",),
            probe=Probe("exited_ok"),
            memory_mb=768,
            oneshot=True,
            start_timeout=180,
            workdir=str(s.repo_root),
        ),
        Service(
            name="superset",
            profile=PROFILE,
            description="Superset 6.1 web server and API (gunicorn, 1 worker x 4 threads), charts over Gold",
            command=[
                str(venv / "bin" / "gunicorn"),
                *("-w", "1", "-k", "gthread", "--threads", "4", "--timeout", "120"),
                *("-b", f"{s.host}:{s.ports['superset']}"),
                *("--limit-request-line", "0", "--limit-request-field_size", "0"),
                "superset.app:create_app()",
            ],
            env=env,
            secret_env=SECRETS,
            prepare=PREPARE,
            depends_on=("superset-init",),
            probe=Probe("http", f"{s.superset_url}/health"),
            # ~360 MB PSS idle; DuckDB queries over Delta add their scans.
            memory_mb=1024,
            start_timeout=90,
            workdir=str(s.repo_root),
        ),
    ]
