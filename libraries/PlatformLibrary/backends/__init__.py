"""Lifecycle backends of PlatformLibrary, chosen by the target's ``backend``.

* ``embedded``: the reference lakehouse's local processes, driven through its lifecycle CLI
  (the target's ``control_command``), exactly as a Compose backend drives ``docker compose``.
* ``compose``: a Docker Compose project (the target's ``compose_file`` and ``compose_project``),
  through the docker SDK; the Compose CLI only for ``up`` and ``down`` of profiles.
* ``external``: an already-running platform: readiness probes against the target's own
  endpoints; lifecycle operations are refused with a clear message.
"""

from __future__ import annotations

from contract.lifecycle import LifecycleError, PlatformBackend
from contract.platform import PlatformContract

BACKENDS = ("embedded", "compose", "external")


def backend_for(target: PlatformContract, kind: str | None = None) -> PlatformBackend:
    kind = kind or target.backend
    if kind == "embedded":
        from .embedded import EmbeddedCliBackend

        return EmbeddedCliBackend(target)
    if kind == "compose":
        from .compose import ComposeBackend

        return ComposeBackend(target)
    if kind == "external":
        from .external import ExternalBackend

        return ExternalBackend(target)
    raise LifecycleError(f"Backend '{kind}' is not available in this toolkit yet (known: {', '.join(BACKENDS)})")
