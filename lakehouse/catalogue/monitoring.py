"""The ``monitoring`` profile: Prometheus, Alertmanager, statsd_exporter and the per-service memory exporter.

The profile depends on no other: it starts alone, and the targets of profiles that are not
running are simply ``down`` (a suite that checks them starts their profiles through its
``profile:`` tags). Prometheus scrapes every 2 s and evaluates its rules every 2 s, so an
alert fires within its ``for:`` plus a few seconds; it sends alerts to Alertmanager on loopback.

Scrape targets (job names), all written by :func:`lakehouse.services.monitoring.prepare_prometheus`
from :class:`Settings` (the ports of this instance):

* ``prometheus``, ``alertmanager``, ``statsd-exporter``, ``lakehouse-memory``: this profile;
* ``streaming``: the Bronze streaming job's ``/metrics`` (``data-platform``);
* ``kafka``: the broker through the JMX exporter Java agent (``core``; the agent is loaded only
  when ``python -m lakehouse.provision --profile monitoring`` has put its jar in place);
* Airflow 3 sends StatsD over UDP to ``statsd-exporter`` (``AIRFLOW__METRICS__STATSD_*`` in
  ``quality_orchestration.airflow3_env``); its metrics are the ``airflow_*`` series there.

``lakehouse-memory`` (:mod:`lakehouse.monitoring.memory_exporter`) exports each running service's
process-tree RSS and, for every service of the catalogue, its ``memory_mb`` budget: budgets stay
declared once, here in the catalogue, and PromQL compares the two.

Alert rules live in ``lakehouse/monitoring/rules/`` and are unit-tested with ``promtool test rules``
(``lakehouse/monitoring/tests/``).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.catalogue.base import Probe, Service
from lakehouse.provision.monitoring import BINARIES, statsd_exporter_bin
from lakehouse.settings import Settings

PROFILE = "monitoring"
HOOKS = "lakehouse.services.monitoring"
SCRAPE_INTERVAL_S = 2
EVALUATION_INTERVAL_S = 2
RETENTION = "1d"


def monitoring_home(s: Settings) -> Path:
    """Generated configuration (prometheus.yml, alertmanager.yml)."""
    return s.data_dir / "monitoring"


def rules_dir(s: Settings) -> Path:
    return s.repo_root / "lakehouse" / "monitoring" / "rules"


def kafka_jmx_config(s: Settings) -> Path:
    """The JMX exporter's whitelist of Kafka MBeans (a file in the repository)."""
    return s.repo_root / "lakehouse" / "monitoring" / "kafka-jmx.yml"


def services(settings: Settings) -> list[Service]:
    s = settings
    home = monitoring_home(s)
    return [
        Service(
            name="prometheus",
            profile=PROFILE,
            description="Prometheus 2.42 (Debian): scrapes the pipeline every 2 s, evaluates the alert rules",
            command=[
                BINARIES["prometheus"],
                f"--config.file={home / 'prometheus.yml'}",
                f"--web.listen-address={s.host}:{s.ports['prometheus']}",
                f"--storage.tsdb.path={s.data_dir / 'prometheus'}",
                f"--storage.tsdb.retention.time={RETENTION}",
                "--web.enable-lifecycle",
                "--log.level=warn",
            ],
            prepare=f"{HOOKS}:prepare_prometheus",
            image_role="monitoring",
            probe=Probe("http", f"{s.prometheus_url}/-/ready"),
            # ~50 MB idle; a day of 2 s samples of a few thousand series stays well under this.
            memory_mb=256,
            start_timeout=30,
        ),
        Service(
            name="alertmanager",
            profile=PROFILE,
            description="Alertmanager 0.25 (Debian): receives Prometheus' alerts; tests read its /api/v2",
            command=[
                BINARIES["alertmanager"],
                f"--config.file={home / 'alertmanager.yml'}",
                f"--storage.path={s.data_dir / 'alertmanager'}",
                f"--web.listen-address={s.host}:{s.ports['alertmanager']}",
                # No gossip cluster; an empty address disables it (the default binds 0.0.0.0:9094).
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            prepare=f"{HOOKS}:prepare_alertmanager",
            image_role="monitoring",
            probe=Probe("http", f"{s.alertmanager_url}/-/ready"),
            memory_mb=128,
            start_timeout=30,
        ),
        Service(
            name="statsd-exporter",
            profile=PROFILE,
            description="Prometheus statsd_exporter (Go module): Airflow's StatsD metrics as airflow_* series",
            command=[
                str(statsd_exporter_bin(s)),
                f"--web.listen-address={s.host}:{s.ports['statsd_exporter']}",
                f"--statsd.listen-udp={s.host}:{s.ports['statsd_udp']}",
                "--statsd.listen-tcp=",
                "--log.level=warn",
            ],
            probe=Probe("http", f"http://{s.host}:{s.ports['statsd_exporter']}/metrics"),
            memory_mb=96,
            start_timeout=30,
        ),
        Service(
            name="memory-exporter",
            profile=PROFILE,
            description="Per-service process-tree RSS and catalogue memory budgets, for PromQL",
            command=[str(s.platform_python), "-m", "lakehouse.monitoring.memory_exporter"],
            probe=Probe("http", f"http://{s.host}:{s.ports['process_exporter']}/metrics"),
            memory_mb=128,
            start_timeout=30,
        ),
    ]
