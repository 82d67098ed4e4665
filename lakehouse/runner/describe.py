"""This instance's platform contract, as the toolkit reads it: names, endpoints, credentials,
the dbt installation, the lifecycle CLI and the catalogue's services.

Standard library, ``contract`` and the catalogue's declarations only: no process, no network.
"""

from __future__ import annotations

import sys

from contract.platform import PlatformContract
from lakehouse.catalogue import all_services, topological
from lakehouse.settings import Settings


def control_command(settings: Settings) -> tuple[str, ...]:
    """How the toolkit drives this platform: the platform's own python, else this interpreter."""
    python = settings.platform_python if settings.platform_python.exists() else sys.executable
    return (str(python), "-m", "lakehouse.runner")


def describe(settings: Settings) -> PlatformContract:
    services = topological(list(all_services(settings).values()))
    return settings.contract().with_overrides(
        services=tuple(s.info() for s in services),
        control_command=control_command(settings),
        control_cwd=str(settings.repo_root),
    )
