"""``python -m lakehouse.provision [--profile P ...]``: install what the profiles need (dependencies
included) into the state directory. Runs with any Python 3.11+ (the platform's own, or ``python3``):
it imports only the standard library and this repository.

``--backend compose`` then also installs the engine and a Compose CLI, starts ``dockerd`` if none runs, and
builds the images (``lakehouse.provision.docker``; that step needs the platform venv's ``docker`` SDK)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lakehouse.catalogue import all_services, profiles_of, services_for
from lakehouse.provision import provision
from lakehouse.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.provision", description=__doc__)
    parser.add_argument("--profile", action="append", default=None,
                        help="a profile (repeatable; default: every profile that has services)")
    parser.add_argument("--backend", choices=("embedded", "compose"), default="embedded",
                        help="compose: also the Docker engine, dockerd and the images (default: embedded)")
    args = parser.parse_args(argv)
    settings = Settings.load()
    catalogue = all_services(settings)
    try:
        wanted = profiles_of(services_for(catalogue, args.profile or profiles_of(catalogue.values())))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    seconds = provision(settings, wanted, log=lambda line: print(f"[provision] {line}", flush=True))
    print(f"[provision] {', '.join(wanted)} ready in {seconds:.2f} s (state dir {settings.state_dir})", flush=True)
    if args.backend == "compose":
        _compose_backend(settings)
    return 0


def _compose_backend(settings: Settings) -> None:
    """Engine, dockerd and images; in the platform venv's Python when this one lacks the docker SDK."""
    from lakehouse.provision import docker

    try:
        docker.sdk()
    except RuntimeError:
        if not settings.platform_python.exists():
            raise
        argv = [str(settings.platform_python), "-m", "lakehouse.provision.docker", "provision"]
        subprocess.run(argv, cwd=settings.repo_root, check=True)
        return
    docker.provision_backend(settings, log=lambda line: print(f"[provision] {line}", flush=True))


if __name__ == "__main__":
    sys.exit(main())
