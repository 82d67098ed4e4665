"""One platform instance as the tests see it: names, endpoints, credentials, services.

A :class:`PlatformContract` is what a user writes (or a platform publishes) in a
JSON file to point the toolkit at a lakehouse::

    {
      "name": "staging", "backend": "external", "test_environment": true,
      "topic_prefix": "stg.", "buckets": {"bronze": "stg-bronze", "silver": "stg-silver", "gold": "stg-gold"},
      "kafka_bootstrap": "broker:9092", "schema_registry_url": "http://registry:8081",
      "s3_endpoint": "http://s3:9000", "s3_access_key": "...", "s3_secret_key": "..."
    }

Every field has a default except the endpoints a suite uses. The reference
lakehouse writes the contract of its embedded instance to
``<state dir>/contract.json`` (mode 0600: it holds credentials).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from contract.layout import DLQ_TABLE, LAYERS
from contract.topics import TOPICS, Topic, topic

PROFILES: tuple[str, ...] = ("core", "data-platform", "quality-orchestration", "monitoring", "bi", "airflow2-compat")
BACKENDS: tuple[str, ...] = ("embedded", "compose", "external")
# What lets a toolkit start, stop or re-target a platform; an external view (``as_external``) has none.
LIFECYCLE_FIELDS: tuple[str, ...] = ("control_command", "control_cwd", "control_env", "compose_file", "compose_project")
SECRET_FIELDS: tuple[str, ...] = ("s3_secret_key", "airflow_password", "superset_password")
PROBE_KINDS: tuple[str, ...] = ("kafka", "schema_registry", "s3", "http", "tcp", "exited_ok")


@dataclass(frozen=True)
class Probe:
    """A readiness check: ``kafka``, ``schema_registry``, ``s3`` (against the contract's endpoints),
    ``http`` (a URL answering < 400), ``tcp`` (``host:port`` open) or ``exited_ok`` (a one-shot
    finished with exit code 0)."""

    kind: str
    target: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PROBE_KINDS:
            raise ValueError(f"Unknown probe kind '{self.kind}'. Known: {', '.join(PROBE_KINDS)}")


@dataclass(frozen=True)
class ServiceInfo:
    """What the tests know of a service: its profile, dependencies, memory budget and readiness probe."""

    name: str
    profile: str
    probe: Probe
    depends_on: tuple[str, ...] = ()
    memory_mb: int | None = None
    oneshot: bool = False
    description: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ServiceInfo:
        data = dict(values)
        probe = data.pop("probe", {"kind": "exited_ok" if data.get("oneshot") else "tcp"})
        data["probe"] = Probe(**probe) if isinstance(probe, Mapping) else probe
        data["depends_on"] = tuple(data.get("depends_on", ()))
        return cls(**data)


class _Declared(Protocol):
    name: str
    profile: str
    depends_on: tuple[str, ...]


S = TypeVar("S", bound=_Declared)


def closure(services: Mapping[str, S], profiles: Iterable[str], known: Iterable[str] = PROFILES,
            with_unprofiled: bool = False) -> list[S]:
    """Services of ``profiles`` plus everything they depend on, dependencies first.

    ``known`` are the valid profile names (a user's Compose project may have its own);
    ``with_unprofiled`` adds the services without a profile, which Compose always starts."""
    wanted, known = list(profiles), list(known)
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ValueError(f"Unknown profile(s): {', '.join(unknown)}. Known: {', '.join(known)}")
    names: set[str] = set()
    stack = [s.name for s in services.values() if s.profile in wanted or (with_unprofiled and not s.profile)]
    while stack:
        name = stack.pop()
        if name not in names:
            if name not in services:
                raise ValueError(f"Unknown service '{name}' (a dependency). Known: {', '.join(services)}")
            names.add(name)
            stack.extend(services[name].depends_on)
    return topological([services[n] for n in names])


def topological(services: list[S]) -> list[S]:
    by_name = {s.name: s for s in services}
    order: list[S] = []
    state: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ValueError(f"Dependency cycle: {' -> '.join((*path, name))}")
        state[name] = 1
        for dep in by_name[name].depends_on:
            if dep in by_name:
                visit(dep, (*path, name))
        state[name] = 2
        order.append(by_name[name])

    rank = {p: i for i, p in enumerate(PROFILES)}
    for name in sorted(by_name, key=lambda n: (rank.get(by_name[n].profile, len(rank)), n)):
        visit(name, ())
    return order


def profiles_of(services: Iterable[_Declared]) -> list[str]:
    present = {s.profile for s in services}
    return [p for p in PROFILES if p in present]


@dataclass(frozen=True)
class PlatformContract:
    """A lakehouse platform as the toolkit sees it. Immutable; see the module docstring for the file format."""

    name: str = "lakehouse"
    # embedded: the reference lakehouse's local processes, driven through ``control_command``;
    # compose: Docker Compose (``compose_file``, ``compose_project``); external: already running,
    # health checks only.
    backend: str = "external"
    # Destructive keywords refuse a platform not marked as a test environment.
    test_environment: bool = False
    # --- names -----------------------------------------------------------------------------
    topic_prefix: str = ""
    buckets: Mapping[str, str] = field(default_factory=lambda: {layer: layer for layer in LAYERS})
    # --- endpoints and credentials ---------------------------------------------------------
    kafka_bootstrap: str = ""
    schema_registry_url: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    streaming_metrics_url: str = ""
    airflow_url: str = ""
    airflow_user: str = ""
    airflow_password: str = ""
    # monitoring: Prometheus (PromQL, targets, rules) and Alertmanager (alerts).
    prometheus_url: str = ""
    alertmanager_url: str = ""
    # bi: Superset (REST API and the dashboards a user opens).
    superset_url: str = ""
    superset_user: str = ""
    superset_password: str = ""
    # Where the streaming job keeps its checkpoint (a local path); "Delete Streaming Checkpoint" removes it.
    streaming_checkpoint: str = ""
    # --- dbt (the platform's own installation) ---------------------------------------------
    dbt_command: tuple[str, ...] = ()
    dbt_project_dir: str = ""
    dbt_profiles_dir: str = ""
    # One dbt writer at a time: the platform's scheduled runs and the tests' runs take this flock(2) file.
    dbt_lock_file: str = ""
    # --- lifecycle -------------------------------------------------------------------------
    # The platform's lifecycle CLI (embedded backend): ``<command> up|down|status|… --json``.
    control_command: tuple[str, ...] = ()
    control_cwd: str = ""
    # The environment the command runs with on top of the caller's: what makes it drive *this* instance
    # (its state directory, ports, topic prefix and buckets) whoever calls it. No secrets.
    control_env: Mapping[str, str] = field(default_factory=dict)
    # The Compose project (compose backend): its file and project name (``docker compose -f F -p P``).
    compose_file: str = ""
    compose_project: str = ""
    # Catalogue facts: services, profiles, dependencies, budgets, probes. Empty for an external
    # platform means the default set derived from the endpoints given.
    services: tuple[ServiceInfo, ...] = ()

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PlatformContract:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(
                f"Unknown platform contract field(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}"
            )
        data = dict(values)
        if isinstance(data.get("test_environment"), str):
            data["test_environment"] = data["test_environment"].strip().lower() in ("1", "true", "yes")
        for key in ("dbt_command", "control_command"):
            if key in data:
                data[key] = tuple(data[key])
        if "services" in data:
            data["services"] = tuple(
                s if isinstance(s, ServiceInfo) else ServiceInfo.from_mapping(s) for s in data["services"]
            )
        if "buckets" in data:
            missing = [layer for layer in LAYERS if layer not in data["buckets"]]
            if missing:
                raise ValueError(f"buckets must name every layer; missing: {', '.join(missing)}")
            data["buckets"] = dict(data["buckets"])
        if "control_env" in data:
            data["control_env"] = {str(k): str(v) for k, v in dict(data["control_env"]).items()}
        contract = cls(**data)
        if contract.backend not in BACKENDS:
            raise ValueError(f"Unknown backend '{contract.backend}', expected one of {', '.join(BACKENDS)}")
        if contract.backend == "compose" and not (contract.compose_file and contract.compose_project):
            raise ValueError("A compose target must name its compose_file and its compose_project")
        return contract

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PlatformContract:
        try:
            values = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"Platform contract file not found: {path}") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"Platform contract file {path} is not valid JSON: {error}") from None
        return cls.from_mapping(values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["buckets"] = dict(self.buckets)
        data["control_env"] = dict(self.control_env)
        return data

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the contract as JSON, readable by its owner only (it holds credentials)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        tmp.chmod(0o600)
        tmp.replace(target)
        return target

    def with_overrides(self, **changes: Any) -> PlatformContract:
        return replace(self, **changes)

    def as_external(self, **changes: Any) -> PlatformContract:
        """The same platform seen as an already-running one: ``backend="external"`` and every lifecycle
        field cleared (``LIFECYCLE_FIELDS``), so nothing can start, stop or re-target it; ``changes`` on top."""
        cleared = {
            f.name: f.default_factory() if f.default is MISSING else f.default  # type: ignore[misc]
            for f in fields(self)
            if f.name in LIFECYCLE_FIELDS
        }
        return replace(self, **{**cleared, "backend": "external", **changes})

    # --- names -----------------------------------------------------------------------------
    def topic(self, name: str) -> Topic:
        """The contract topic of a logical name, a table name, or a physical (prefixed) name."""
        if self.topic_prefix and name.startswith(self.topic_prefix):
            name = name[len(self.topic_prefix) :]
        return topic(name)

    def topic_name(self, name: str) -> str:
        """The physical topic on the broker: ``topic_prefix`` + the logical name."""
        return self.topic_prefix + self.topic(name).name

    @property
    def topic_names(self) -> tuple[str, ...]:
        return tuple(self.topic_prefix + t.name for t in TOPICS)

    def bucket(self, layer: str) -> str:
        try:
            return self.buckets[layer]
        except KeyError:
            raise ValueError(f"Unknown layer '{layer}'. Known: {', '.join(LAYERS)}") from None

    def layer_root(self, layer: str, scheme: str = "s3") -> str:
        """``s3://<bucket of layer>``; Spark uses ``scheme="s3a"``."""
        return f"{scheme}://{self.bucket(layer)}"

    def table_uri(self, table: str, layer: str = "bronze", scheme: str = "s3") -> str:
        return f"{self.layer_root(layer, scheme)}/{table}"

    def bronze_table(self, name: str) -> str:
        """Accept a topic (``gps-pings``), a table (``gps_pings``), ``bronze.gps_pings`` or ``dlq``."""
        bare = name.removeprefix("bronze.")
        if bare.replace("-", "_") == DLQ_TABLE:
            return DLQ_TABLE
        try:
            return self.topic(bare).table
        except KeyError:
            known = ", ".join([*(t.table for t in TOPICS), DLQ_TABLE])
            raise ValueError(f"Unknown Bronze table '{name}'. Known: {known}") from None

    # --- services --------------------------------------------------------------------------
    def service_catalogue(self) -> dict[str, ServiceInfo]:
        """The declared services, or for an external platform without a declaration the
        services its endpoints imply (one per endpoint, in the profile that owns it)."""
        declared = self.services or self._implied_services()
        return {s.name: s for s in declared}

    def _implied_services(self) -> tuple[ServiceInfo, ...]:
        found = []
        if self.kafka_bootstrap:
            found.append(ServiceInfo("kafka", "core", Probe("kafka")))
        if self.schema_registry_url:
            found.append(ServiceInfo("schema-registry", "core", Probe("schema_registry")))
        if self.s3_endpoint:
            found.append(ServiceInfo("s3", "core", Probe("s3")))
        if self.streaming_metrics_url:
            found.append(
                ServiceInfo(
                    "bronze-streaming",
                    "data-platform",
                    Probe("http", self.streaming_metrics_url.rstrip("/") + "/health"),
                )
            )
        if self.airflow_url:
            found.append(
                ServiceInfo(
                    "airflow",
                    "quality-orchestration",
                    Probe("http", self.airflow_url.rstrip("/") + "/api/v2/monitor/health"),
                )
            )
        if self.prometheus_url:
            found.append(
                ServiceInfo("prometheus", "monitoring", Probe("http", self.prometheus_url.rstrip("/") + "/-/ready"))
            )
        if self.alertmanager_url:
            found.append(
                ServiceInfo("alertmanager", "monitoring", Probe("http", self.alertmanager_url.rstrip("/") + "/-/ready"))
            )
        if self.superset_url:
            found.append(ServiceInfo("superset", "bi", Probe("http", self.superset_url.rstrip("/") + "/health")))
        return tuple(found)

    def public_dict(self, mask: str = "***") -> dict[str, Any]:
        """The contract with its secrets replaced by ``mask``: safe to log."""
        data = self.to_dict()
        for key in SECRET_FIELDS:
            if data[key]:
                data[key] = mask
        return data
