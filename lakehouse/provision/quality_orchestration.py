"""Provision the quality-orchestration profile: PostgreSQL (Debian), Airflow 3.3.2 and Airflow 2.11.2.

Everything lands in ``Settings.artifacts_dir`` except PostgreSQL, which comes from
apt (``/usr/lib/postgresql/<ver>/bin``) together with the ``postgres`` OS user the
server runs as (PostgreSQL refuses to run as root).

* ``airflow3/``: the platform's orchestrator. Resolution frozen with
  ``--exclude-newer`` at the day after the release (the official constraints
  files live on GitHub, which CI cannot reach). ``deltalake`` and ``pyarrow`` are
  there for the ``dlq_monitoring`` DAG, which reads the Bronze DLQ Delta table
  and writes its alert object to S3.
* ``airflow2/``: Airflow 2.11.2, only for the AirflowLibrary ``/api/v1``
  compatibility tests.

Each venv carries a stamp with its install spec; a second run with all stamps
current returns in milliseconds.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakehouse.provision.core import base_python, uv_executable
from lakehouse.settings import Settings

HEARTBEAT_S = 10.0


@dataclass(frozen=True)
class AirflowVenv:
    name: str
    packages: tuple[str, ...]
    exclude_newer: str

    def spec(self) -> str:
        return f"exclude-newer={self.exclude_newer} " + " ".join(self.packages)


AIRFLOW3 = AirflowVenv(
    "airflow3",
    ("apache-airflow[postgres,statsd]==3.3.2", "deltalake>=1.1", "pyarrow>=16"),
    "2026-09-18T00:00:00Z",  # 3.3.2 was uploaded 2026-09-17
)
AIRFLOW2 = AirflowVenv(
    "airflow2",
    ("apache-airflow[postgres]==2.11.2",),
    "2026-03-15T00:00:00Z",  # 2.11.2 was uploaded 2026-03-14
)


def airflow_venv(settings: Settings, venv: AirflowVenv) -> Path:
    return settings.artifacts_dir / venv.name


def pg_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<ver>/bin`` that has a server, if any."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    if not found:
        return None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    _ensure_postgres(log)
    _ensure_airflow(settings, AIRFLOW3, log)


def provision_airflow2(settings: Settings, log: Callable[[str], None]) -> None:
    """Airflow 2.11, only for the AirflowLibrary v1 compatibility tests (profile airflow2-compat)."""
    _ensure_postgres(log)
    _ensure_airflow(settings, AIRFLOW2, log)


# --- PostgreSQL -----------------------------------------------------------------
def _ensure_postgres(log: Callable[[str], None]) -> None:
    if pg_bin_dir() is not None and _os_user_exists("postgres") and shutil.which("setpriv"):
        return
    if os.geteuid() != 0:
        raise RuntimeError(
            "PostgreSQL is not installed and provisioning is not running as root: run apt-get install -y postgresql"
        )
    log("[quality-orchestration] installing PostgreSQL from apt (postgresql, util-linux)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A fresh machine has empty apt lists; refresh them once before installing.
    _run(["apt-get", "update"], log, "apt-get update", env=env)
    _run(
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql", "util-linux"],
        log,
        "apt-get install postgresql",
        env=env,
    )
    if pg_bin_dir() is None or not _os_user_exists("postgres"):
        raise RuntimeError(
            "apt-get installed postgresql but /usr/lib/postgresql/<ver>/bin/postgres or user 'postgres' is missing"
        )


def _os_user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --- Airflow venvs --------------------------------------------------------------
def _ensure_airflow(settings: Settings, venv: AirflowVenv, log: Callable[[str], None]) -> None:
    target = airflow_venv(settings, venv)
    stamp = target / ".lh-provisioned"
    if (target / "bin" / "airflow").exists() and stamp.exists() and stamp.read_text() == venv.spec():
        return
    uv = _uv(settings)
    python = base_python()
    log(f"[quality-orchestration] creating {venv.name} venv in {target}: {' '.join(venv.packages)}")
    started = time.monotonic()
    if not (target / "bin" / "python").exists():
        _run([uv, "venv", "--quiet", "--python", str(python), str(target)], log, f"{venv.name}: uv venv")
    _run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(target / "bin" / "python"),
            "--exclude-newer",
            venv.exclude_newer,
            *venv.packages,
        ],
        log,
        f"{venv.name}: uv pip install",
    )
    if not (target / "bin" / "airflow").exists():
        raise RuntimeError(f"{venv.name}: install finished but {target / 'bin' / 'airflow'} is missing")
    stamp.write_text(venv.spec())
    log(f"[quality-orchestration] {venv.name} ready in {time.monotonic() - started:.1f} s")


def _uv(settings: Settings) -> str:
    found = uv_executable(settings)
    if not found:
        raise RuntimeError(f"uv not found next to {sys.executable}, in {settings.venv_dir / 'bin'} or on PATH")
    return found


def _run(argv: Sequence[str | Path], log: Callable[[str], None], what: str, env: dict[str, str] | None = None) -> None:
    """Run a long install, forwarding its output and a heartbeat so progress is visible."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(a) for a in argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_S):
            log(f"[quality-orchestration] {what}: still running ({time.monotonic() - started:.0f} s)")

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    tail: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            line = line.rstrip()
            if not line:
                continue
            tail = [*tail, line][-40:]
            # uv lists every package it adds (" + name==ver"); its summary lines are enough.
            if not line.lstrip().startswith(("+ ", "- ", "~ ")):
                log(f"[quality-orchestration] {what}: {line}")
        rc = proc.wait()
    finally:
        done.set()
        if proc.poll() is None:
            proc.kill()
    if rc != 0:
        raise RuntimeError(
            f"{what} failed with exit code {rc} after {time.monotonic() - started:.1f} s:\n" + "\n".join(tail)
        )
