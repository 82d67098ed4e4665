"""Starting profiles and services; stopping, restarting and killing them (destructive)."""

from __future__ import annotations

import time
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from lhkit.target import require_test_environment

from .context import PlatformComponent
from .profiles import profiles_of_suite

AREA = "Platform"


class LifecycleKeywords(PlatformComponent):
    @keyword(tags=("Setter", AREA))
    def start_profiles(self, *profiles: str, timeout: timedelta | None = None) -> list[str]:
        """Start the given profiles and their dependencies; wait until every service is ready.

        Idempotent: running services are left alone. Returns the services it started. On an
        external target it starts nothing and fails unless every service of the profiles is healthy.

        | Start Profiles    core    data-platform
        """
        if not profiles:
            raise ValueError("Give at least one profile, e.g. 'Start Profiles    core'")
        seconds = self.timeout(timeout) if timeout is not None else None
        report = self.backend.up(list(profiles), timeout=seconds)
        logger.info(
            f"Profiles {', '.join(profiles)} ready in {report.seconds:.1f} s on '{self.target.name}' "
            f"({self.backend.name}); started: {', '.join(report.started) or 'nothing (already running)'}"
        )
        for name in report.started + report.already_running:
            self.remember(name)
        return report.started

    @keyword(tags=("Setter", AREA))
    def ensure_profiles_for_suite(self, timeout: timedelta | None = None) -> list[str]:
        """Start the profiles named by the current suite's ``profile:<name>`` tags (see `Start Profiles`).

        Reads the tags of every test in the current suite and its children. Safe to call from many
        pabot workers at once: start-up is serialized and idempotent. Fails if the suite has no
        profile tag. Returns the profiles.

        | ***** Settings *****
        | Suite Setup    Ensure Profiles For Suite
        | Test Tags      profile:core    profile:data-platform
        """
        if not self.ctx.suites:
            raise RuntimeError("Ensure Profiles For Suite must run inside a Robot Framework suite")
        suite = self.ctx.suites[-1]
        profiles = sorted(profiles_of_suite(suite))
        if not profiles:
            raise AssertionError(f"Suite '{suite.full_name}' has no 'profile:<name>' tag on any test")
        self.start_profiles(*profiles, timeout=timeout)
        return profiles

    @keyword(tags=("Setter", AREA))
    def start_service(self, name: str, timeout: timedelta | None = None) -> None:
        """Start one service (its dependencies must be running) and wait until it is ready.

        | [Teardown]    Start Service    schema-registry
        """
        self.backend.start_service(name, self.timeout(timeout) if timeout is not None else None)

    @keyword(tags=("Destructive", AREA))
    def stop_service(self, name: str) -> None:
        """Stop a service gracefully (SIGTERM, then SIGKILL after the grace period). It stays down.

        | Stop Service    schema-registry
        | [Teardown]    Start Service    schema-registry
        """
        require_test_environment(self.target, f"stop service '{name}'")
        self.backend.stop_service(name)
        logger.info(f"Stopped {name}.")

    @keyword(tags=("Destructive", AREA))
    def restart_service(self, name: str, timeout: timedelta | None = None) -> None:
        """Stop a service gracefully, start it again and wait until its readiness probe passes.

        | Restart Service    bronze-streaming    timeout=2 min
        """
        require_test_environment(self.target, f"restart service '{name}'")
        start = time.monotonic()
        self.backend.restart_service(name, self.timeout(timeout) if timeout is not None else None)
        self.ctx.baseline[name] = self.identity(name)
        logger.info(f"Restarted {name}; ready again after {time.monotonic() - start:.1f} s.")

    @keyword(tags=("Destructive", AREA))
    def kill_service(self, name: str, wait_until_healthy: bool = False, timeout: timedelta | None = None) -> None:
        """Hard-kill a service (SIGKILL to its whole process group), like ``docker kill``.

        The backend's restart policy then applies (embedded: a service that died unexpectedly is
        restarted, as Compose ``restart: on-failure``). On Compose the container's init process gets
        the SIGKILL (by its host PID), so Docker sees a crash and its restart policy restarts it
        (``docker kill`` would count as a deliberate stop). With ``wait_until_healthy=True`` the keyword
        waits (``timeout``, default the library timeout) for a new, healthy process.

        | Kill Service    bronze-streaming    wait_until_healthy=True    timeout=2 min
        """
        require_test_environment(self.target, f"kill service '{name}'")
        before = self.backend.service_status(name)
        self.backend.kill_service(name)
        logger.info(f"Sent SIGKILL to {name} (pid {before.pid}).")
        if wait_until_healthy:
            self.wait_until(
                lambda: self._healthy_new_process(name, before.pid),
                lambda r: r[0],
                timeout=self.timeout(timeout),
                description=f"'{name}' to be restarted and healthy after the kill",
                describe=lambda r: r[1],
            )

    def _healthy_new_process(self, name: str, old_pid: int | None) -> tuple[bool, str]:
        st = self.backend.service_status(name)
        if st.pid == old_pid or not st.pid:
            return False, f"{st.state}, pid {st.pid}"
        ok, detail = self.backend.health(name)
        return ok, f"{st.state}, pid {st.pid}, probe: {detail}"
