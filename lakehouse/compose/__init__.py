"""The Compose backend's file, generated from the one service catalogue.

``python -m lakehouse.compose [--images ROLE=TAG ...] [--print]`` writes ``<state>/run/compose.yml``: one
Compose service per catalogue service, so profiles, dependencies, memory budgets, readiness checks
and start timeouts are declared once (``lakehouse/catalogue/``) and read by both backends.

What every service gets, and why:

* ``profiles: [<its profile>]``: ``docker compose --profile core up`` starts a profile and what it
  depends on, like ``lakehouse.runner up --profile core``.
* ``init: true``: a Python PID 1 ignores SIGTERM and ``docker stop`` would wait out its grace period.
* ``mem_limit`` = ``memswap_limit`` = the catalogue's budget (JVMs also keep their ``-Xmx``): a service
  over budget is OOM-killed, which the toolkit reports as such.
* ``healthcheck``: ``lakehouse/compose/healthcheck.sh``, the catalogue probe's kind and target checked
  with bash (a fork per second per container; the Python probe would cost a core). ``start_period``
  is the service's start timeout.
* ``depends_on`` with ``service_healthy``, or ``service_completed_successfully`` for one-shot init
  services; long-running services ``restart: on-failure`` with no retry limit (the embedded runner's
  supervisord restarts unexpected exits without one either; a limit would leave a service down after
  its Nth hard kill), one-shots ``restart: "no"``.
* ``network_mode: host``: services bind 127.0.0.1 in the host's network namespace on the same ports
  as the embedded backend, so the contract (endpoints) is the same for both backends and the daemon
  runs with no bridge, no NAT and no iptables rules (``lakehouse.provision.docker``).
* The command is the embedded runner's (``python -m lakehouse.runner.launch <service>``: prepare hook,
  then exec), run from the locally built image of the service's ``role``, with the checkout, the state
  directory, the provisioned artefacts and the Python interpreter the venvs were made from mounted at
  the same paths. Nothing is copied into images, so a change to the platform needs no rebuild.
* ``pull_policy: never``: there is no registry; a missing image fails at once, naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from lakehouse.catalogue import Service, all_services, topological
from lakehouse.runner.embedded import PASSED_THROUGH
from lakehouse.settings import DEFAULT_PORTS, Settings

ROLES = ("runtime", "jvm", "postgres", "monitoring")
HEALTHCHECK = Path(__file__).with_name("healthcheck.sh")
# Java 21+ for the schema registry: Debian bookworm ships 17 only, so the host's JDKs are mounted read-only.
HOST_JDKS = Path("/usr/lib/jvm")
HEALTH_INTERVAL = "1s"
STOP_GRACE = "20s"


def project_name(settings: Settings) -> str:
    """``lh-<instance>-<hash of the state dir>``: one Compose project per platform instance."""
    state = settings.state_dir
    base = state.parent.name if state.name == ".state" else state.name
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "main"
    return f"lh-{slug}-{hashlib.sha1(str(state).encode()).hexdigest()[:6]}"


def compose_path(settings: Settings) -> Path:
    return settings.run_dir / "compose.yml"


def interpreter_home(venv: Path) -> Path | None:
    """The Python installation a venv was made from (``home`` in ``pyvenv.cfg``), to mount beside it."""
    try:
        text = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return None
    match = re.search(r"^home\s*=\s*(.+)$", text, re.M)
    if not match:
        return None
    home = Path(match.group(1).strip())
    return home.parent if home.name == "bin" else home


def _mounts(settings: Settings, role: str) -> list[str]:
    s = settings
    paths: list[tuple[Path, str]] = [(s.repo_root, "rw")]
    if not s.state_dir.is_relative_to(s.repo_root):
        paths.append((s.state_dir, "rw"))
    # The venvs' own interpreters (uv/pyenv): a venv only runs where its interpreter is.
    homes = {h for v in sorted(s.artifacts_dir.glob("*/pyvenv.cfg")) if (h := interpreter_home(v.parent))}
    homes |= {h for v in sorted(s.artifacts_dir.glob("*/*/pyvenv.cfg")) if (h := interpreter_home(v.parent))}
    for home in sorted(homes):
        if not home.is_relative_to(Path("/usr")):
            paths.append((home, "ro"))
    if role == "jvm" and HOST_JDKS.is_dir():
        # Every host JDK but Debian's 17, which the image has itself (Apicurio picks the first 21+).
        paths += [(p, "ro") for p in sorted(HOST_JDKS.iterdir())
                  if p.is_dir() and not p.is_symlink() and "17" not in p.name]
    # Symlinked artefacts (an isolated instance shares the provisioned ones) resolve outside the state dir.
    links = [s.artifacts_dir, s.venv_dir]
    links += sorted(s.artifacts_dir.iterdir()) if s.artifacts_dir.is_dir() else []
    for link in links:
        if link.is_symlink():
            target = link.resolve()
            if not any(target.is_relative_to(p) for p, _ in paths):
                paths.append((target, "rw"))
    return [f"{p}:{p}:{mode}" for p, mode in paths]


def _environment(settings: Settings) -> dict[str, str]:
    s = settings
    env = {
        "LH_STATE_DIR": str(s.state_dir),
        "PYTHONPATH": str(s.repo_root),
        "PYTHONUNBUFFERED": "1",
        "HOME": "/root",
        # The launcher skips its own memory cgroup: the container's limit is the budget.
        "LH_IN_CONTAINER": "1",
    }
    env.update({f"LH_PORT_{k.upper()}": str(v) for k, v in s.ports.items() if DEFAULT_PORTS.get(k) != v})
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def healthcheck(service: Service, settings: Settings) -> dict[str, Any]:
    """The catalogue probe as a Compose healthcheck (see ``healthcheck.sh``)."""
    probe = service.probe
    c = settings.contract()
    if probe.kind == "exited_ok":
        return {"disable": True}
    if probe.kind == "tcp":
        args = ["tcp", probe.target]
    elif probe.kind == "http":
        args = ["http", probe.target, *([probe.expect] if probe.expect else [])]
    elif probe.kind == "kafka":
        args = ["tcp", c.kafka_bootstrap.split(",")[0]]
    elif probe.kind == "s3":
        args = ["answers", c.s3_endpoint + "/"]
    elif probe.kind == "schema_registry":
        args = ["http", c.schema_registry_url + "/subjects"]
    else:
        raise ValueError(f"No Compose healthcheck for probe kind '{probe.kind}' (service {service.name})")
    return {
        "test": ["CMD", "bash", str(HEALTHCHECK), *args],
        "interval": HEALTH_INTERVAL,
        "timeout": "5s",
        "retries": 3,
        "start_period": f"{int(service.start_timeout)}s",
    }


def render(settings: Settings, images: dict[str, str]) -> dict[str, Any]:
    """The Compose model (a dict) for every catalogue service; ``images`` maps role → image tag."""
    catalogue = all_services(settings)
    missing = sorted({s.role for s in catalogue.values()} - set(images))
    if missing:
        raise ValueError(f"No image for role(s) {', '.join(missing)}: build them with "
                         "`python -m lakehouse.provision --backend compose`")
    env = _environment(settings)
    services: dict[str, Any] = {}
    for svc in topological(list(catalogue.values())):
        depends = {
            dep: {"condition": "service_completed_successfully" if catalogue[dep].oneshot else "service_healthy"}
            for dep in svc.depends_on
        }
        entry: dict[str, Any] = {
            "image": images[svc.role],
            "pull_policy": "never",
            "profiles": [svc.profile],
            "init": True,
            "network_mode": "host",
            "command": [str(settings.platform_python), "-m", "lakehouse.runner.launch", svc.name],
            "working_dir": str(settings.repo_root),
            "environment": dict(env),
            "volumes": _mounts(settings, svc.role),
            "mem_limit": f"{svc.memory_mb}m",
            "memswap_limit": f"{svc.memory_mb}m",
            "restart": "no" if svc.oneshot else "on-failure",
            "stop_grace_period": STOP_GRACE,
            "healthcheck": healthcheck(svc, settings),
            "labels": {
                "io.lakehouse.profile": svc.profile,
                "io.lakehouse.memory-budget-mb": str(svc.memory_mb),
                "io.lakehouse.oneshot": str(svc.oneshot).lower(),
            },
        }
        if depends:
            entry["depends_on"] = depends
        services[svc.name] = entry
    return {"name": project_name(settings), "services": services}


def write(settings: Settings, images: dict[str, str]) -> Path:
    """Write ``<state>/run/compose.yml`` (JSON is YAML; no YAML library needed) and return its path."""
    path = compose_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# generated by lakehouse.compose from lakehouse/catalogue - do not edit\n"
    text += json.dumps(render(settings, images), indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lakehouse.compose", description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="*", default=None, metavar="ROLE=TAG",
                        help="image per role (default: the tags lakehouse.provision.docker built)")
    parser.add_argument("--print", action="store_true", help="print the file instead of writing it")
    args = parser.parse_args(argv)
    settings = Settings.load()
    if args.images is None:
        from lakehouse.provision.docker import image_tags

        images = image_tags(settings)
    else:
        images = dict(item.split("=", 1) for item in args.images)
    if args.print:
        print(json.dumps(render(settings, images), indent=2))
    else:
        print(write(settings, images))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
