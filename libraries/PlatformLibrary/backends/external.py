"""An already-running platform: readiness probes against the target's own endpoints; no lifecycle."""

from __future__ import annotations

from collections.abc import Iterable

from contract.lifecycle import (
    MemoryUsage,
    PlatformBackend,
    ResetReport,
    ServiceStatus,
    UnsupportedOperation,
    UpReport,
)
from contract.platform import PlatformContract, ServiceInfo, closure

from ..probes import check


class ExternalBackend(PlatformBackend):
    name = "external"

    def __init__(self, target: PlatformContract):
        self.target = target
        self._catalogue = target.service_catalogue()

    def catalogue(self) -> dict[str, ServiceInfo]:
        return self._catalogue

    def _refuse(self, what: str) -> UnsupportedOperation:
        return UnsupportedOperation(
            f"Cannot {what} on the external platform '{self.target.name}': it is not managed by this toolkit"
        )

    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport:
        """Starts nothing: checks every long-running service of the profiles answers its probe."""
        not_ready = []
        services = closure(self._catalogue, profiles)
        for svc in services:
            if not svc.oneshot:
                ok, detail = check(svc.probe, self.target)
                if not ok:
                    not_ready.append(f"{svc.name}: {detail}")
        if not_ready:
            raise UnsupportedOperation(
                f"External platform '{self.target.name}' is not healthy: " + "; ".join(not_ready)
            )
        return UpReport([], [s.name for s in services], 0.0)

    def down(self) -> None:
        raise self._refuse("stop the platform")

    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        wanted = list(names) if names is not None else list(self._catalogue)
        return [
            ServiceStatus(n, self._service(n).profile, "EXTERNAL", memory_budget_mb=self._service(n).memory_mb)
            for n in wanted
        ]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status([name])[0]

    def _service(self, name: str) -> ServiceInfo:
        try:
            return self._catalogue[name]
        except KeyError:
            raise UnsupportedOperation(
                f"Unknown service '{name}' on '{self.target.name}'. Known: {', '.join(self._catalogue)}"
            ) from None

    def start_service(self, name: str, timeout: float | None = None) -> None:
        raise self._refuse(f"start '{name}'")

    def stop_service(self, name: str) -> None:
        raise self._refuse(f"stop '{name}'")

    def restart_service(self, name: str, timeout: float | None = None) -> None:
        raise self._refuse(f"restart '{name}'")

    def kill_service(self, name: str) -> None:
        raise self._refuse(f"kill '{name}'")

    def health(self, name: str) -> tuple[bool, str]:
        svc = self._service(name)
        return (True, "one-shot (not observable externally)") if svc.oneshot else check(svc.probe, self.target)

    def log_tail(self, name: str, lines: int = 50) -> str:
        return f"(logs of '{name}' on the external platform '{self.target.name}' are not available to the toolkit)"

    def memory(self, name: str) -> MemoryUsage:
        raise self._refuse(f"read the memory of '{name}'")

    def service_names(self) -> list[str]:
        return list(self._catalogue)

    def reset_tables(
        self, layer: str, tables: Iterable[str] | None = None, resume: bool = True, timeout: float | None = None
    ) -> ResetReport:
        """Refused: deleting a table's objects is only safe with its writers stopped, and the toolkit
        cannot stop an external platform's writers (its streaming job, its dbt runs)."""
        chosen = ", ".join(tables or ()) or "all tables"
        raise UnsupportedOperation(
            f"Cannot reset {layer} ({chosen}) on the external platform '{self.target.name}': deleting a table's "
            "objects is only safe while its writers are stopped, and the toolkit cannot stop an external "
            "platform's streaming job or dbt runs. Reset it with the platform's own tooling."
        )
