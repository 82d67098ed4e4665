"""This instance's platform contract, as the toolkit reads it: names, endpoints, credentials,
the dbt installation, the lifecycle CLI and the catalogue's services.

Standard library, ``contract`` and the catalogue's declarations only: no process, no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
        # Without it, a caller whose environment names no instance (a suite run for a second or
        # fresh instance) would drive the default one's state directory and ports.
        control_env=settings.instance_env(),
    )


def describe_compose(settings: Settings) -> PlatformContract:
    """The same platform run by Docker Compose: writes ``<state>/run/compose.yml`` (``lakehouse.compose``)
    for the images provisioning built, and names it in the contract. The toolkit's Compose backend
    drives it with the docker SDK; the endpoints are the embedded backend's (host networking)."""
    from lakehouse.compose import project_name, write
    from lakehouse.provision.docker import image_tags

    path = write(settings, image_tags(settings))
    return describe(settings).with_overrides(
        name="compose", backend="compose", compose_file=str(path), compose_project=project_name(settings)
    )


def contract_path(settings: Settings, backend: str) -> Path:
    """Where ``describe`` saves the contract: ``contract.json`` (embedded), ``contract-<backend>.json``."""
    return settings.contract_path if backend == "embedded" else settings.state_dir / f"contract-{backend}.json"
