"""Provision the data-platform profile: the Spark venv and the streaming job's extra jars.

Everything lands in ``Settings.artifacts_dir``:

* ``spark-venv/``: its own venv with ``requirements-spark.txt`` (pyspark, delta-spark,
  jsonschema), installed with the toolkit venv's ``uv``.
* ``spark-jars/``: the Kafka source, Delta and S3A jars of ``maven/spark/pom.xml``,
  resolved by Maven from Maven Central with ``copy-dependencies``. Jars that pyspark
  already ships are excluded by artifact id, so the classpath holds one version of
  each library (netty, jackson, parquet, compression codecs, …).

Both steps write a marker holding the hash of their inputs; a second run with
everything in place only reads two small files and lists one directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from lakehouse.settings import Settings

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-spark.txt"
POM = HERE / "maven" / "spark" / "pom.xml"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
MARKER = ".lakehouse-provisioned"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_JAR_NAME = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d[^-]*)(?:-.+)?\.jar$")


class ProvisionError(RuntimeError):
    pass


def spark_venv(settings: Settings) -> Path:
    return settings.artifacts_dir / "spark-venv"


def spark_python(settings: Settings) -> Path:
    return spark_venv(settings) / "bin" / "python"


def spark_jars_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "spark-jars"


def spark_jars(settings: Settings) -> list[Path]:
    """The jars to pass as ``spark.jars`` (sorted, absolute)."""
    return sorted(spark_jars_dir(settings).glob("*.jar"))


def pyspark_jars_dir(settings: Settings) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    lib = spark_venv(settings) / "lib"
    found = sorted(lib.glob("python3*/site-packages/pyspark/jars"))
    if not found:
        raise ProvisionError(f"pyspark is not installed in {spark_venv(settings)} (looked for {version} site-packages)")
    return found[0]


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def _marker_ok(directory: Path, digest: str) -> bool:
    try:
        return (directory / MARKER).read_text().strip() == digest
    except OSError:
        return False


def _run(cmd: list[str], log: Callable[[str], None], **kwargs: object) -> None:
    log("$ " + " ".join(cmd))
    # Output goes straight to the terminal so long downloads show their progress.
    result = subprocess.run(cmd, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise ProvisionError(f"Command failed with exit code {result.returncode}: {' '.join(cmd)}")


def provision_venv(settings: Settings, log: Callable[[str], None]) -> None:
    venv = spark_venv(settings)
    digest = _digest(REQUIREMENTS.read_bytes(), sys.version)
    if _marker_ok(venv, digest) and spark_python(settings).exists():
        return
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        uv = settings.venv_dir / "bin" / "uv"
    if not uv.exists():
        raise ProvisionError(f"uv not found next to {sys.executable} nor in {settings.venv_dir / 'bin'}")
    log(f"Installing the Spark venv into {venv} (pyspark is a ~400 MB download the first time)")
    if not spark_python(settings).exists():
        _run([str(uv), "venv", "--python", sys.executable, str(venv)], log)
    _run([str(uv), "pip", "install", "--python", str(spark_python(settings)), "-r", str(REQUIREMENTS)], log)
    (venv / MARKER).write_text(digest + "\n")


def pom_property(name: str) -> str:
    root = ET.parse(POM).getroot()
    node = root.find(f"m:properties/m:{name}", _POM_NS)
    if node is None or not node.text:
        raise ProvisionError(f"{POM} has no <{name}> property")
    return node.text.strip()


def bundled_artifacts(pyspark_jars: Path) -> dict[str, str]:
    """Artifact id → version of every jar pyspark ships."""
    found: dict[str, str] = {}
    for name in os.listdir(pyspark_jars):
        match = _JAR_NAME.match(name)
        if match:
            found[match["artifact"]] = match["version"]
    return found


# pom property → the pyspark jar whose version it must equal exactly.
LOCKED_TO_PYSPARK = {
    "hadoop.version": "hadoop-client-api",
    "spark.version": "spark-core_2.13",
    "jackson.version": "jackson-databind",
}


def check_locked_versions(bundled: dict[str, str]) -> str:
    """Fail loudly when the pom drifts from the jars pyspark ships; returns the Hadoop version."""
    for prop, artifact in LOCKED_TO_PYSPARK.items():
        have, wanted = bundled.get(artifact), pom_property(prop)
        if have != wanted:
            raise ProvisionError(
                f"{POM} pins {prop}={wanted} but pyspark ships {artifact} {have}; they must match exactly "
                f"(for hadoop.version also set aws.sdk.version to what that hadoop-aws release pins)."
            )
    return bundled["hadoop-client-api"]


def provision_jars(settings: Settings, log: Callable[[str], None]) -> None:
    target = spark_jars_dir(settings)
    pyspark_jars = pyspark_jars_dir(settings)
    bundled = bundled_artifacts(pyspark_jars)
    hadoop = check_locked_versions(bundled)
    excluded = sorted(bundled)
    digest = _digest(POM.read_bytes(), ",".join(excluded))
    if _marker_ok(target, digest):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ProvisionError("Maven (mvn) is needed to resolve the Spark jars from Maven Central; install it first")
    log(f"Resolving Kafka source, Delta and S3A jars (hadoop {hadoop}) into {target}")
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    _run(
        [
            mvn, "-B", "-f", str(POM), DEPENDENCY_PLUGIN,
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
            f"-DexcludeArtifactIds={','.join(excluded)}",
            "-Dmdep.prependGroupId=false",
        ],
        log,
    )
    jars = sorted(staging.glob("*.jar"))
    if not jars:
        raise ProvisionError(f"Maven resolved no jars into {staging}")
    clashes = [j.name for j in jars if (m := _JAR_NAME.match(j.name)) and m["artifact"] in bundled]
    if clashes:
        raise ProvisionError(f"Jars duplicating pyspark's own: {', '.join(clashes)}")
    size = sum(j.stat().st_size for j in jars) / 1e6
    (staging / MARKER).write_text(digest + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    log(f"{len(jars)} jars, {size:.1f} MB in {target}")


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    """Idempotently install the Spark venv and jars of the data-platform profile."""
    settings.artifacts_dir.mkdir(parents=True, exist_ok=True)
    provision_venv(settings, log)
    provision_jars(settings, log)


if __name__ == "__main__":
    provision(Settings.load(), lambda line: print(f"[provision data-platform] {line}", flush=True))
