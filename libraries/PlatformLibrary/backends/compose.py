"""The compose backend: any Docker Compose project, driven through the docker SDK.

The target names the project: ``compose_file`` and ``compose_project`` (``docker compose -f F -p P``).
The Compose CLI is used for two things only, ``up`` of profiles (``--wait``) and ``down``; everything
else goes through the docker SDK (``docker`` 7.x) against the containers Compose labels
``com.docker.compose.project=P`` and ``com.docker.compose.service=<name>``. Nothing here imports the
reference lakehouse: a user's own Compose-managed lakehouse works the same way.

Conventions the backend relies on (the reference lakehouse's generated file follows them):

* one Compose service per catalogue service, same name; profiles are the catalogue's profiles;
* every long-running service has a ``healthcheck`` (readiness is Docker's health status) and
  ``restart: on-failure`` (or ``on-failure:N``); one-shot init services have ``restart: "no"`` and their dependents
  ``condition: service_completed_successfully``;
* ``mem_limit`` is the service's memory budget; ``init: true``;
* optional label ``io.lakehouse.oneshot: "true"`` on one-shots (see :func:`catalogue_from_compose`).

Catalogue facts (profiles, dependencies, budgets, one-shots) come from the target's ``services``; a
target without them (a user's own project) gets them from the Compose file (``profiles``,
``depends_on``, ``mem_limit``; a service some other service waits for with
``service_completed_successfully`` is a one-shot; a service without profiles is in every profile).

States (:class:`ServiceStatus.state`) from the container's state and health:

=================================  ==============================================
container                          state
=================================  ==============================================
running, healthy or no healthcheck RUNNING
running, health ``starting``       STARTING
running, health ``unhealthy``      UNHEALTHY (Docker does not restart it)
restarting                         BACKOFF (the restart policy is at work)
exited                             EXITED (``exit_status`` = its exit code)
created, paused                    STOPPED
dead                               FATAL
no container                       NOT_CREATED
=================================  ==============================================

A deliberately stopped long-running service shows as EXITED (Docker keeps no "stopped on
purpose" flag in its API). ``restarts`` is Docker's RestartCount: restarts by the restart policy
only, as on the embedded backend (deliberate stops and restarts do not count).

**Hard kill.** Docker 20.10's kill (``container.kill()``, ``docker kill``) marks the container as
manually stopped: the restart policy does NOT restart it (verified: exit 137, RestartCount
unchanged, the container stays exited). A crash is what the restart policy handles, so
:meth:`ComposeBackend.kill_service` sends SIGKILL to the container's init process by its host PID
(``State.Pid``); the kernel then kills everything in the container's PID namespace, the container
exits 137, and ``restart: on-failure`` starts it again (verified: RestartCount + 1, a new PID,
healthy again about 1.2 s later). This needs the toolkit on the Docker host, as root.
``restart: on-failure:N`` allows N such restarts per container start: the N+1th kill would leave the
container exited (verified with N=3), so the backend refuses it with a message; a deliberate restart
(``restart_service``, ``docker restart``) resets RestartCount and the allowance.

**OOM kills.** ``State.OOMKilled`` is set when the kernel's OOM killer ended the container, and
Docker keeps it while the restart policy runs the container again (until its next exit); the
restarted container gets a fresh memory cgroup, so its counters (peak, failcnt, oom_kill) start
again from zero. :meth:`ComposeBackend.memory` reports ``oom_kills`` = the current cgroup's
``oom_kill`` counter (cgroup v1 ``memory.oom_control``, v2 ``memory.events``, when the cgroup is
reachable from here) plus one when ``State.OOMKilled`` is set.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from contract.lifecycle import LifecycleError, MemoryUsage, PlatformBackend, ServiceStatus, UpReport
from contract.platform import PlatformContract, Probe, ServiceInfo, closure
from lhcommon.locks import exclusive_lock
from lhcommon.masking import mask
from lhcommon.polling import WaitTimeout, format_seconds, wait_until

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
# Optional: marks a one-shot init service in a Compose file (the reference lakehouse's file sets it).
ONESHOT_LABEL = "io.lakehouse.oneshot"
UP_TIMEOUT = 300.0
STOP_TIMEOUT = 20
SDK_TIMEOUT = 30
TAIL_ON_FAILURE = 20
POLL = 0.25
# Compose's progress lines ("Container p-web-1 Started"): left out of failure messages.
PROGRESS = re.compile(
    r"^\s*(Container|Network|Volume) \S+ +(Creating|Created|Recreate|Recreated|Starting|Started|Waiting|Running|"
    r"Healthy|Exited|Stopping|Stopped|Removing|Removed)\s*$"
)


def map_state(docker_status: str, health: str) -> str:
    """The contract state of a container: Docker's ``State.Status`` and ``State.Health.Status``."""
    if docker_status == "running":
        return {"starting": "STARTING", "unhealthy": "UNHEALTHY"}.get(health, "RUNNING")
    return {
        "restarting": "BACKOFF",
        "exited": "EXITED",
        "created": "STOPPED",
        "paused": "STOPPED",
        "removing": "STOPPED",
        "dead": "FATAL",
    }.get(docker_status, docker_status.upper() or "NOT_CREATED")


