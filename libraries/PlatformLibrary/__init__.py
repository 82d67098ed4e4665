"""PlatformLibrary: lifecycle, health, memory and logs of the lakehouse platform under test."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from lakehouse.catalogue import all_services, closure
from lakehouse.runner import PlatformBackend, backend_for
from contract.lifecycle import LifecycleError
from lhkit import htmllog
from lhkit.polling import to_seconds, wait_until
from lhkit.target import Target, current, require_test_environment
from PlatformLibrary.profiles import profiles_from_tags, profiles_of_suite

__version__ = "0.1.0"


@library(scope="GLOBAL", version=__version__, auto_keywords=False)
class PlatformLibrary:
    """Lifecycle, health, memory and logs of the lakehouse platform under test.

    = Profiles =
    Services are grouped in profiles, as in Docker Compose: ``core`` (Kafka, the
    schema registry, S3), ``data-platform`` (Spark Bronze ingestion),
    ``quality-orchestration`` (dbt and Airflow), ``monitoring`` and ``bi``. A suite
    states the profiles it needs with tags such as ``profile:core``;
    `Ensure Profiles For Suite` starts exactly those, plus their dependencies.

    = Targets and backends =
    The target comes from the variables file (``${LH_TARGET}``, see
    ``variables/``). Without one, it is the embedded platform of this checkout:
    local processes under supervisord. All keywords work through one backend
    interface: ``embedded`` now, ``compose`` later, and ``external`` (an already
    running platform), on which lifecycle keywords fail with a clear message and
    health keywords use the same readiness probes.

    Stopping, killing and restarting services are destructive: they refuse targets
    not marked as test environments.

    = Parallel runs =
    Start-up is serialized with a file lock and is idempotent, so every pabot
    worker can call `Ensure Profiles For Suite` at once: the first starts the
    services, the others wait and then find them running.

    = Restarts =
    `Mark Service State` records a service's process identity; `Service Should
    Not Have Restarted` compares against such a mark (or against the first time
    this library saw the service), and also checks the OOM-kill counter when the
    service runs in its own memory cgroup.

    Example:
    | ***** Settings *****
    | Library        PlatformLibrary
    | Suite Setup    Ensure Profiles For Suite
    | Test Tags      profile:core
    |
    | ***** Test Cases *****
    | Broker Is Healthy
    |     Service Should Be Healthy    kafka
    |     ${rss}=    Get Service Memory Usage    kafka    <    768
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, backend: str | None = None):
        """``backend`` overrides the target's backend (``embedded`` or ``external``)."""
        self._backend_override = backend
        self._backend: PlatformBackend | None = None
        self._baseline: dict[str, dict[str, Any]] = {}
        # The running-model suites (with their tests and tags), innermost last.
        self._suites: list[Any] = []
        self._samplers: dict[str, _MemorySampler] = {}
        self.ROBOT_LIBRARY_LISTENER = self

    # Library listener: keeps the running suite model, whose tests carry the tags.
    def start_suite(self, data: Any, result: Any) -> None:
        self._suites.append(data)

    def end_suite(self, data: Any, result: Any) -> None:
        if self._suites:
            self._suites.pop()

    # --- plumbing ----------------------------------------------------------------
    @property
    def target(self) -> Target:
        return current()

    @property
    def backend(self) -> PlatformBackend:
        if self._backend is None:
            self._backend = backend_for(self._backend_override or self.target.backend)
        return self._backend

    def _remember(self, name: str) -> None:
        if name not in self._baseline:
            self._baseline[name] = self._identity(name)

    def _identity(self, name: str) -> dict[str, Any]:
        st = self.backend.service_status(name)
        mem = self._cgroup_counters(name)
        return {"service": name, "pid": st.pid, "started_at": st.started_at, "restarts": st.restarts,
                "state": st.state, "oom_kills": mem.get("oom_kills")}

    def _cgroup_counters(self, name: str) -> dict[str, Any]:
        try:
            m = self.backend.memory(name)
        except LifecycleError:
            return {}
        return {"oom_kills": m.oom_kills}

    # --- lifecycle ---------------------------------------------------------------
    @keyword(tags=("Lifecycle",))
    def start_profiles(self, *profiles: str, timeout: timedelta | None = None) -> list[str]:
        """Start the given profiles and their dependencies; wait until every service is ready.

        Idempotent: running services are left alone. Returns the services it started.

        | Start Profiles    core    data-platform
        """
        if not profiles:
            raise ValueError("Give at least one profile, e.g. 'Start Profiles    core'")
        report = self.backend.up(list(profiles), timeout=to_seconds(timeout, 0) or None)
        logger.info(f"Profiles {', '.join(profiles)} ready in {report.seconds:.1f} s; "
                    f"started: {', '.join(report.started) or 'nothing (already running)'}")
        for name in report.started + report.already_running:
            self._remember(name)
        return report.started

    @keyword(tags=("Lifecycle",))
    def ensure_profiles_for_suite(self, timeout: timedelta | None = None) -> list[str]:
        """Start the profiles named by the current suite's ``profile:<name>`` tags.

        Reads the tags of every test in the current suite (and its children),
        then behaves as `Start Profiles`. Safe to call from many pabot workers at
        once. Fails if the suite has no profile tag. Returns the profiles.

        | ***** Settings *****
        | Suite Setup    Ensure Profiles For Suite
        | Test Tags      profile:core    profile:data-platform
        """
        if not self._suites:
            raise RuntimeError("Ensure Profiles For Suite must run inside a Robot Framework suite")
        suite = self._suites[-1]
        profiles = sorted(profiles_of_suite(suite))
        if not profiles:
            raise AssertionError(f"Suite '{suite.full_name}' has no 'profile:<name>' tag on any test")
        self.start_profiles(*profiles, timeout=timeout)
        return profiles

    @keyword(tags=("Lifecycle",))
    def start_service(self, name: str, timeout: timedelta | None = None) -> None:
        """Start one service (its dependencies must be running) and wait until it is ready."""
        self.backend.start_service(name, to_seconds(timeout, 0) or None)

    @keyword(tags=("Lifecycle", "Destructive"))
    def stop_service(self, name: str) -> None:
        """Stop a service gracefully (SIGTERM, then SIGKILL after the grace period). It stays down.

        | Stop Service    schema-registry
        | [Teardown]    Start Service    schema-registry
        """
        require_test_environment(self.target, f"stop service '{name}'")
        self.backend.stop_service(name)
        logger.info(f"Stopped {name}.")

    @keyword(tags=("Lifecycle", "Destructive"))
    def restart_service(self, name: str, timeout: timedelta | None = None) -> None:
        """Stop a service gracefully, start it again and wait until its readiness probe passes.

        | Restart Service    bronze-streaming    timeout=2 min
        """
        require_test_environment(self.target, f"restart service '{name}'")
        start = time.monotonic()
        self.backend.restart_service(name, to_seconds(timeout, 0) or None)
        self._baseline[name] = self._identity(name)
        logger.info(f"Restarted {name}; ready again after {time.monotonic() - start:.1f} s.")

    @keyword(tags=("Lifecycle", "Destructive"))
    def kill_service(self, name: str, wait_until_healthy: bool = False, timeout: timedelta | None = None) -> None:
        """Hard-kill a service (SIGKILL to its whole process group), like ``docker kill``.

        The backend's restart policy then applies (embedded: supervisord restarts
        a service that died unexpectedly, as Compose ``restart: on-failure``).
        With ``wait_until_healthy=True`` the keyword waits for the restarted
        service to pass its readiness probe.

        | Kill Service    bronze-streaming    wait_until_healthy=True    timeout=2 min
        """
        require_test_environment(self.target, f"kill service '{name}'")
        before = self.backend.service_status(name)
        self.backend.kill_service(name)
        logger.info(f"Sent SIGKILL to {name} (pid {before.pid}).")
        if wait_until_healthy:
            wait_until(
                lambda: self._healthy_new_process(name, before.pid),
                lambda r: r[0],
                timeout=timeout,
                default_timeout=120,
                description=f"'{name}' to be restarted and healthy after the kill",
                describe=lambda r: r[1],
            )

    def _healthy_new_process(self, name: str, old_pid: int | None) -> tuple[bool, str]:
        st = self.backend.service_status(name)
        if st.pid == old_pid or not st.pid:
            return False, f"{st.state}, pid {st.pid}"
        ok, detail = self.backend.health(name)
        return ok, f"{st.state}, pid {st.pid}, probe: {detail}"

    # --- health ------------------------------------------------------------------
    @keyword(tags=("Health",))
    def service_should_be_healthy(self, name: str, timeout: timedelta = timedelta(seconds=5),
                                  message: str | None = None) -> None:
        """Fail unless the service's readiness probe passes within ``timeout``.

        For one-shot init services, healthy means "finished with exit code 0".
        On failure the message gives the last probe result and the tail of the
        service log is attached.

        | Service Should Be Healthy    kafka
        | Service Should Be Healthy    schema-registry    timeout=30 s
        """
        try:
            wait_until(
                lambda: self.backend.health(name),
                lambda r: r[0],
                timeout=timeout,
                description=f"service '{name}' to be healthy",
                describe=lambda r: r[1],
            )
        except AssertionError as error:
            self._attach_tail(name)
            raise AssertionError(message or str(error)) from None
        self._remember(name)

    @keyword(tags=("Health",))
    def services_should_be_healthy(self, *profiles: str, timeout: timedelta = timedelta(seconds=5)) -> list[str]:
        """Check every service of the given profiles (and their dependencies). Returns the names checked.

        All unhealthy services are reported together, each with its last probe result.

        | Services Should Be Healthy    core
        """
        catalogue = all_services(_settings())
        names = [s.name for s in closure(catalogue, profiles or ("core",))]
        failed = []
        for name in names:
            try:
                self.service_should_be_healthy(name, timeout=timeout)
            except AssertionError as error:
                failed.append(str(error))
        rows = [st.__dict__ for st in self.backend.status(names)]
        htmllog.log_table(rows, ["name", "profile", "state", "pid", "rss_bytes", "restarts", "exit_status"],
                          caption="Service status")
        if failed:
            raise AssertionError(f"{len(failed)} of {len(names)} services unhealthy:\n" + "\n".join(failed))
        return names

    @keyword(tags=("Health",))
    def get_service_status(self, name: str) -> dict[str, Any]:
        """Return the service's status: state, pid, rss_bytes, uptime_s, restarts, exit_status, profile.

        | ${status}=    Get Service Status    kafka
        | Should Be Equal    ${status}[state]    RUNNING
        """
        st = self.backend.service_status(name)
        data = dict(st.__dict__)
        htmllog.log_json(data, title=f"Status of {name}", level="DEBUG")
        return data

    # --- memory ------------------------------------------------------------------
    @keyword(tags=("Memory", "Getter"))
    def get_service_memory_usage(self, name: str, assertion_operator: AssertionOperator | None = None,
                                 expected: float | None = None, message: str | None = None) -> float:
        """Return the service's resident memory in MB (whole process tree), optionally asserting it.

        When the service runs in its own memory cgroup, its limit, usage, peak and
        OOM-kill count are logged too.

        | ${mb}=    Get Service Memory Usage    kafka
        | Get Service Memory Usage    bronze-streaming    <    1536
        """
        status = self.backend.service_status(name)
        if not status.running:
            self._attach_tail(name)
            raise AssertionError(f"Cannot measure the memory of '{name}': it is {status.state}, not running")
        usage = self.backend.memory(name)
        details = {k: v for k, v in usage.__dict__.items() if v not in (None, {}, 0) or k == "rss_bytes"}
        logger.info(f"{name}: RSS {usage.rss_mb:.0f} MB" + (
            f", cgroup limit {usage.limit_bytes / 2**20:.0f} MB, peak {(usage.cgroup_peak_bytes or 0) / 2**20:.0f} MB,"
            f" OOM kills {usage.oom_kills}" if usage.limit_bytes else " (no memory cgroup)"))
        htmllog.log_json(details, title=f"Memory of {name}", level="DEBUG")
        value = round(usage.rss_mb, 1)
        return verify_assertion(value, assertion_operator, expected, f"Memory of '{name}' (MB)", message)

    @keyword(tags=("Memory",))
    def get_service_memory_details(self, name: str) -> dict[str, Any]:
        """Return RSS plus cgroup figures (``limit_bytes``, ``cgroup_peak_bytes``, ``oom_kills``, ``failcnt``)."""
        return dict(self.backend.memory(name).__dict__)

    @keyword(tags=("Memory", "Getter"))
    def get_service_memory_limit(self, name: str) -> int:
        """Return the service's enforced memory limit in MB (its cgroup limit), or 0 when none is enforced.

        The embedded runner enforces each service's budget as a cgroup v1 memory limit
        when it runs as root; elsewhere only the budget is declared, and tests fall back
        to sampling RSS (`Start Memory Sampling`).

        | ${limit}=    Get Service Memory Limit    bronze-streaming
        """
        usage = self.backend.memory(name)
        limit = (usage.limit_bytes or 0) // 2**20
        logger.info(f"{name}: " + (f"memory limit {limit} MB enforced by its cgroup" if limit
                                   else "no enforced memory limit (no memory cgroup)"))
        return limit

    @keyword(tags=("Memory",))
    def start_memory_sampling(self, name: str, interval: timedelta = timedelta(milliseconds=200)) -> str:
        """Sample the service's RSS in the background until `Stop Memory Sampling`; returns a sampler id.

        | ${sampler}=    Start Memory Sampling    bronze-streaming
        | Publish Burst
        | ${memory}=    Stop Memory Sampling    ${sampler}
        | Should Be True    ${memory}[peak_rss_mb] < 1536
        """
        sampler = _MemorySampler(self.backend, name, to_seconds(interval, 0.2))
        self._samplers[sampler.id] = sampler
        sampler.start()
        return sampler.id

    @keyword(tags=("Memory",))
    def stop_memory_sampling(self, sampler: str) -> dict[str, Any]:
        """Stop a sampler; return ``peak_rss_mb``, ``mean_rss_mb``, ``samples``, ``seconds`` and, with a
        cgroup, ``cgroup_peak_mb``, ``limit_mb`` and ``oom_kills``. Fails if the service was not running
        at some sample (it died or restarted meanwhile)."""
        try:
            result = self._samplers.pop(sampler).stop()
        except KeyError:
            raise ValueError(f"Unknown memory sampler '{sampler}'") from None
        logger.info(f"{result['service']}: peak RSS {result['peak_rss_mb']} MB, mean {result['mean_rss_mb']} MB "
                    f"over {result['samples']} samples in {result['seconds']} s"
                    + (f"; cgroup peak {result['cgroup_peak_mb']} MB of limit {result['limit_mb']} MB, "
                       f"OOM kills {result['oom_kills']}" if result.get("limit_mb") else ""))
        if result["not_running_samples"]:
            raise AssertionError(f"'{result['service']}' was not running in {result['not_running_samples']} of "
                                 f"{result['samples']} samples (states seen: {', '.join(result['states'])})")
        return result

    # --- restarts ----------------------------------------------------------------
    @keyword(tags=("Restarts",))
    def mark_service_state(self, name: str) -> dict[str, Any]:
        """Record the service's process identity (pid, start time, restart and OOM counters) and return it.

        | ${mark}=    Mark Service State    bronze-streaming
        | Publish Burst
        | Service Should Not Have Restarted    bronze-streaming    since=${mark}
        """
        mark = self._identity(name)
        logger.info(f"Marked {name}: pid {mark['pid']}, restarts {mark['restarts']}, OOM kills {mark['oom_kills']}")
        return mark

    @keyword(tags=("Restarts",))
    def service_should_not_have_restarted(self, name: str, since: dict[str, Any] | None = None,
                                          message: str | None = None) -> None:
        """Fail if the service restarted, died or was OOM-killed since ``since`` (a `Mark Service State`
        result) or, without it, since this library first saw the service.

        | Service Should Not Have Restarted    kafka
        """
        base = since or self._baseline.get(name)
        if base is None:
            raise AssertionError(f"No baseline for '{name}': call 'Mark Service State' first or pass since=")
        now = self._identity(name)
        problems = []
        if now["state"] != "RUNNING":
            problems.append(f"it is {now['state']}")
        if now["pid"] != base["pid"]:
            problems.append(f"pid changed {base['pid']} -> {now['pid']}")
        if now["restarts"] != base["restarts"]:
            problems.append(f"restart count {base['restarts']} -> {now['restarts']}")
        if base.get("oom_kills") is not None and now.get("oom_kills") != base.get("oom_kills"):
            problems.append(f"OOM kills {base['oom_kills']} -> {now['oom_kills']}")
        if problems:
            self._attach_tail(name)
            raise AssertionError(message or f"Service '{name}' restarted: {'; '.join(problems)}")
        logger.info(f"{name}: same process (pid {now['pid']}), no restarts, OOM kills {now['oom_kills']}.")

    # --- logs --------------------------------------------------------------------
    @keyword(tags=("Logs",))
    def get_service_log_tail(self, name: str, lines: int = 50) -> str:
        """Return (and log, at DEBUG) the last ``lines`` lines of the service's log. Secrets are masked.

        | ${tail}=    Get Service Log Tail    kafka    lines=20
        | Should Not Contain    ${tail}    ERROR
        """
        from lhcommon.masking import mask

        text = mask(self.backend.log_tail(name, lines))
        htmllog.log_text_block(text, title=f"Last {lines} lines of {name}", level="DEBUG")
        return text

    @keyword(tags=("Logs",))
    def attach_service_logs(self, *names: str, lines: int = 40) -> None:
        """Attach log tails to log.html: the named services, or the daemons of the current test's profiles.

        Meant for test teardowns: ``[Teardown]  Run Keyword If Test Failed  Attach Service Logs``.
        """
        if not names:
            names = tuple(self._services_of_current_test())
        for name in names:
            self._attach_tail(name, lines)

    def _services_of_current_test(self) -> list[str]:
        tags = BuiltIn().get_variable_value("@{TEST_TAGS}", [])
        profiles = profiles_from_tags(tags) or {"core"}
        catalogue = all_services(_settings())
        return [s.name for s in closure(catalogue, profiles) if not s.oneshot]

    def _attach_tail(self, name: str, lines: int = 40) -> None:
        try:
            text = self.backend.log_tail(name, lines)
        except LifecycleError as error:
            text = str(error)
        htmllog.log_text_block(text, title=f"Last {lines} lines of the {name} log", level="INFO")


def _settings():
    from lakehouse.settings import Settings

    return Settings.load()


class _MemorySampler:
    """Background RSS sampling of one service (a thread; stopped by `Stop Memory Sampling`)."""

    _counter = itertools.count(1)

    def __init__(self, backend: PlatformBackend, name: str, interval: float):
        self.id = f"{name}#{next(self._counter)}"
        self.backend, self.name, self.interval = backend, name, interval
        self.rss: list[int] = []
        self.states: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"memory-sampler-{self.id}", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            st = self.backend.service_status(self.name)
            self.states.append(st.state)
            self.rss.append(st.rss_bytes or 0)
            self._stop.wait(self.interval)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(10)
        mb = [r / 2**20 for r in self.rss] or [0.0]
        out: dict[str, Any] = {
            "service": self.name,
            "samples": len(self.rss),
            "seconds": round(time.monotonic() - self._started, 1),
            "peak_rss_mb": round(max(mb), 1),
            "mean_rss_mb": round(sum(mb) / len(mb), 1),
            "states": sorted(set(self.states)),
            "not_running_samples": sum(1 for s in self.states if s != "RUNNING"),
        }
        try:
            usage = self.backend.memory(self.name)
        except LifecycleError:
            return out
        if usage.limit_bytes:
            out.update(
                limit_mb=usage.limit_bytes // 2**20,
                cgroup_peak_mb=round((usage.cgroup_peak_bytes or 0) / 2**20),
                oom_kills=usage.oom_kills,
            )
        return out

