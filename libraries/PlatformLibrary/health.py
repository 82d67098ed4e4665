"""Readiness of services, and their status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robot.api.deco import keyword

from contract.platform import closure
from lhkit import htmllog

from .context import PlatformComponent

AREA = "Platform"


class HealthKeywords(PlatformComponent):
    @keyword(tags=("Wait", "Assertion", AREA))
    def service_should_be_healthy(
        self, name: str, timeout: timedelta = timedelta(seconds=5), message: str | None = None
    ) -> None:
        """Fail unless the service's readiness probe passes within ``timeout``.

        For one-shot init services, healthy means "finished with exit code 0". On an external
        target the probe runs against the target's own endpoints. On failure the message gives
        the last probe result and the tail of the service log is attached.

        | Service Should Be Healthy    kafka
        | Service Should Be Healthy    schema-registry    timeout=30 s
        """
        try:
            self.wait_until(
                lambda: self.backend.health(name),
                lambda r: r[0],
                timeout=self.timeout(timeout),
                description=f"service '{name}' to be healthy",
                describe=lambda r: r[1],
            )
        except AssertionError as error:
            self.attach_tail(name)
            raise AssertionError(message or str(error)) from None
        self.remember(name)

    @keyword(tags=("Wait", "Assertion", AREA))
    def services_should_be_healthy(self, *profiles: str, timeout: timedelta = timedelta(seconds=5)) -> list[str]:
        """Check every service of the given profiles (default ``core``) and their dependencies.

        All unhealthy services are reported together, each with its last probe result. Returns
        the names checked.

        | Services Should Be Healthy    core
        """
        names = [s.name for s in closure(self.ctx.catalogue(), profiles or ("core",))]
        failed = []
        for name in names:
            try:
                self.service_should_be_healthy(name, timeout=timeout)
            except AssertionError as error:
                failed.append(str(error))
        rows = [st.__dict__ for st in self.backend.status(names)]
        htmllog.log_table(
            rows,
            ["name", "profile", "state", "pid", "rss_bytes", "restarts", "exit_status"],
            caption=f"Service status on '{self.target.name}'",
        )
        if failed:
            raise AssertionError(f"{len(failed)} of {len(names)} services unhealthy:\n" + "\n".join(failed))
        return names

    @keyword(tags=("Getter", AREA))
    def get_service_status(self, name: str) -> dict[str, Any]:
        """Return the service's status: state, pid, rss_bytes, uptime_s, restarts, exit_status, profile.

        | ${status}=    Get Service Status    kafka
        | Should Be Equal    ${status}[state]    RUNNING
        """
        data = dict(self.backend.service_status(name).__dict__)
        htmllog.log_json(data, title=f"Status of {name}", level="DEBUG")
        return data