def parse_docker_time(value: str | None) -> float | None:
    """Epoch seconds of a Docker timestamp (``2026-12-01T22:21:38.117978036Z``); None for the zero time."""
    if not value or value.startswith("0001-"):
        return None
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    return datetime.fromisoformat(text + "+00:00").timestamp()


def parse_memory_stats(memory_stats: Mapping[str, Any], limit_bytes: int | None) -> dict[str, int | None]:
    """Usage, peak, failcnt and RSS from ``container.stats()["memory_stats"]``, cgroup v1 or v2.

    v1 has ``max_usage`` and ``failcnt`` and RSS as ``stats.total_rss`` (``rss``); v2 has neither
    peak nor failcnt in the API, and RSS is ``stats.anon``. ``limit_bytes`` is the container's
    ``mem_limit`` (HostConfig.Memory), not the stats' limit (the host's memory when none is set).
    """
    stats = memory_stats.get("stats") or {}
    v2 = "anon" in stats and "total_rss" not in stats
    rss = stats.get("anon") if v2 else stats.get("total_rss", stats.get("rss"))
    return {
        "usage": memory_stats.get("usage"),
        "peak": None if v2 else memory_stats.get("max_usage"),
        "failcnt": None if v2 else memory_stats.get("failcnt"),
        "rss": rss,
        "limit": limit_bytes or None,
        "cache": stats.get("file") if v2 else stats.get("total_cache", stats.get("cache")),
    }


def parse_size(value: Any) -> int | None:
    """Compose sizes (``64m``, ``1g``, ``512MB``, bytes) in bytes."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip().lower().removesuffix("b")
    units = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


def catalogue_from_compose(document: Mapping[str, Any]) -> dict[str, ServiceInfo]:
    """Catalogue facts from a parsed Compose file: profile (first of ``profiles``, "" for none),
    ``depends_on``, ``mem_limit`` (or ``deploy.resources.limits.memory``) and one-shots (the label
    ``io.lakehouse.oneshot: "true"``, else the services another service waits for with
    ``condition: service_completed_successfully``)."""
    services = document.get("services") or {}
    oneshots: set[str] = set()
    for spec in services.values():
        deps = (spec or {}).get("depends_on") or {}
        if isinstance(deps, Mapping):
            oneshots.update(
                n for n, d in deps.items() if (d or {}).get("condition") == "service_completed_successfully"
            )
    out = {}
    for name, spec in services.items():
        spec = spec or {}
        deps = spec.get("depends_on") or ()
        limit = spec.get("mem_limit") or (((spec.get("deploy") or {}).get("resources") or {}).get("limits") or {}).get(
            "memory"
        )
        size = parse_size(limit)
        labels = spec.get("labels") or {}
        flag = str(labels.get(ONESHOT_LABEL, "")).lower() if isinstance(labels, Mapping) else ""
        oneshot = flag == "true" if flag in ("true", "false") else name in oneshots
        out[name] = ServiceInfo(
            name=name,
            profile=(spec.get("profiles") or [""])[0],
            probe=Probe("exited_ok" if oneshot else "tcp"),
            depends_on=tuple(deps),
            memory_mb=size // 2**20 if size else None,
            oneshot=oneshot,
        )
    return out


def closure_of(catalogue: Mapping[str, ServiceInfo], profiles: Iterable[str]) -> list[ServiceInfo]:
    """Services of ``profiles`` (plus the profile-less ones Compose always starts) and their dependencies."""
    known = sorted({s.profile for s in catalogue.values() if s.profile})
    try:
        return closure(catalogue, profiles, known=known, with_unprofiled=True)
    except ValueError as error:
        raise LifecycleError(str(error)) from None


def describe_container(attrs: Mapping[str, Any]) -> str:
    """One line: state, health, exit code, OOMKilled, restarts and the last health-check output."""
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    parts = [f"state {state.get('Status')}"]
    if health:
        parts.append(f"health {health.get('Status')}")
    parts.append(f"exit code {state.get('ExitCode')}")
    parts.append(f"OOMKilled {str(bool(state.get('OOMKilled'))).lower()}")
    parts.append(f"restarts {attrs.get('RestartCount', 0)}")
    if state.get("Error"):
        parts.append(f"error {state['Error']!r}")
    probe = last_probe(attrs)
    if probe:
        parts.append(f"last health check: {probe}")
    return ", ".join(parts)


def last_probe(attrs: Mapping[str, Any]) -> str:
    """The last health check's exit code and output, one line."""
    log = ((attrs.get("State") or {}).get("Health") or {}).get("Log") or []
    if not log:
        return ""
    last = log[-1]
    output = " ".join(str(last.get("Output", "")).split())
    return f"exit {last.get('ExitCode')}: {output or '(no output)'}"


