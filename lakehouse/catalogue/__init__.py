"""The single service catalogue: every service of every profile, declared once.

One module per profile (``core.py``, ``data_platform.py``, ``quality_orchestration.py``, ``monitoring.py``,
``bi.py``;
``airflow2-compat`` is declared beside Airflow 3) exposes ``services(settings) -> list[Service]``.
A profile without a module has no services yet, and is refused by
:func:`services_for` rather than started as an empty success. Dependency closure and start
order are the contract's (:func:`contract.platform.closure`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from contract.platform import PROFILES, closure, profiles_of, topological
from lakehouse.catalogue.base import Jvm, Probe, Service
from lakehouse.settings import Settings

__all__ = [
    "PROFILES",
    "Jvm",
    "Probe",
    "Service",
    "all_services",
    "closure",
    "profiles_of",
    "services_for",
    "topological",
]


def _module(profile: str) -> str:
    return "lakehouse.catalogue." + profile.replace("-", "_")


def all_services(settings: Settings) -> dict[str, Service]:
    found: dict[str, Service] = {}
    for profile in PROFILES:
        try:
            module = importlib.import_module(_module(profile))
        except ModuleNotFoundError as error:
            if error.name == _module(profile):
                continue  # no services in this profile yet
            raise
        for service in module.services(settings):
            if service.name in found:
                raise ValueError(f"Service '{service.name}' is declared twice")
            found[service.name] = service
    for service in found.values():
        missing = [d for d in service.depends_on if d not in found]
        if missing:
            raise ValueError(f"Service '{service.name}' depends on unknown service(s): {', '.join(missing)}")
    return found


def services_for(catalogue: dict[str, Service], profiles: Iterable[str]) -> list[Service]:
    """The services to start for ``profiles`` (dependencies first). A profile that is known
    but has no services in this platform is an error, not an empty start."""
    wanted = list(profiles)
    if not wanted:
        raise ValueError(f"No profile given. Profiles with services: {', '.join(profiles_of(catalogue.values()))}")
    present = set(profiles_of(catalogue.values()))
    for profile in wanted:
        if profile in PROFILES and profile not in present:
            raise ValueError(
                f"profile '{profile}' has no services in this platform yet "
                f"(profiles with services: {', '.join(p for p in PROFILES if p in present)})"
            )
    return closure(catalogue, wanted)
