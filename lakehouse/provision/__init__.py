"""Provisioning: install what each profile needs into the state directory.

One module per profile (``core``, ``data_platform``, ``quality_orchestration``, …),
each exposing ``provision(settings, log)``. Every provisioner is idempotent and
fingerprinted, so a run with everything present is quick.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable

from lakehouse.settings import Settings


def module_name(profile: str) -> str:
    return "lakehouse.provision." + profile.replace("-", "_")


def provision(settings: Settings, profiles: Iterable[str], log: Callable[[str], None] = print) -> float:
    """Provision the given profiles (dependencies included by the caller); returns seconds taken."""
    start = time.monotonic()
    settings.artifacts_dir.mkdir(parents=True, exist_ok=True)
    for profile in profiles:
        try:
            module = importlib.import_module(module_name(profile))
        except ModuleNotFoundError as error:
            if error.name == module_name(profile):
                continue  # a profile with nothing to install
            raise
        module.provision(settings, log)
    return time.monotonic() - start