# Seconds for Docker to notice a hard-killed container's exit.
KILL_SEEN_TIMEOUT = 15.0


class ComposeBackend(PlatformBackend):
    """See the module docstring."""

    name = "compose"

    def __init__(self, target: PlatformContract):
        if not (target.compose_file and target.compose_project):
            raise LifecycleError(
                f"Target '{target.name}' must name its compose_file and compose_project for the compose backend"
            )
        self.target = target
        self.file = Path(target.compose_file)
        self.project = target.compose_project
        self._catalogue: dict[str, ServiceInfo] | None = dict(target.services and target.service_catalogue()) or None
        self._client: Any = None

    # --- plumbing ----------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import docker
            except ImportError:
                raise LifecycleError("The compose backend needs the docker SDK: pip install 'docker>=7'") from None
            try:
                self._client = docker.from_env(timeout=SDK_TIMEOUT)
                self._client.ping()
            except Exception as error:  # docker.errors.DockerException and requests' errors
                self._client = None
                raise LifecycleError(f"Cannot reach the Docker engine ({type(error).__name__}: {error})") from None
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _compose(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-f", str(self.file), "-p", self.project, *args]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            raise LifecycleError("The docker CLI is missing (the compose backend runs 'docker compose')") from None
        except subprocess.TimeoutExpired:
            raise LifecycleError(f"'{' '.join(argv)}' did not finish within {timeout:.0f} s") from None

    def _lock_path(self) -> Path:
        folder = self.file.parent if os.access(self.file.parent, os.W_OK) else Path(tempfile.gettempdir())
        return folder / f".{self.project}.compose-lifecycle.lock"

    # --- catalogue ---------------------------------------------------------------------
    def catalogue(self) -> dict[str, ServiceInfo]:
        if self._catalogue is None:
            import yaml

            try:
                document = yaml.safe_load(self.file.read_text()) or {}
            except OSError as error:
                raise LifecycleError(f"Cannot read the Compose file {self.file}: {error}") from None
            self._catalogue = catalogue_from_compose(document)
        return self._catalogue

    def service_names(self) -> list[str]:
        return list(self.catalogue())

    def _service(self, name: str) -> ServiceInfo:
        try:
            return self.catalogue()[name]
        except KeyError:
            known = ", ".join(sorted(self.catalogue()))
            raise LifecycleError(f"Unknown service '{name}'. Known services: {known}") from None

    # --- containers --------------------------------------------------------------------
    def _containers(self, only: str | None = None) -> dict[str, Any]:
        """The project's containers by service (the newest one per service; one-off runs excluded);
        ``only``: just that service's (one inspect instead of one per container of the project)."""
        labels = [f"{PROJECT_LABEL}={self.project}", *([f"{SERVICE_LABEL}={only}"] if only else [])]
        found: dict[str, Any] = {}
        for container in self.client.containers.list(all=True, filters={"label": labels}, ignore_removed=True):
            labels_of = container.labels
            if labels_of.get(ONEOFF_LABEL, "False") == "True":
                continue
            service = labels_of.get(SERVICE_LABEL, "")
            if service not in found or container.attrs.get("Created", "") > found[service].attrs.get("Created", ""):
                found[service] = container
        return found

    def _container(self, name: str) -> Any:
        self._service(name)
        container = self._containers(name).get(name)
        if container is None:
            raise LifecycleError(
                f"Service '{name}' has no container in Compose project '{self.project}' (is its profile up?)"
            )
        return container

    def _status_of(self, service: ServiceInfo, container: Any | None) -> ServiceStatus:
        st = ServiceStatus(
            name=service.name,
            profile=service.profile,
            state="NOT_CREATED",
            oneshot=service.oneshot,
            memory_budget_mb=service.memory_mb,
        )
        if container is None:
            return st
        attrs = container.attrs
        state = attrs.get("State") or {}
        st.container = container.name
        st.health = (state.get("Health") or {}).get("Status", "")
        st.state = map_state(state.get("Status", ""), st.health)
        st.pid = state.get("Pid") or None
        st.restarts = int(attrs.get("RestartCount") or 0)
        st.oom_killed = bool(state.get("OOMKilled"))
        st.started_at = parse_docker_time(state.get("StartedAt"))
        if state.get("Status") in ("exited", "dead"):
            st.exit_status = state.get("ExitCode")
        if st.memory_budget_mb is None and (attrs.get("HostConfig") or {}).get("Memory"):
            st.memory_budget_mb = attrs["HostConfig"]["Memory"] // 2**20
        if st.pid:
            st.rss_bytes = _tree_rss(st.pid)
            if st.started_at:
                st.uptime_s = max(0.0, time.time() - st.started_at)
        return st

    # --- observation -------------------------------------------------------------------
    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        catalogue = self.catalogue()
        wanted = list(names) if names is not None else list(catalogue)
        for n in wanted:
            self._service(n)
        containers = self._containers(wanted[0] if len(wanted) == 1 else None)
        return [self._status_of(catalogue[n], containers.get(n)) for n in wanted]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status([name])[0]

    def health(self, name: str) -> tuple[bool, str]:
        service = self._service(name)
        container = self._containers(name).get(name)
        st = self._status_of(service, container)
        if service.oneshot:
            return st.finished_ok, f"{st.state} (exit status {st.exit_status})"
        if container is None:
            return False, "no container (NOT_CREATED)"
        attrs = container.attrs
        if st.state in ("RUNNING", "STARTING", "UNHEALTHY") and not st.health:
            return st.state == "RUNNING", "running (no healthcheck: running counts as healthy)"
        if st.health:
            probe = last_probe(attrs) or "no health check has run yet"
            return st.state == "RUNNING", f"{st.state}, health {st.health}; last health check {probe}"
        return False, f"container {container.name} is {st.state}: {describe_container(attrs)}"

    def log_tail(self, name: str, lines: int = 50) -> str:
        container = self._container(name)
        raw = container.logs(stdout=True, stderr=True, tail=lines, timestamps=False)
        return raw.decode("utf-8", "replace")

    def memory(self, name: str) -> MemoryUsage:
        """Usage, peak, failcnt, RSS and OOM kills of the container's memory cgroup; the limit is its
        ``mem_limit``. On the Docker host the cgroup files are read directly (a few ms; the same
        figures the stats API serves); elsewhere ``container.stats()`` (about 1 s on Docker 20.10: it
        waits for the next 1 s collection even with ``one-shot``)."""
        container = self._container(name)
        attrs = container.attrs
        state = attrs.get("State") or {}
        limit = (attrs.get("HostConfig") or {}).get("Memory") or None
        usage = MemoryUsage(service=name, rss_bytes=0, limit_bytes=limit)
        group = _memory_cgroup(state.get("Pid") or 0, container.id)
        figures: dict[str, int | None] = read_cgroup_memory(group) if group else {}
        if state.get("Running") and not figures:
            raw = container.stats(stream=False, one_shot=True).get("memory_stats") or {}
            figures = parse_memory_stats(raw, limit)
        if state.get("Running"):
            usage.rss_bytes = int(figures.get("rss") or 0) or (_tree_rss(state.get("Pid") or 0) or 0)
            usage.cgroup_usage_bytes = figures.get("usage")
            usage.cgroup_peak_bytes = figures.get("peak")
            usage.failcnt = figures.get("failcnt")
            if figures.get("cache") is not None:
                usage.extra["cache"] = int(figures["cache"] or 0)
        usage.oom_kills = (figures.get("oom_kills") or 0) + (1 if state.get("OOMKilled") else 0)
        usage.extra["oom_killed"] = int(bool(state.get("OOMKilled")))
        return usage

    # --- lifecycle ---------------------------------------------------------------------
    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport:
        start, wall = time.monotonic(), time.time()
        wanted = list(profiles)
        services = closure_of(self.catalogue(), wanted)
        budget = timeout or UP_TIMEOUT
        used = [p for p in dict.fromkeys([*wanted, *(s.profile for s in services)]) if p]
        with exclusive_lock(
            self._lock_path(),
            budget + 60,
            holder=" ".join(sys.argv)[:200],
            what=f"the compose lifecycle lock of project '{self.project}' (another process is starting it)",
        ):
            before = self.status([s.name for s in services])
            ready = {st.name for st in before if st.running or st.finished_ok}
            if len(ready) == len(services):  # idempotent and quick: nothing to start (the file is not re-read)
                return UpReport([], [s.name for s in services], time.monotonic() - start)
            args = [a for p in used for a in ("--profile", p)]
            wait = max(1, int(budget - (time.monotonic() - start)))
            proc = self._compose(*args, "up", "-d", "--wait", "--wait-timeout", str(wait), timeout=wait + 30)
            if proc.returncode != 0 and not self._settle(services, start + budget):
                raise self._up_failure(services, proc, time.monotonic() - start)
        started = [s.name for s in services if s.name not in ready]
        return UpReport(
            started=started,
            already_running=[s.name for s in services if s.name in ready],
            seconds=time.monotonic() - start,
            ready_after=self._ready_after(started, wall),
        )

    def _settle(self, services: list[ServiceInfo], deadline: float) -> bool:
        """After ``up --wait`` gave up: wait (SDK, polling) until every service is ready, or one failed for good.

        Compose v5's ``--wait`` also fails when a one-shot init service that no selected service depends on
        exits, even with 0 (``container … exited (0)``), and stops waiting for the others. Such an exit is
        the one-shot's success; a non-zero exit, an unhealthy or dead container or a missing one is not."""

        def check() -> tuple[str, str]:
            containers = self._containers()
            waiting = []
            for service in services:
                st = self._status_of(service, containers.get(service.name))
                if st.running or st.finished_ok:
                    continue
                if st.state in ("UNHEALTHY", "FATAL", "NOT_CREATED") or (st.state == "EXITED" and not st.restarts
                                                                         and not service.oneshot):
                    return "failed", f"{service.name} is {st.state}"
                if service.oneshot and st.state == "EXITED":
                    return "failed", f"{service.name} exited {st.exit_status}"
                waiting.append(f"{service.name} {st.state}")
            return ("ready", "all ready") if not waiting else ("waiting", ", ".join(waiting))

        try:
            outcome = wait_until(check, lambda r: r[0] != "waiting", timeout=max(1.0, deadline - time.monotonic()),
                                 interval=POLL, description="the profiles' services to be ready after compose up",
                                 describe=lambda r: r[1], log=False)
        except WaitTimeout:
            return False
        return outcome[0] == "ready"

    def _ready_after(self, names: list[str], wall: float) -> dict[str, float]:
        """Seconds from ``wall`` until each service was ready: its first passing health check (Docker keeps
        the last 5: reported only when the first pass is among them), a one-shot's exit, or without a
        healthcheck its start."""
        out: dict[str, float] = {}
        containers = self._containers()
        for name in names:
            container = containers.get(name)
            if container is None:
                continue
            state = container.attrs.get("State") or {}
            log = (state.get("Health") or {}).get("Log") or []
            stamp = None
            if self.catalogue()[name].oneshot:
                stamp = parse_docker_time(state.get("FinishedAt"))
            elif not log:
                stamp = parse_docker_time(state.get("StartedAt"))
            elif len(log) < 5 or log[0].get("ExitCode") != 0:
                passed = [e for e in log if e.get("ExitCode") == 0]
                stamp = parse_docker_time(passed[0].get("End")) if passed else None
            if stamp is not None:
                out[name] = round(max(0.0, stamp - wall), 2)
        return out

    def _up_failure(
        self, services: list[ServiceInfo], proc: subprocess.CompletedProcess[str], seconds: float
    ) -> LifecycleError:
        containers = self._containers()
        bad = []
        for service in services:
            container = containers.get(service.name)
            st = self._status_of(service, container)
            if st.running or st.finished_ok:
                continue
            if container is None:
                bad.append(f"Service '{service.name}': no container was created.")
                continue
            tail = container.logs(stdout=True, stderr=True, tail=TAIL_ON_FAILURE).decode("utf-8", "replace")
            bad.append(
                f"Service '{service.name}' (container {container.name}) is {st.state}: "
                f"{describe_container(container.attrs)}. "
                + (f"Last {TAIL_ON_FAILURE} log lines:\n{tail.rstrip()}" if tail.strip() else "No log output.")
            )
        if "unknown command" in proc.stderr or "is not a docker command" in proc.stderr:
            return LifecycleError(
                f"The Compose CLI plugin is missing ('docker compose' failed: {proc.stderr.strip()[:200]}); "
                "install it (the reference lakehouse: ./lh provision --backend compose)"
            )
        said = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if not PROGRESS.match(line)]
        cli = "\n".join([line for line in said if line][-8:])
        return LifecycleError(
            mask(
                f"docker compose up of project '{self.project}' failed after {format_seconds(seconds)} "
                f"(exit {proc.returncode}).\n"
                + ("\n".join(bad) or "Every service is running.")
                + f"\nCompose said:\n{cli}"
            )
        )

    def down(self) -> None:
        with exclusive_lock(
            self._lock_path(),
            UP_TIMEOUT,
            holder=" ".join(sys.argv)[:200],
            what=f"the compose lifecycle lock of '{self.project}'",
        ):
            proc = self._compose("--profile", "*", "down", "--timeout", str(STOP_TIMEOUT), timeout=UP_TIMEOUT)
        if proc.returncode != 0:
            raise LifecycleError(mask(f"docker compose down of project '{self.project}' failed: {proc.stderr.strip()}"))

    def start_service(self, name: str, timeout: float | None = None) -> None:
        service = self._service(name)
        container = self._containers(name).get(name)
        if container is None:
            budget = int(timeout or UP_TIMEOUT)
            args = ("--profile", service.profile) if service.profile else ()
            proc = self._compose(
                *args, "up", "-d", "--no-deps", "--wait", "--wait-timeout", str(budget), name, timeout=budget + 30
            )
            if proc.returncode != 0:
                raise self._up_failure([service], proc, float(budget))
            return
        container.start()
        self._wait_ready(name, timeout, "to start")

    def stop_service(self, name: str) -> None:
        self._container(name).stop(timeout=STOP_TIMEOUT)

    def restart_service(self, name: str, timeout: float | None = None) -> None:
        self._container(name).restart(timeout=STOP_TIMEOUT)
        self._wait_ready(name, timeout, "to restart")

    def _wait_ready(self, name: str, timeout: float | None, what: str) -> None:
        try:
            wait_until(
                lambda: self.health(name),
                lambda r: r[0],
                timeout=timeout or UP_TIMEOUT,
                interval=POLL,
                description=f"service '{name}' {what} and be healthy",
                describe=lambda r: r[1],
                log=False,
            )
        except WaitTimeout as error:
            tail = self.log_tail(name, TAIL_ON_FAILURE)
            raise LifecycleError(f"{error}. Last {TAIL_ON_FAILURE} log lines:\n{mask(tail.rstrip())}") from None

    def run_in_service(self, name: str, argv: list[str], timeout: float = 60.0) -> tuple[int, str]:
        """Run a command inside the service's container (``docker exec``, SDK), in its memory cgroup.

        Returns the exit code and the output. The command is bounded by ``timeout`` (``timeout`` inside
        the container when it has coreutils, which every Debian image has)."""
        container = self._container(name)
        result = container.exec_run(["timeout", str(max(1, int(timeout))), *argv], demux=False)
        output = (result.output or b"").decode("utf-8", "replace")
        return int(result.exit_code if result.exit_code is not None else -1), output

    def kill_service(self, name: str) -> None:
        """SIGKILL the container's init process by its host PID, so that the restart policy handles it like a
        crash (``docker kill`` would count as a manual stop on Docker 20.10: see the module docstring)."""
        container = self._container(name)
        state = container.attrs.get("State") or {}
        pid = state.get("Pid") or 0
        if not state.get("Running") or not pid:
            raise LifecycleError(f"Cannot kill '{name}': container {container.name} is {state.get('Status')}")
        policy = (container.attrs.get("HostConfig") or {}).get("RestartPolicy") or {}
        limit, used = int(policy.get("MaximumRetryCount") or 0), int(container.attrs.get("RestartCount") or 0)
        if policy.get("Name") == "on-failure" and limit and used >= limit:
            raise LifecycleError(
                f"Refusing to hard-kill '{name}': its restart policy on-failure:{limit} has used all {used} restarts "
                f"of container {container.name}, so Docker would leave it down. Restart it deliberately first "
                "(Restart Service resets the count) or raise the limit in the Compose file."
            )
        if container.id not in _read(Path(f"/proc/{pid}/cgroup")):
            raise LifecycleError(
                f"Cannot hard-kill '{name}': pid {pid} of container {container.name} is not a process of this "
                "machine (the compose backend's kill needs the toolkit on the Docker host)"
            )
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:
            raise LifecycleError(
                f"Cannot hard-kill '{name}': no permission to signal pid {pid} (run as root)"
            ) from None

        # Return once Docker has seen the death (the kill is asynchronous to it): a status read right after
        # must not show the killed process as still running.
        def seen() -> tuple[bool, str]:
            container.reload()
            now = container.attrs.get("State") or {}
            return (not now.get("Running") or now.get("Pid") != pid), f"{now.get('Status')}, pid {now.get('Pid')}"

        wait_until(seen, lambda r: r[0], timeout=KILL_SEEN_TIMEOUT, interval=POLL, log=False,
                   description=f"Docker to see container {container.name} (pid {pid}) die after SIGKILL",
                   describe=lambda r: r[1])


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _memory_cgroup(pid: int, container_id: str) -> Path | None:
    """The memory cgroup directory of a container's init process (v1 ``memory`` controller, or the v2
    unified group) when this machine is the Docker host; None elsewhere."""
    if not pid:
        return None
    text = _read(Path(f"/proc/{pid}/cgroup"))
    if container_id not in text:  # not this host's process (or it is gone)
        return None
    for line in text.splitlines():
        hierarchy, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            group = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            return group if group.is_dir() else None
        if hierarchy == "0" and not controllers:
            group = Path("/sys/fs/cgroup") / path.lstrip("/")
            if (group / "memory.events").exists():
                return group
    return None


