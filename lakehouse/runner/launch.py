"""Launch one catalogue service: join its memory cgroup, prepare, then exec its command.

supervisord runs ``<platform python> -m lakehouse.runner.launch <service>``; after
``exec`` the service keeps this PID, so supervisord supervises the real process.
What depends on the machine is resolved here, not in the catalogue: for a JVM service
the Java runtime (``java -version``) and its class-data-sharing flags.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from lakehouse.catalogue import Service, all_services
from lakehouse.runner import cgroup
from lakehouse.settings import Settings


def argv(service: Service) -> list[str]:
    """The command to exec: the declared one, behind ``java`` and its CDS flags for a JVM service."""
    if service.jvm is None:
        return list(service.command)
    from lakehouse.jvm import class_data_sharing_flags, java_executable

    java = java_executable(service.jvm.min_release)
    cds = class_data_sharing_flags(java, Path(service.jvm.cds_archive)) if service.jvm.cds_archive else []
    return [java, *cds, *service.command]


def main(args: list[str]) -> int:
    settings = Settings.load()
    service = all_services(settings)[args[0]]
    if os.environ.get("LH_IN_CONTAINER"):
        group, where = None, "the container's memory limit (Compose mem_limit)"
    else:
        group = cgroup.join(settings.state_dir, service.name, service.memory_mb)
        where = f"cgroup {group}" if group else "RSS budget only (no writable memory cgroup)"
    print(f"[launch] {service.name}: memory budget {service.memory_mb} MB, {where}", flush=True)
    if service.prepare:
        module, _, func = service.prepare.partition(":")
        getattr(importlib.import_module(module), func)(settings)
    command = argv(service)
    env = {**os.environ, **service.env}
    os.chdir(service.workdir or settings.repo_root)
    sys.stdout.flush()
    os.execvpe(command[0], command, env)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
