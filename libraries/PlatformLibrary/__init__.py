"""PlatformLibrary: lifecycle, health, memory, restarts and logs of the lakehouse platform under test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from lhkit.component import KeywordLibrary

from .context import PlatformContext
from .health import HealthKeywords
from .lifecycle import LifecycleKeywords
from .memory import MemoryKeywords
from .reset import ResetKeywords
from .restarts import RestartKeywords
from .sockets import SocketKeywords

__version__ = "0.2.0"


class PlatformLibrary(KeywordLibrary):
    """Lifecycle, health, memory, restarts and logs of the lakehouse platform under test.

    %TOC%

    = Profiles =
    Services are grouped in profiles, as in Docker Compose: ``core`` (Kafka, the schema registry,
    S3), ``data-platform`` (Bronze ingestion), ``quality-orchestration`` (dbt and Airflow),
    ``monitoring`` and ``bi``. A suite states the profiles it needs with tags such as
    ``profile:core``; `Ensure Profiles For Suite` starts exactly those, plus their dependencies.

    = Targets and backends =
    The target is a platform contract (``${LH_TARGET}``, set by a variables file such as
    ``variables/embedded.py`` or ``variables/external.py``). Its ``backend`` chooses how the
    platform is driven, and its ``services`` list gives the catalogue facts (profiles,
    dependencies, memory budgets, readiness probes):

    | ``embedded`` | the reference lakehouse's local processes, driven through its lifecycle CLI |
    | ``compose`` | a Docker Compose project (``compose_file``, ``compose_project``) through the docker SDK |
    | ``external`` | an already-running platform: health probes against its own endpoints only |

    On an external target, lifecycle and memory keywords fail with a clear message. On Compose, every
    keyword behaves as on the embedded backend: profiles come up with ``docker compose up --wait``,
    status, health, restart counts and OOM kills come from the containers, memory from their cgroups
    (the limit is the ``mem_limit``), and a hard kill is a SIGKILL to the container's init process, so
    that ``restart: on-failure`` treats it as a crash. `Exceed Service Memory Limit` (a fault injection)
    exists on Compose only; `Reset Lakehouse Tables` on the embedded backend only.

    Stopping, killing and restarting services are destructive: they refuse targets not marked
    as test environments.

    = Timeouts =
    ``timeout`` on import sets the library-wide default (Robot time format, default 30 s) used by
    every keyword whose own ``timeout`` is not given.

    = Parallel runs =
    Start-up is serialized by the platform and is idempotent, so every pabot worker can call
    `Ensure Profiles For Suite` at once: the first starts the services, the others find them running.

    = Resetting tables =
    `Reset Lakehouse Tables` empties a layer's tables (or chosen ones) the safe way: the platform stops
    their writers, deletes the objects, re-creates the empty tables with its own init and resumes the
    writers from consistent offsets, so a table then holds exactly what was published after the reset.
    It is exclusive (a PabotLib lock under pabot, the platform's reset lock always).

    = Restarts =
    `Mark Service State` records a service's process identity; `Service Should Not Have
    Restarted` compares against such a mark (or against the first time this library saw the
    service), and also checks the OOM-kill counter when the service runs in its own memory cgroup.

    Example:
    | ***** Settings *****
    | Library        PlatformLibrary
    | Suite Setup    Ensure Profiles For Suite
    | Test Tags      profile:core
    |
    | ***** Test Cases *****
    | Broker Is Healthy
    |     Service Should Be Healthy    kafka
    |     Get Service Memory Usage    kafka    <    768
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        backend: str | None = None,
        timeout: timedelta = timedelta(seconds=30),
    ):
        """``target``: a contract mapping to use instead of ``${LH_TARGET}``. ``backend``: override the
        target's backend. ``timeout``: the library-wide default timeout."""
        ctx = PlatformContext(target, timeout, backend=backend)
        kinds = (LifecycleKeywords, HealthKeywords, MemoryKeywords, RestartKeywords, ResetKeywords, SocketKeywords)
        components = [cls(ctx) for cls in kinds]
        super().__init__(ctx, components)

    # Library listener: keeps the running suite model, whose tests carry the profile tags.
    def start_suite(self, data: Any, result: Any) -> None:
        self.ctx.suites.append(data)

    def end_suite(self, data: Any, result: Any) -> None:
        if self.ctx.suites:
            self.ctx.suites.pop()
