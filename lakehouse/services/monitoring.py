"""Monitoring prepare hooks: write prometheus.yml and alertmanager.yml for this instance's ports.

The alert rules are files in the repository (``lakehouse/monitoring/rules``), referenced by
absolute path, so ``promtool test rules`` tests exactly what Prometheus loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakehouse.catalogue.monitoring import EVALUATION_INTERVAL_S, SCRAPE_INTERVAL_S, monitoring_home, rules_dir
from lakehouse.settings import Settings

# Job name -> settings port name. Every job is scraped whether or not its profile runs: a
# configured target that is down is a finding (``up == 0``), not something to hide.
SCRAPE_JOBS: dict[str, str] = {
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "statsd-exporter": "statsd_exporter",
    "lakehouse-memory": "process_exporter",
    "streaming": "streaming_metrics",
    "kafka": "kafka_jmx",
}


def prometheus_config(s: Settings) -> dict[str, Any]:
    interval = f"{SCRAPE_INTERVAL_S}s"
    return {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": f"{EVALUATION_INTERVAL_S}s",
            "external_labels": {"lakehouse": s.state_dir.name},
        },
        "rule_files": [str(rules_dir(s) / "*.yml")],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"{s.host}:{s.ports['alertmanager']}"]}]}],
        },
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"{s.host}:{s.ports[port]}"]}]}
            for job, port in SCRAPE_JOBS.items()
        ],
    }


def alertmanager_config() -> dict[str, Any]:
    """Alerts are kept (and read through ``/api/v2/alerts``), not sent anywhere: one null receiver."""
    return {
        "route": {
            "receiver": "null",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "5s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "null"}],
    }


def _write(path: Path, document: dict[str, Any]) -> None:
    # JSON is YAML: no YAML writer needed in the platform's hooks.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)


def prepare_prometheus(settings: Settings) -> None:
    (settings.data_dir / "prometheus").mkdir(parents=True, exist_ok=True)
    _write(monitoring_home(settings) / "prometheus.yml", prometheus_config(settings))


def prepare_alertmanager(settings: Settings) -> None:
    (settings.data_dir / "alertmanager").mkdir(parents=True, exist_ok=True)
    _write(monitoring_home(settings) / "alertmanager.yml", alertmanager_config())
