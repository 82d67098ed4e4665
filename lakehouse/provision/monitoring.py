"""Provision the ``monitoring`` profile: Prometheus and Alertmanager (Debian), the JMX exporter agent
(Maven Central) and ``statsd_exporter`` (Go module proxy).

* ``prometheus`` (2.42, with ``promtool``) and ``prometheus-alertmanager`` (0.25) come from apt
  with ``--no-install-recommends`` (recommends pull in node-exporter, smartmontools, ~280 MB).
  The packages' postinst cannot start anything here (no systemd): the runner starts them.
* ``monitoring/jmx_prometheus_javaagent-<v>.jar``: Kafka's broker metrics. Kafka loads it as a
  ``-javaagent`` only when this file exists, so ``core`` starts the same without this profile.
* ``monitoring/bin/statsd_exporter``: Airflow's StatsD metrics as Prometheus metrics; Debian
  bookworm has no package, so it is built from its Go module with ``go install``.

A stamp holds the spec of what was installed; a second run with the stamp current and the
files present returns in milliseconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lakehouse.provision.maven import fingerprint, is_current, mark_current, mvn
from lakehouse.settings import Settings

JMX_EXPORTER_VERSION = "1.0.1"
STATSD_EXPORTER_VERSION = "v0.31.0"
APT_PACKAGES = ("prometheus", "prometheus-alertmanager")
BINARIES = {
    "prometheus": "/usr/bin/prometheus",
    "promtool": "/usr/bin/promtool",
    "alertmanager": "/usr/bin/prometheus-alertmanager",
}


def monitoring_dir(settings: Settings) -> Path:
    return settings.artifacts_dir / "monitoring"


def jmx_agent_jar(settings: Settings) -> Path:
    """The JMX exporter Java agent; Kafka loads it only when this file exists."""
    return monitoring_dir(settings) / f"jmx_prometheus_javaagent-{JMX_EXPORTER_VERSION}.jar"


def statsd_exporter_bin(settings: Settings) -> Path:
    return monitoring_dir(settings) / "bin" / "statsd_exporter"


def _spec() -> str:
    return fingerprint(f"jmx={JMX_EXPORTER_VERSION} statsd={STATSD_EXPORTER_VERSION} apt={','.join(APT_PACKAGES)}")


def provision(settings: Settings, log: Callable[[str], None]) -> None:
    target = monitoring_dir(settings)
    key = _spec()
    present = (
        all(Path(p).exists() for p in BINARIES.values())
        and jmx_agent_jar(settings).exists()
        and statsd_exporter_bin(settings).exists()
    )
    if present and is_current(target, key):
        return
    started = time.monotonic()
    _apt(log)
    _jmx_agent(settings, log)
    _statsd_exporter(settings, log)
    mark_current(target, key)
    log(f"[monitoring] ready in {time.monotonic() - started:.1f} s")


def _apt(log: Callable[[str], None]) -> None:
    if all(Path(p).exists() for p in BINARIES.values()):
        return
    if os.geteuid() != 0:
        raise RuntimeError(
            "Prometheus/Alertmanager are not installed and provisioning is not running as root: run "
            f"apt-get install -y --no-install-recommends {' '.join(APT_PACKAGES)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"[monitoring] installing {', '.join(APT_PACKAGES)} from apt")
    # A fresh machine has empty apt lists; refresh them once before installing.
    _run(["apt-get", "update"], "apt-get update", env)
    _run(["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES], "apt-get install", env)
    missing = [p for p in BINARIES.values() if not Path(p).exists()]
    if missing:
        raise RuntimeError(f"apt-get installed {' '.join(APT_PACKAGES)} but {', '.join(missing)} is missing")


def _jmx_agent(settings: Settings, log: Callable[[str], None]) -> None:
    jar = jmx_agent_jar(settings)
    if jar.exists():
        return
    log(f"[monitoring] downloading the Prometheus JMX exporter agent {JMX_EXPORTER_VERSION} from Maven Central")
    mvn(
        "-q",
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
        f"-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:{JMX_EXPORTER_VERSION}",
        f"-DoutputDirectory={jar.parent}",
    )
    if not jar.exists():
        raise RuntimeError(f"Maven finished but {jar} is missing")


def _statsd_exporter(settings: Settings, log: Callable[[str], None]) -> None:
    binary = statsd_exporter_bin(settings)
    if binary.exists():
        return
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise RuntimeError("Go is required to build statsd_exporter (Debian bookworm has no package for it)")
    log(f"[monitoring] building statsd_exporter {STATSD_EXPORTER_VERSION} with go install")
    env = {
        **os.environ,
        "GOBIN": str(binary.parent),
        "GOFLAGS": "-mod=mod -buildvcs=false",
        "CGO_ENABLED": "0",
    }
    binary.parent.mkdir(parents=True, exist_ok=True)
    _run([go, "install", f"github.com/prometheus/statsd_exporter@{STATSD_EXPORTER_VERSION}"], "go install", env)
    if not binary.exists():
        raise RuntimeError(f"go install finished but {binary} is missing")


def _run(argv: list[str], what: str, env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, text=True, capture_output=True, timeout=1800, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RuntimeError(f"{what} failed with exit code {result.returncode}: {' '.join(argv)}\n{tail}")
