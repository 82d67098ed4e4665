"""Platform backends behind one lifecycle interface (:class:`PlatformBackend`)."""

from __future__ import annotations

from contract.lifecycle import LifecycleError, MemoryUsage, PlatformBackend, ServiceStatus, UpReport

__all__ = ["LifecycleError", "MemoryUsage", "PlatformBackend", "ServiceStatus", "UpReport", "backend_for"]


def backend_for(kind: str = "embedded") -> PlatformBackend:
    if kind == "embedded":
        from lakehouse.runner.embedded import EmbeddedBackend

        return EmbeddedBackend()
    if kind == "external":
        from lakehouse.runner.external import ExternalBackend

        return ExternalBackend()
    raise LifecycleError(f"Backend '{kind}' is not available yet (known: embedded, external)")
