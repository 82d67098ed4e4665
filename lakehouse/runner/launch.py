"""Launch one catalogue service: join its memory cgroup, prepare, then exec its command.

supervisord runs ``python -m lakehouse.runner.launch <service>``; after ``exec``
the service keeps this PID, so supervisord supervises the real process.
"""

from __future__ import annotations

import importlib
import os
import sys

from lakehouse.catalogue import all_services
from lakehouse.runner import cgroup
from lakehouse.settings import Settings


def main(argv: list[str]) -> int:
    settings = Settings.load()
    service = all_services(settings)[argv[0]]
    group = cgroup.join(settings.state_dir, service.name, service.memory_mb)
    where = f"cgroup {group}" if group else "RSS budget only (no writable memory cgroup)"
    print(f"[launch] {service.name}: memory budget {service.memory_mb} MB, {where}", flush=True)
    if service.prepare:
        module, _, func = service.prepare.partition(":")
        getattr(importlib.import_module(module), func)(settings)
    env = {**os.environ, **service.env}
    os.chdir(service.workdir or settings.repo_root)
    sys.stdout.flush()
    os.execvpe(service.command[0], service.command, env)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
