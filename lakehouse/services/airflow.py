"""Airflow prepare hooks (run by the launcher before ``airflow db migrate``): folders, database, users file."""

from __future__ import annotations

import json

from lakehouse.catalogue.quality_orchestration import (
    AIRFLOW2_DB,
    AIRFLOW3_DB,
    airflow2_dags,
    airflow2_home,
    airflow3_dags,
    airflow3_home,
    airflow3_scratch_dags,
)
from lakehouse.services.postgres import ensure_database
from lakehouse.settings import AIRFLOW_USER, Settings


def prepare_airflow3(settings: Settings) -> None:
    s = settings
    home = airflow3_home(s)
    for d in (home, home / "logs", airflow3_scratch_dags(s)):
        d.mkdir(parents=True, exist_ok=True)
    ensure_database(s, AIRFLOW3_DB)
    passwords = home / "passwords.json"
    tmp = passwords.with_suffix(".tmp")
    tmp.write_text(json.dumps({AIRFLOW_USER: s.airflow_password}))
    tmp.chmod(0o600)
    tmp.replace(passwords)


def prepare_airflow2(settings: Settings) -> None:
    s = settings
    for d in (airflow2_home(s), airflow2_home(s) / "logs", airflow2_dags(s)):
        d.mkdir(parents=True, exist_ok=True)
    # The repository's two-generation DAG, so the /api/v1 tests have a DAG to trigger.
    link = airflow2_dags(s) / "lh_smoke.py"
    if not link.is_symlink():
        link.unlink(missing_ok=True)
        link.symlink_to(airflow3_dags(s) / "lh_smoke.py")
    # Flask-AppBuilder defaults AUTH_ROLE_PUBLIC to "Public": Airflow 2 then treats a call without
    # (or with wrong) credentials as the public role and answers 403, not the documented 401.
    config = airflow2_home(s) / "webserver_config.py"  # Airflow 2 writes its default only if absent
    text = (
        config.read_text()
        if config.exists()
        else "from flask_appbuilder.const import AUTH_DB\nAUTH_TYPE = AUTH_DB\nWTF_CSRF_ENABLED = True\n"
    )
    if "\nAUTH_ROLE_PUBLIC = None" not in "\n" + text:
        config.write_text(text + "\nAUTH_ROLE_PUBLIC = None\n")
    ensure_database(s, AIRFLOW2_DB)
