"""An already-running platform: readiness probes only; lifecycle operations are refused."""

from __future__ import annotations

from collections.abc import Iterable

from lakehouse.catalogue import all_services, closure
from lakehouse.health import check
from contract.lifecycle import MemoryUsage, PlatformBackend, ServiceStatus, UnsupportedOperation, UpReport
from lakehouse.settings import Settings


class ExternalBackend(PlatformBackend):
    name = "external"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self.catalogue = all_services(self.settings)

    def _refuse(self, what: str) -> UnsupportedOperation:
        return UnsupportedOperation(f"Cannot {what} on an external platform: it is not managed by this toolkit")

    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport:
        not_ready = []
        for svc in closure(self.catalogue, profiles):
            if not svc.oneshot:
                ok, detail = check(svc.probe, self.settings)
                if not ok:
                    not_ready.append(f"{svc.name}: {detail}")
        if not_ready:
            raise UnsupportedOperation("External platform is not healthy: " + "; ".join(not_ready))
        return UpReport([], [], 0.0)

    def down(self) -> None:
        raise self._refuse("stop the platform")

    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        wanted = list(names) if names is not None else list(self.catalogue)
        return [ServiceStatus(n, self.catalogue[n].profile, "EXTERNAL") for n in wanted]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status([name])[0]

    def start_service(self, name: str, timeout: float | None = None) -> None:
        raise self._refuse(f"start '{name}'")

    def stop_service(self, name: str) -> None:
        raise self._refuse(f"stop '{name}'")

    def restart_service(self, name: str, timeout: float | None = None) -> None:
        raise self._refuse(f"restart '{name}'")

    def kill_service(self, name: str) -> None:
        raise self._refuse(f"kill '{name}'")

    def health(self, name: str) -> tuple[bool, str]:
        svc = self.catalogue[name]
        return (True, "one-shot (not observable externally)") if svc.oneshot else check(svc.probe, self.settings)

    def log_tail(self, name: str, lines: int = 50) -> str:
        return "(logs of an external platform are not available to the toolkit)"

    def memory(self, name: str) -> MemoryUsage:
        raise self._refuse(f"read the memory of '{name}'")

    def service_names(self) -> list[str]:
        return list(self.catalogue)
