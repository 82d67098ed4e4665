"""Airflow prepare hooks (run by the launcher before ``airflow db migrate``): folders, database, users file."""

from __future__ import annotations

import json

from lakehouse.catalogue.quality_orchestration import (
    AIRFLOW2_DB,
    AIRFLOW3_DB,
    airflow2_dags,
    airflow2_home,
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
    ensure_database(s, AIRFLOW2_DB)
