"""Restarts and OOM kills since a mark, and service log tails."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from contract.lifecycle import LifecycleError, MemoryUsage, ServiceStatus
from contract.platform import closure
from lhcommon.masking import mask
from lhkit import htmllog

from .context import PlatformComponent
from .profiles import profiles_from_tags

AREA = "Platform"


class RestartKeywords(PlatformComponent):
    @keyword(tags=("Getter", AREA))
    def mark_service_state(self, name: str) -> dict[str, Any]:
        """Record the service's process identity (pid, start time, restart and OOM counters) and return it.

        | ${mark}=    Mark Service State    bronze-streaming
        | Publish Burst
        | Service Should Not Have Restarted    bronze-streaming    since=${mark}
        """
        mark = self._mark(name)
        logger.info(
            f"Marked {name}: pid {mark['pid']}, restarts {mark['restarts']}, OOM kills {mark['oom_kills']}"
            + (", its last exit was an OOM kill" if mark["oom_killed"] else "")
        )
        return mark

    def _mark(self, name: str) -> dict[str, Any]:
        """The process identity plus what only some backends know: the container, and whether its last exit
        was an OOM kill (compose: Docker's State.OOMKilled)."""
        mark = self.identity(name)
        st = self.backend.service_status(name)
        mark.update(oom_killed=st.oom_killed, container=st.container)
        return mark

    @keyword(tags=("Assertion", AREA))
    def service_should_not_have_restarted(
        self, name: str, since: dict[str, Any] | None = None, message: str | None = None
    ) -> None:
        """Fail if the service restarted, died or was OOM-killed since ``since`` (a `Mark Service State`
        result) or, without it, since this library first saw the service.

        | Service Should Not Have Restarted    kafka
        """
        base = since or self.ctx.baseline.get(name)
        if base is None:
            raise AssertionError(f"No baseline for '{name}': call 'Mark Service State' first or pass since=")
        now = self._mark(name)
        problems = []
        if now["state"] != "RUNNING":
            problems.append(f"it is {now['state']}")
        if now["pid"] != base["pid"]:
            problems.append(f"pid changed {base['pid']} -> {now['pid']}")
        if now["restarts"] != base["restarts"]:
            problems.append(f"restart count {base['restarts']} -> {now['restarts']}")
        if base.get("oom_kills") is not None and now.get("oom_kills") != base.get("oom_kills"):
            problems.append(f"OOM kills {base['oom_kills']} -> {now['oom_kills']}")
        if now["oom_killed"] and not base.get("oom_killed"):
            problems.append("its last exit was an OOM kill")
        if problems:
            self.attach_tail(name)
            raise AssertionError(message or f"Service '{name}' restarted: {'; '.join(problems)}")
        logger.info(f"{name}: same process (pid {now['pid']}), no restarts, OOM kills {now['oom_kills']}.")

    @keyword(tags=("Assertion", AREA))
    def service_should_not_have_been_oom_killed(
        self, name: str, since: dict[str, Any] | None = None, message: str | None = None
    ) -> None:
        """Fail if the kernel's OOM killer killed the service (a process of its memory cgroup) since ``since``
        (a `Mark Service State` result), or without it since this library first saw the service, or
        without either at all (as far as the backend can tell).

        The message names the service (and its container on Compose), its memory limit and peak, the
        restart count and the exit code; the log tail is attached.

        Compose: Docker's ``State.OOMKilled`` (the last exit was an OOM kill) and the container's cgroup
        ``oom_kill`` counter. A container the restart policy started again has a fresh cgroup, so the
        killed run's peak is reported as the limit it reached. Embedded: the service's own memory cgroup
        (``oom_kill`` counter); without one (the runner not root) the keyword fails saying it cannot know.

        | ${mark}=    Mark Service State    bronze-streaming
        | Publish Burst    1000
        | Service Should Not Have Been OOM Killed    bronze-streaming    since=${mark}
        """
        base = since or self.ctx.baseline.get(name)
        st = self.backend.service_status(name)
        try:
            usage: MemoryUsage | None = self.backend.memory(name)
            why = ""
        except LifecycleError as error:
            usage, why = None, str(error)
        kills = usage.oom_kills if usage else None
        if kills is None and not st.oom_killed:
            raise AssertionError(
                f"Cannot tell whether '{name}' was OOM-killed on the {self.backend.name} backend: "
                + (why or "it has no memory cgroup of its own (the embedded runner enforces budgets only as root)")
            )
        if base is None:
            killed = st.oom_killed or bool(kills)
        else:
            # Compose's OOMKilled describes the last exit: new if the container exited since the mark.
            exited_since = st.pid != base.get("pid") or st.restarts != base.get("restarts")
            base_kills = base.get("oom_kills")
            killed = (st.oom_killed and (exited_since or not base.get("oom_killed"))) or (
                kills is not None and base_kills is not None and kills > base_kills
            )
        if not killed:
            logger.info(
                f"{name}: not OOM-killed {'since the mark' if base else 'at all'} "
                f"(OOM kills {kills}, restarts {st.restarts}, {st.state})."
            )
            return
        self.attach_tail(name)
        raise AssertionError(message or self._oom_message(name, st, usage, base))

    @staticmethod
    def _oom_message(name: str, st: ServiceStatus, usage: MemoryUsage | None, base: dict[str, Any] | None) -> str:
        def mib(value: int | None) -> str:
            return f"{value / 2**20:.1f} MiB" if value else "unknown"

        who = f"Container '{st.container}' (service '{name}')" if st.container else f"Service '{name}'"
        limit = usage.limit_bytes if usage else None
        peak = usage.cgroup_peak_bytes if usage else None
        if st.oom_killed and limit:
            # Docker's OOMKilled: the killed run's cgroup is gone; an OOM kill means it reached its limit.
            peak_text = f"{mib(limit)} (it reached its limit; peak of the current run {mib(peak)})"
        else:
            peak_text = mib(peak)
        restarts = f"{base.get('restarts')} -> {st.restarts}" if base else str(st.restarts)
        if st.exit_status is not None:
            exit_text = str(st.exit_status)
        elif st.oom_killed:
            exit_text = "137 (SIGKILL by the OOM killer; running again under its restart policy)"
        else:
            exit_text = f"none (it is {st.state}: a process of its cgroup was killed)"
        kills = usage.oom_kills if usage else None
        return (
            f"{who} was OOM-killed{' since the mark' if base else ''}: memory limit {mib(limit)}, "
            f"peak {peak_text}, OOM kills {kills}, restarts {restarts}, exit code {exit_text}, now {st.state}"
        )

    @keyword(tags=("Getter", AREA))
    def get_service_log_tail(self, name: str, lines: int = 50) -> str:
        """Return (and log, at DEBUG) the last ``lines`` lines of the service's log. Secrets are masked.

        | ${tail}=    Get Service Log Tail    kafka    lines=20
        | Should Not Contain    ${tail}    ERROR
        """
        text = mask(self.backend.log_tail(name, lines))
        htmllog.log_text_block(text, title=f"Last {lines} lines of {name}", level="DEBUG")
        return text

    @keyword(tags=("Getter", AREA))
    def attach_service_logs(self, *names: str, lines: int = 40) -> None:
        """Attach log tails to log.html: the named services, or the daemons of the current test's profiles.

        Meant for test teardowns:
        | [Teardown]    Run Keyword If Test Failed    Attach Service Logs
        """
        if not names:
            tags = BuiltIn().get_variable_value("@{TEST_TAGS}", [])
            profiles = profiles_from_tags(tags) or {"core"}
            names = tuple(s.name for s in closure(self.ctx.catalogue(), profiles) if not s.oneshot)
        for name in names:
            self.attach_tail(name, lines)
