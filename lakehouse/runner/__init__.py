"""The reference lakehouse's lifecycle: the embedded backend and its CLI.

``python -m lakehouse.runner <verb>`` (:mod:`lakehouse.runner.cli`) is how the toolkit
drives this platform; the interface and the JSON shapes are :mod:`contract.lifecycle`.

* ``embedded.py``: catalogue services as local processes under supervisord.
* ``startup.py``: the start-up state machine (per service: pending, starting, ready, failed).
* ``launch.py``: what supervisord runs per service (cgroup, prepare hook, exec).
* ``describe.py``: this instance's platform contract, services included.
* ``isolated.py``: a throw-away second instance (own state dir, ports, names).
"""

from __future__ import annotations

from contract.lifecycle import LifecycleError, MemoryUsage, PlatformBackend, ServiceStatus, UpReport

__all__ = ["LifecycleError", "MemoryUsage", "PlatformBackend", "ServiceStatus", "UpReport", "backend_for"]


def backend_for(kind: str = "embedded") -> PlatformBackend:
    """The backend this package provides. Only ``embedded``: the toolkit owns the external one."""
    if kind == "embedded":
        from lakehouse.runner.embedded import EmbeddedBackend

        return EmbeddedBackend()
    raise LifecycleError(f"The reference lakehouse provides only the 'embedded' backend, not '{kind}'")
