"""Types of the service catalogue.

A :class:`Service` is declared once and read by every backend: the embedded
runner turns it into a supervisord program, the Compose backend into a
``services:`` entry, ``invoke status`` and the health keywords into checks.
Declarations are data: commands are argv lists, readiness checks are named
probes that ``python -m lakehouse.health <service>`` can also run (which is what
a Compose ``healthcheck`` will call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Profile = Literal["core", "data-platform", "quality-orchestration", "monitoring", "bi", "airflow2-compat"]
# ``airflow2-compat`` (Airflow 2.11, declared in quality_orchestration.py) is only
# for the AirflowLibrary /api/v1 compatibility tests.
PROFILES: tuple[str, ...] = ("core", "data-platform", "quality-orchestration", "monitoring", "bi", "airflow2-compat")


@dataclass(frozen=True)
class Probe:
    """A named readiness check with its arguments.

    ``kind`` is one of the probes in :mod:`lakehouse.health`: ``tcp``, ``http``,
    ``kafka``, ``s3``, ``schema_registry``, ``exited_ok`` (one-shot finished with
    exit code 0) or ``python`` (a ``module:function`` taking settings).
    """

    kind: str
    target: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    profile: str
    command: list[str]
    probe: Probe
    memory_mb: int
    depends_on: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    oneshot: bool = False
    # Seconds the runner allows for the probe to pass after start.
    start_timeout: float = 60.0
    # Secret env values: never written to logs or the status output.
    secret_env: tuple[str, ...] = ()
    workdir: str | None = None
    description: str = ""
    # ``module:function(settings)`` run by the launcher before the command is
    # exec'd: writes config files, formats storage. Must be idempotent.
    prepare: str | None = None
    # SIGTERM the whole process group on stop (default), or only the main process,
    # for services that stop their own children in order (Spark: python driver,
    # then its JVM). A group SIGKILL follows the grace period either way.
    stop_group: bool = True

    @property
    def log_name(self) -> str:
        return f"{self.name}.log"
