"""PostgreSQL (Airflow metadata): create the cluster once, and databases on demand."""

from __future__ import annotations

import os
import pwd
import subprocess

from lakehouse.catalogue.quality_orchestration import PG_USER, pg_bin, pg_data_dir, pg_socket_dir
from lakehouse.settings import Settings
from lhcommon.polling import wait_until

SETPRIV = ["setpriv", f"--reuid={PG_USER}", f"--regid={PG_USER}", "--init-groups"]


def prepare(settings: Settings) -> None:
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
            *SETPRIV,
            str(pg_bin(s) / "initdb"),
            *("-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
        ],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
    )


def wait_accepting_connections(s: Settings, timeout: float = 60.0) -> None:
    """Wait until the server accepts connections. Its readiness probe is the TCP port, which opens while
    the server is still starting up (``FATAL: the database system is starting up``)."""
    isready = [str(pg_bin(s) / "pg_isready"), "-h", s.host, "-p", str(s.ports["postgres"]), "-U", PG_USER]
    wait_until(
        lambda: subprocess.run(isready, capture_output=True, text=True, timeout=10, check=False),
        lambda proc: proc.returncode == 0,
        timeout=timeout,
        description=f"PostgreSQL on {s.host}:{s.ports['postgres']} to accept connections",
        describe=lambda proc: f"pg_isready exit {proc.returncode}: {proc.stdout.strip() or proc.stderr.strip()}",
    )


def ensure_database(s: Settings, name: str) -> None:
    """Create database ``name`` unless it exists (waits until the server accepts connections)."""
    wait_accepting_connections(s)
    psql = [str(pg_bin(s) / "psql"), "-h", s.host, "-p", str(s.ports["postgres"]), "-U", PG_USER,
            "-v", "ON_ERROR_STOP=1"]
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