def read_cgroup_memory(group: Path) -> dict[str, int | None]:
    """``usage``, ``peak``, ``failcnt``, ``rss``, ``cache`` and ``oom_kills`` of a memory cgroup directory.

    cgroup v1: ``memory.usage_in_bytes``, ``memory.max_usage_in_bytes``, ``memory.failcnt``,
    ``memory.stat`` (``total_rss``, ``total_cache``), ``memory.oom_control`` (``oom_kill``).
    cgroup v2: ``memory.current``, ``memory.peak`` (kernels from 5.19), ``memory.stat`` (``anon``,
    ``file``), ``memory.events`` (``oom_kill``; ``max``, the times usage hit the limit, as failcnt).
    Missing files give None. Empty when the directory is gone.
    """

    def number(name: str) -> int | None:
        text = _read(group / name).strip()
        return int(text) if text.isdigit() else None

    def pairs(name: str) -> dict[str, int]:
        out = {}
        for line in _read(group / name).splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                out[key] = int(value)
        return out

    if (group / "memory.usage_in_bytes").exists():
        stat = pairs("memory.stat")
        return {
            "usage": number("memory.usage_in_bytes"),
            "peak": number("memory.max_usage_in_bytes"),
            "failcnt": number("memory.failcnt"),
            "rss": stat.get("total_rss", stat.get("rss")),
            "cache": stat.get("total_cache", stat.get("cache")),
            "oom_kills": pairs("memory.oom_control").get("oom_kill"),
        }
    if (group / "memory.current").exists():
        stat, events = pairs("memory.stat"), pairs("memory.events")
        return {
            "usage": number("memory.current"),
            "peak": number("memory.peak"),
            "failcnt": events.get("max"),
            "rss": stat.get("anon"),
            "cache": stat.get("file"),
            "oom_kills": events.get("oom_kill"),
        }
    return {}


def _tree_rss(pid: int) -> int | None:
    """RSS of a host process and its children (the container's processes)."""
    try:
        import psutil

        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except Exception:  # psutil.Error: gone, or not on this host
        return None
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except Exception:  # psutil.Error: exited meanwhile
            pass
    return total
