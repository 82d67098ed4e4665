"""The single service catalogue: every service of every profile, declared once.

One module per profile (``core.py``, ``data_platform.py``, …) exposes
``services(settings) -> list[Service]``. Backends (embedded runner, Compose)
call :func:`all_services` and :func:`closure`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from lakehouse.catalogue.base import PROFILES, Probe, Service
from lakehouse.settings import Settings

__all__ = ["PROFILES", "Probe", "Service", "all_services", "closure", "profiles_of", "topological"]


def _module(profile: str) -> str:
    return "lakehouse.catalogue." + profile.replace("-", "_")


def all_services(settings: Settings) -> dict[str, Service]:
    found: dict[str, Service] = {}
    for profile in PROFILES:
        try:
            module = importlib.import_module(_module(profile))
        except ModuleNotFoundError as error:
            if error.name == _module(profile):
                continue  # profile not built yet
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


def closure(catalogue: dict[str, Service], profiles: Iterable[str]) -> list[Service]:
    """Services of ``profiles`` plus everything they depend on, in start order."""
    wanted = list(profiles)
    unknown = [p for p in wanted if p not in PROFILES]
    if unknown:
        raise ValueError(f"Unknown profile(s): {', '.join(unknown)}. Known: {', '.join(PROFILES)}")
    names: set[str] = set()
    stack = [s.name for s in catalogue.values() if s.profile in wanted]
    while stack:
        name = stack.pop()
        if name not in names:
            names.add(name)
            stack.extend(catalogue[name].depends_on)
    return topological([catalogue[n] for n in names])


def topological(services: list[Service]) -> list[Service]:
    by_name = {s.name: s for s in services}
    order: list[Service] = []
    state: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ValueError(f"Dependency cycle: {' -> '.join((*path, name))}")
        state[name] = 1
        for dep in by_name[name].depends_on:
            if dep in by_name:
                visit(dep, (*path, name))
        state[name] = 2
        order.append(by_name[name])

    for name in sorted(by_name, key=lambda n: (PROFILES.index(by_name[n].profile), n)):
        visit(name, ())
    return order


def profiles_of(services: Iterable[Service]) -> list[str]:
    present = {s.profile for s in services}
    return [p for p in PROFILES if p in present]
