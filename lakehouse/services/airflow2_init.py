"""airflow2-init: migrate Airflow 2.11's database and (re)create its admin user. Idempotent.

Runs in the Airflow 2 venv (``python -m lakehouse.services.airflow2_init``). Each CLI call
costs ~3 s of imports, so the user step runs only when the password changed (a digest
stamp). ``users reset-password`` is broken in 2.11 (flask-sqlalchemy assertion), so a
changed password means delete + create. ``users create`` runs through the CLI parser in
this process: the password never appears in ``ps`` or in errors.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def airflow(*args: str) -> None:
    print("+ airflow", *args, flush=True)
    subprocess.run(["airflow", *args], check=True)


def create_admin(password: str) -> None:
    from airflow.cli.cli_parser import get_parser

    print("+ airflow users create --username admin --role Admin", flush=True)
    args = get_parser().parse_args([
        "users", "create", "--username", "admin", "--role", "Admin", "--email", "admin@example.invalid",
        "--firstname", "lake", "--lastname", "house", "--password", password,
    ])
    args.func(args)


def main() -> int:
    airflow("db", "migrate")
    password = os.environ.pop("LH_AIRFLOW_PASSWORD")
    stamp = Path(os.environ["AIRFLOW_HOME"]) / ".admin-password.sha256"
    digest = hashlib.sha256(password.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return 0
    listed = ["airflow", "users", "list", "--output", "plain"]
    users = subprocess.run(listed, check=True, capture_output=True, text=True)
    if "admin" in users.stdout.split():
        airflow("users", "delete", "--username", "admin")
    create_admin(password)
    stamp.write_text(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
