"""Compose backend images: a fresh build, a build with nothing changed, and the image sizes.

    python -m benchmarks.docker_images [--with-base] [--no-fresh] [--python PLATFORM_PYTHON]

Drives the platform's own provisioning as a subprocess (``<platform python> -m lakehouse.provision.docker
images --json``), and the ``docker`` CLI; it imports nothing of the platform. Needs a running dockerd
(``python -m lakehouse.provision --backend compose`` starts one) and the provisioned artefacts.

* fresh build: all roles are built from the base image ``lakehouse/base:bookworm`` without the builder's
  layer cache (``images --no-cache``) into a scratch repository (``LH_IMAGE_REPOSITORY=lhbench``), which is
  removed afterwards: the images a running Compose backend uses are not touched. Goal: at most 5 min.
  ``--no-fresh`` skips it.
* nothing changed: the same command again. Goal: at most 10 s (wall time of the whole command, Python
  start-up included).
* base image: with ``--with-base``, ``mmdebstrap … | docker import`` is timed once into a scratch tag
  ``lakehouse/base:benchmark``, which is removed afterwards; the base image in use is not touched.
* sizes: ``docker image inspect`` size of each image (shared layers counted in each).

Prints the figures and writes results/benchmarks/docker_images.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._lifecycle import ROOT, write_results

SCRATCH_BASE = "lakehouse/base:benchmark"
SCRATCH_REPOSITORY = "lhbench"
FRESH_GOAL_S = 300.0
UNCHANGED_GOAL_S = 10.0


def platform_python() -> str:
    """The platform venv's python: from the contract's control command, else the state dir's."""
    contract = os.environ.get("LH_CONTRACT_FILE")
    if contract and Path(contract).exists():
        command = json.loads(Path(contract).read_text()).get("control_command") or []
        if command:
            return str(command[0])
    state = Path(os.environ.get("LH_STATE_DIR", ROOT / ".state"))
    return str(state / "artifacts" / "platform-venv" / "bin" / "python")


def docker(*args: str, timeout: float = 600) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def provision(python: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, dict[str, Any]]:
    """Wall time and JSON result of ``python -m lakehouse.provision.docker <args> --json``."""
    started = time.monotonic()
    proc = subprocess.run([python, "-m", "lakehouse.provision.docker", *args, "--json"], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=1800,
                          check=False)  # fmt: skip
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"lakehouse.provision.docker {' '.join(args)} failed: {proc.stderr[-3000:]}")
    sys.stderr.write(proc.stderr)
    return seconds, json.loads(proc.stdout)


def remove_repository(repository: str) -> list[str]:
    """Remove every image of ``repository`` (the scratch set), refusing if a container uses one."""
    refs = sorted(docker("images", "--format", "{{.Repository}}:{{.Tag}}", f"{repository}/*").split())
    users = [line for line in docker("ps", "-a", "--format", "{{.Names}} {{.Image}}").splitlines()
             if line.split(" ", 1)[-1].startswith(f"{repository}/")]  # fmt: skip
    if users:
        raise SystemExit(f"containers use {repository}/ images:\n" + "\n".join(users))
    if refs:
        docker("rmi", *refs)
    return refs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.docker_images", description=__doc__)
    parser.add_argument("--with-base", action="store_true", help="also time an mmdebstrap base image build")
    parser.add_argument("--no-fresh", action="store_true", help="skip the fresh build (keep the images)")
    parser.add_argument("--python", default=platform_python(), help="the platform venv's python")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"goals_s": {"fresh_build": FRESH_GOAL_S, "nothing_changed": UNCHANGED_GOAL_S}}

    if args.with_base:
        seconds, base = provision(args.python, "base", "--tag", SCRATCH_BASE)
        docker("rmi", SCRATCH_BASE)
        figures["base_image"] = {"seconds": round(seconds, 1), "size_mb": round(base["size"] / 1e6, 1)}
        print(f"base image (mmdebstrap | docker import): {seconds:.1f} s, {base['size'] / 1e6:.0f} MB")

    if not args.no_fresh:
        remove_repository(SCRATCH_REPOSITORY)
        scratch = {"LH_IMAGE_REPOSITORY": SCRATCH_REPOSITORY}
        try:
            seconds, built = provision(args.python, "images", "--no-cache", env=scratch)
        finally:
            remove_repository(SCRATCH_REPOSITORY)
        figures["fresh_build"] = {
            "seconds": round(seconds, 1),
            "within_goal": seconds <= FRESH_GOAL_S,
            "sizes_mb": {ref: round(size / 1e6, 1) for ref, size in built["sizes"].items()},
        }
        print(f"fresh build of {len(built['images'])} images: {seconds:.1f} s (goal ≤ {FRESH_GOAL_S:.0f} s)")

    seconds, result = provision(args.python, "images")
    figures["nothing_changed"] = {"seconds": round(seconds, 2), "in_process_s": result["seconds"],
                                  "within_goal": seconds <= UNCHANGED_GOAL_S}  # fmt: skip
    print(f"nothing changed: {seconds:.2f} s wall, {result['seconds']:.2f} s in process (goal ≤ 10 s)")

    figures["images"] = result["images"]
    figures["sizes_mb"] = {ref: round(size / 1e6, 1) for ref, size in result["sizes"].items()}
    for ref, size in figures["sizes_mb"].items():
        print(f"  {ref:40} {size:8.1f} MB")
    print(f"written to {write_results('docker_images', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
