"""Memory of services: usage against an assertion, enforced limits, background sampling."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from contract.lifecycle import UnsupportedOperation
from lhkit import htmllog
from lhkit.assertions import get_and_verify
from lhkit.polling import to_seconds
from lhkit.target import require_test_environment

from .context import MemorySampler, PlatformComponent

AREA = "Platform"


class MemoryKeywords(PlatformComponent):
    @keyword(tags=("Getter", AREA))
    def get_service_memory_usage(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: float | None = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> float:
        """Return the service's resident memory in MB (whole process tree), optionally asserting it.

        When the service runs in its own memory cgroup (embedded as root, or a Compose container),
        its limit, usage, peak and OOM-kill count are logged too. Not available on an external target.

        | ${mb}=    Get Service Memory Usage    kafka
        | Get Service Memory Usage    bronze-streaming    <    1536
        """
        return get_and_verify(
            lambda: self._rss_mb(name),
            assertion_operator,
            assertion_expected,
            f"Memory of '{name}' (MB)",
            message,
            retry_timeout,
        )

    def _rss_mb(self, name: str) -> float:
        status = self.backend.service_status(name)
        if not status.running:
            self.attach_tail(name)
            raise AssertionError(f"Cannot measure the memory of '{name}': it is {status.state}, not running")
        usage = self.backend.memory(name)
        details = {k: v for k, v in usage.__dict__.items() if v not in (None, {}, 0) or k == "rss_bytes"}
        logger.info(
            f"{name}: RSS {usage.rss_mb:.0f} MB"
            + (
                f", cgroup limit {usage.limit_bytes / 2**20:.0f} MB,"
                f" peak {(usage.cgroup_peak_bytes or 0) / 2**20:.0f} MB,"
                f" OOM kills {usage.oom_kills}"
                if usage.limit_bytes
                else " (no memory cgroup)"
            )
        )
        htmllog.log_json(details, title=f"Memory of {name}", level="DEBUG")
        return round(usage.rss_mb, 1)

    @keyword(tags=("Getter", AREA))
    def get_service_memory_details(self, name: str) -> dict[str, Any]:
        """Return RSS plus cgroup figures (``limit_bytes``, ``cgroup_peak_bytes``, ``oom_kills``, ``failcnt``).

        | ${details}=    Get Service Memory Details    kafka
        """
        return dict(self.backend.memory(name).__dict__)

    @keyword(tags=("Getter", AREA))
    def get_service_memory_limit(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: int | None = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Return the service's enforced memory limit in MB (its cgroup limit), or 0 when none is enforced.

        The embedded runner enforces each service's budget as a cgroup v1 memory limit when it runs
        as root; elsewhere only the budget is declared. On Compose it is the container's ``mem_limit``.

        | Get Service Memory Limit    bronze-streaming    ==    1536
        """

        def limit() -> int:
            value = (self.backend.memory(name).limit_bytes or 0) // 2**20
            logger.info(
                f"{name}: "
                + (
                    f"memory limit {value} MB enforced by its cgroup"
                    if value
                    else "no enforced memory limit (no memory cgroup)"
                )
            )
            return value

        return get_and_verify(
            limit, assertion_operator, assertion_expected, f"Memory limit of '{name}' (MB)", message, retry_timeout
        )

    @keyword(tags=("Setter", AREA))
    def start_memory_sampling(self, name: str, interval: timedelta = timedelta(milliseconds=200)) -> str:
        """Sample the service's RSS in the background until `Stop Memory Sampling`; returns a sampler id.

        | ${sampler}=    Start Memory Sampling    bronze-streaming
        | Publish Burst
        | ${memory}=    Stop Memory Sampling    ${sampler}
        """
        sampler = MemorySampler(self.backend, name, to_seconds(interval, 0.2))
        self.ctx.samplers[sampler.id] = sampler
        sampler.start()
        return sampler.id

    @keyword(tags=("Getter", "Assertion", AREA))
    def stop_memory_sampling(self, sampler: str) -> dict[str, Any]:
        """Stop a sampler; return ``peak_rss_mb``, ``mean_rss_mb``, ``samples``, ``seconds`` and, with a
        cgroup, ``cgroup_peak_mb``, ``limit_mb`` and ``oom_kills``. Fails if the service was not running
        at some sample (it died or restarted meanwhile) or could not be sampled at all.

        | ${memory}=    Stop Memory Sampling    ${sampler}
        | Should Be True    ${memory}[peak_rss_mb] < 1536
        """
        try:
            result = self.ctx.samplers.pop(sampler).stop()
        except KeyError:
            raise ValueError(f"Unknown memory sampler '{sampler}'") from None
        logger.info(
            f"{result['service']}: peak RSS {result['peak_rss_mb']} MB, mean {result['mean_rss_mb']} MB "
            f"over {result['samples']} samples in {result['seconds']} s"
            + (
                f"; cgroup peak {result['cgroup_peak_mb']} MB of limit {result['limit_mb']} MB, "
                f"OOM kills {result['oom_kills']}"
                if result.get("limit_mb")
                else ""
            )
        )
        if not result["samples"]:
            raise AssertionError(f"No memory sample of '{result['service']}' was taken: {result['errors']}")
        if result["not_running_samples"]:
            raise AssertionError(
                f"'{result['service']}' was not running in {result['not_running_samples']} of "
                f"{result['samples']} samples (states seen: {', '.join(result['states'])})"
            )
        return result

    @keyword(tags=("Destructive", AREA))
    def exceed_service_memory_limit(self, name: str, timeout: timedelta = timedelta(seconds=60)) -> int:
        """Make the service's container exceed its memory limit: a process started inside it (in its memory
        cgroup) allocates until the kernel's OOM killer ends it. Returns the hog's exit code (137: killed).

        The hog marks itself the OOM killer's first choice (``oom_score_adj`` 1000), so the service's own
        processes keep running: what the test then sees is the container's cgroup reaching its limit and
        an OOM kill in it, exactly what `Service Should Not Have Been OOM Killed` reports. A fault
        injection for proving memory checks; refuses targets not marked as test environments.

        Compose backend only (``docker exec``); other backends fail saying so.

        | ${mark}=    Mark Service State    schema-registry
        | Exceed Service Memory Limit    schema-registry
        | Run Keyword And Expect Error    *was OOM-killed*    Service Should Not Have Been OOM Killed
        | ...    schema-registry    since=${mark}
        """
        require_test_environment(self.target, f"exceed the memory limit of '{name}'")
        run = getattr(self.backend, "run_in_service", None)
        if run is None:
            raise UnsupportedOperation(
                f"The {self.backend.name} backend cannot run a process inside '{name}' (Compose backend only)"
            )
        limit = self.backend.memory(name).limit_bytes
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if not limit or limit >= total:
            raise AssertionError(f"'{name}' has no memory limit in force ({limit or 'none'}): refusing to start a "
                                 "memory hog that would take the host's memory instead")
        # Doubling a shell string allocates and touches memory; POSIX sh only, so any image can run it.
        hog = 'echo 1000 > /proc/self/oom_score_adj; x=0123456789abcdef; while :; do x="$x$x"; done'
        code, output = run(name, ["sh", "-c", hog], timeout=to_seconds(timeout, 60.0))
        logger.info(f"Memory hog in {name} ended with exit code {code}{': ' + output[-300:] if output else ''}.")
        if code == 124 or code == 0:
            raise AssertionError(f"The memory hog in '{name}' was not killed within {timeout} (exit code {code}): "
                                 "the container has no memory limit in force?")
        return code

