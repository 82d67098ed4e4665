"""``python -m lakehouse.provision [--profile P ...]``: install what the profiles need (dependencies
included) into the state directory. Runs with any Python 3.11+ (the platform's own, or ``python3``):
it imports only the standard library and this repository."""

from __future__ import annotations

import argparse
import sys

from lakehouse.catalogue import all_services, profiles_of, services_for
from lakehouse.provision import provision
from lakehouse.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.provision", description=__doc__)
    parser.add_argument("--profile", action="append", default=None,
                        help="a profile (repeatable; default: every profile that has services)")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
