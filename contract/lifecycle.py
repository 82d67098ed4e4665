"""The lifecycle interface every platform backend implements, and the shapes it returns.

Backends: ``embedded`` (the reference lakehouse's local processes under supervisord,
driven through its CLI), ``compose`` (Docker Compose, through the docker SDK) and ``external`` (an
already-running platform: health checks only). The shapes travel as JSON between the
reference lakehouse's CLI and the toolkit's embedded backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field


class LifecycleError(RuntimeError):
    """A service failed to start, stop or answer. The message carries the log tail."""

    ROBOT_SUPPRESS_NAME = True


class UnsupportedOperation(LifecycleError):
    pass


@dataclass
class ServiceStatus:
    name: str
    profile: str
    # RUNNING, STARTING, UNHEALTHY (compose: running, failing its healthcheck), STOPPED, EXITED, FATAL,
    # BACKOFF, NOT_CREATED, EXTERNAL
    state: str
    pid: int | None = None
    rss_bytes: int | None = None
    uptime_s: float | None = None
    restarts: int = 0
    exit_status: int | None = None
    oneshot: bool = False
    started_at: float | None = None
    memory_budget_mb: int | None = None
    # Compose: the last exit was a kernel OOM kill (Docker's State.OOMKilled; it stays set while the
    # restart policy runs the container again, until its next exit).
    oom_killed: bool = False
    # Compose: Docker's health status (healthy, starting, unhealthy; "" without a healthcheck).
    health: str = ""
    # Compose: the container's name.
    container: str = ""

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"

    @property
    def finished_ok(self) -> bool:
        return self.oneshot and self.state == "EXITED" and self.exit_status == 0


@dataclass
class MemoryUsage:
    service: str
    rss_bytes: int
    # Process-tree RSS is always available; cgroup figures only when the service
    # runs in its own memory cgroup (embedded backend as root, or Compose).
    limit_bytes: int | None = None
    cgroup_usage_bytes: int | None = None
    cgroup_peak_bytes: int | None = None
    oom_kills: int | None = None
    failcnt: int | None = None
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / 2**20


@dataclass
class UpReport:
    started: list[str]
    already_running: list[str]
    seconds: float
    started_supervisor: bool = False
    # Seconds from the start of `up` until each service was ready.
    ready_after: dict[str, float] = field(default_factory=dict)


@dataclass
class ResetReport:
    """What a table reset did (``reset --layer L [--table T ...]``): see :meth:`PlatformBackend.reset_tables`."""

    layer: str
    tables: list[str]
    # Locks taken, with the seconds spent waiting for each.
    locks: dict[str, float] = field(default_factory=dict)
    # Writers stopped for the reset, and those started again afterwards.
    stopped: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    objects_deleted: dict[str, int] = field(default_factory=dict)
    # Bronze: end offsets of the reset tables' topics, read with the writer stopped
    # ({physical topic: {partition: offset}}), and where the writer starts again (every topic).
    end_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    starting_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    recreated: list[str] = field(default_factory=list)
    # Seconds per step, in order, and in all.
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


class PlatformBackend(ABC):
    name: str

    @abstractmethod
    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport: ...

    @abstractmethod
    def down(self) -> None: ...

    @abstractmethod
    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]: ...

    @abstractmethod
    def service_status(self, name: str) -> ServiceStatus: ...

    @abstractmethod
    def start_service(self, name: str, timeout: float | None = None) -> None: ...

    @abstractmethod
    def stop_service(self, name: str) -> None: ...

    @abstractmethod
    def restart_service(self, name: str, timeout: float | None = None) -> None: ...

    @abstractmethod
    def kill_service(self, name: str) -> None: ...

    @abstractmethod
    def health(self, name: str) -> tuple[bool, str]: ...

    @abstractmethod
    def log_tail(self, name: str, lines: int = 50) -> str: ...

    @abstractmethod
    def memory(self, name: str) -> MemoryUsage: ...

    @abstractmethod
    def service_names(self) -> list[str]: ...

    def reset_tables(
        self, layer: str, tables: Iterable[str] | None = None, resume: bool = True, timeout: float | None = None
    ) -> ResetReport:
        """Empty a layer's tables (or the named ones) safely: stop their writers, delete the objects,
        recreate the empty tables, and resume the writers so that exactly the events published after
        the reset began reach them. ``resume=False`` leaves the writers stopped.

        Backends that cannot stop the platform's writers refuse it."""
        raise UnsupportedOperation(f"The {self.name} backend cannot reset tables")
