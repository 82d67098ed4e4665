"""Provision the ``bi`` profile: Apache Superset 6.1.0 reading Gold through DuckDB, and the test machine's browser.

* ``superset/`` (in ``Settings.artifacts_dir``): a venv with Superset, gunicorn and the DuckDB
  driver. Superset 6.1.0 is not installable as published (``shared/notes/airflow-superset-prometheus.md``
  §3): the resolution is frozen at the day after its release (``--exclude-newer 2026-05-14``) and
  ``cachetools`` is added (``superset/db_engine_specs/aws_iam.py`` imports it without declaring it;
  without it DuckDB fails as "Could not load database driver: duckdb"). DuckDB itself is pinned to
  1.5.5 with its ``delta`` and ``httpfs`` extensions from the ``duckdb-extension-*`` wheels, which
  Superset loads by file path (no download at run time). Those three were published after the
  cutoff, so they get their own cutoff in the same resolution (``--exclude-newer-package``).
* ``chromium`` and ``chromium-driver`` from Debian: the browser of the **test machine**, used by
  BiLibrary's real-browser check (the toolkit runs on the same machine as the embedded platform).
  Nothing is downloaded at test time: Selenium is given ``/usr/bin/chromedriver`` explicitly.

The venv carries a stamp with its install spec; a second run with the stamp current and the
browser present returns in milliseconds.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from lakehouse.provision.core import base_python
from lakehouse.provision.quality_orchestration import _run, _uv
from lakehouse.settings import Settings

VENV = "superset"
# Superset 6.1.0 was uploaded 2026-05-13.
EXCLUDE_NEWER = "2026-05-14T00:00:00Z"
# duckdb 1.5.5 was uploaded 2026-07-22, its extension wheels 2026-08-10 (pinned to the same version).
DUCKDB_VERSION = "1.5.5"
DUCKDB_EXCLUDE_NEWER = "2026-08-11T00:00:00Z"
DUCKDB_PACKAGES = ("duckdb", "duckdb-extension-delta", "duckdb-extension-httpfs")
PACKAGES: tuple[str, ...] = (
    "apache-superset==6.1.0",
    "cachetools",
    "duckdb-engine",
    "gunicorn",
    *(f"{name}=={DUCKDB_VERSION}" for name in DUCKDB_PACKAGES),
)
APT_PACKAGES = ("chromium", "chromium-driver")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def spec() -> str:
    return f"exclude-newer={EXCLUDE_NEWER} duckdb-cutoff={DUCKDB_EXCLUDE_NEWER} " + " ".join(PACKAGES)


def superset_venv(settings: Settings) -> Path:
    return settings.artifacts_dir / VENV


def extension_file(settings: Settings, name: str) -> Path:
    """The DuckDB extension binary shipped by the ``duckdb-extension-<name>`` wheel in the Superset venv."""
    found = sorted(superset_venv(settings).glob(f"lib/python3*/site-packages/duckdb_extension_{name}"))
    base = found[0] if found else superset_venv(settings) / "lib/python3.11/site-packages" / f"duckdb_extension_{name}"
    return base / "extensions" / f"v{DUCKDB_VERSION}" / f"{name}.duckdb_extension"


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    _ensure_superset(settings, log)
    _ensure_browser(log)


def _ensure_superset(settings: Settings, log: Callable[[str], None]) -> None:
    target = superset_venv(settings)
    stamp = target / ".lh-provisioned"
    if (target / "bin" / "superset").exists() and stamp.exists() and stamp.read_text() == spec():
        return
    uv = _uv(settings)
    log(f"[bi] creating the Superset venv in {target}: {' '.join(PACKAGES)}")
    started = time.monotonic()
    if not (target / "bin" / "python").exists():
        _run([uv, "venv", "--quiet", "--python", base_python(), str(target)], log, "superset: uv venv")
    cutoffs = [arg for name in DUCKDB_PACKAGES for arg in ("--exclude-newer-package", f"{name}={DUCKDB_EXCLUDE_NEWER}")]
    _run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(target / "bin" / "python"),
            "--exclude-newer",
            EXCLUDE_NEWER,
            *cutoffs,
            *PACKAGES,
        ],
        log,
        "superset: uv pip install",
    )
    for needed in (target / "bin" / "superset", target / "bin" / "gunicorn", extension_file(settings, "delta")):
        if not needed.exists():
            raise RuntimeError(f"superset: install finished but {needed} is missing")
    stamp.write_text(spec())
    log(f"[bi] Superset venv ready in {time.monotonic() - started:.1f} s")


def _ensure_browser(log: Callable[[str], None]) -> None:
    """Debian's chromium and chromedriver: the test machine's browser for BiLibrary's browser keywords."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.geteuid() != 0:
        raise RuntimeError(
            "chromium/chromium-driver are not installed and provisioning is not running as root: "
            "run apt-get install -y --no-install-recommends chromium chromium-driver"
        )
    log("[bi] installing the test machine's browser from apt (chromium, chromium-driver)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    started = time.monotonic()
    if not list(Path("/var/lib/apt/lists").glob("*Packages*")):
        _run(["apt-get", "update"], log, "apt-get update", env=env)
    try:
        _run(["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES], log, "apt-get install", env=env)
    except RuntimeError:
        # Stale lists on a long-lived machine: refresh once and retry.
        _run(["apt-get", "update"], log, "apt-get update", env=env)
        _run(["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES], log, "apt-get install", env=env)
    if not (CHROMIUM.exists() and shutil.which("chromedriver")):
        raise RuntimeError(f"apt-get installed {' '.join(APT_PACKAGES)} but {CHROMIUM} or chromedriver is missing")
    log(f"[bi] browser installed in {time.monotonic() - started:.1f} s")
