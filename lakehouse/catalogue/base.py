"""Types of the service catalogue.

A :class:`Service` is declared once and read by every backend: the embedded
runner turns it into a supervisord program, ``describe`` into the contract's
:class:`contract.platform.ServiceInfo`, the health CLI into a readiness check.
Declarations are data: commands are argv lists, readiness checks are probes of the
contract's kinds, hooks are ``module:function`` names. Building the catalogue runs
nothing (no ``java -version``, no network): the launcher resolves what depends on
the machine (the Java runtime, class-data-sharing flags) when a service starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contract.platform import PROBE_KINDS, ServiceInfo
from contract.platform import Probe as ContractProbe


@dataclass(frozen=True)
class Probe:
    """A readiness check of one of the contract's kinds (:data:`contract.platform.PROBE_KINDS`).

    ``expect`` refines an ``http`` probe for the embedded runner only: ``"<dotted.path>=<value>"``
    that the JSON body must hold (Airflow's health endpoint answers 200 whatever a component's state).
    The contract keeps the plain kind and target (:meth:`public`).
    """

    kind: str
    target: str = ""
    expect: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PROBE_KINDS:
            raise ValueError(f"Unknown probe kind '{self.kind}'. Known: {', '.join(PROBE_KINDS)}")
        if self.expect and (self.kind != "http" or "=" not in self.expect):
            raise ValueError(f"expect= needs an http probe and the form 'path=value', got {self.expect!r}")

    def public(self) -> ContractProbe:
        return ContractProbe(self.kind, self.target)


@dataclass(frozen=True)
class Jvm:
    """A JVM service: the launcher prepends ``java`` (the first installed runtime of at least
    ``min_release``) and the class-data-sharing flags for ``cds_archive`` to the command."""

    min_release: int
    cds_archive: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    profile: str
    # The argv; for a ``jvm`` service, the JVM arguments after ``java``.
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
    jvm: Jvm | None = None
    # Which locally built image runs the service on a container backend (``lakehouse.compose``):
    # ``runtime`` (shared libraries for the mounted Python), ``jvm`` (+ Java 17), ``postgres``, ``monitoring``.
    # Empty: ``jvm`` for a JVM service, else ``runtime``.
    image_role: str = ""

    @property
    def role(self) -> str:
        return self.image_role or ("jvm" if self.jvm is not None else "runtime")

    @property
    def log_name(self) -> str:
        return f"{self.name}.log"

    def info(self) -> ServiceInfo:
        """What the contract publishes of this service."""
        return ServiceInfo(
            name=self.name,
            profile=self.profile,
            probe=self.probe.public(),
            depends_on=self.depends_on,
            memory_mb=self.memory_mb,
            oneshot=self.oneshot,
            description=self.description,
        )
