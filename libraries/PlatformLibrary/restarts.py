"""Restarts and OOM kills since a mark, and service log tails."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

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
        mark = self.identity(name)
        logger.info(f"Marked {name}: pid {mark['pid']}, restarts {mark['restarts']}, OOM kills {mark['oom_kills']}")
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
        now = self.identity(name)
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
            self.attach_tail(name)
            raise AssertionError(message or f"Service '{name}' restarted: {'; '.join(problems)}")
        logger.info(f"{name}: same process (pid {now['pid']}), no restarts, OOM kills {now['oom_kills']}.")

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
