"""Target: the reference lakehouse of this checkout run by Docker Compose (images built locally).

    ./lh provision --backend compose          # engine, Compose CLI, daemon, images (once)
    robot -V variables/compose.py suites/01_foundation

The platform describes itself with ``describe --backend compose``: it writes its Compose file
(``<state>/run/compose.yml``, generated from the service catalogue) and names it in the contract, with
the Compose project. PlatformLibrary then drives the containers through the docker SDK: the same
keywords as on the embedded backend (start profiles, restart, kill, memory, logs). Nothing here
imports the reference lakehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from contract.platform import PlatformContract
from lhkit.target import as_variables

ROOT = Path(__file__).resolve().parent.parent


@cache
def describe() -> PlatformContract:
    state = Path(os.environ.get("LH_STATE_DIR", ROOT / ".state"))
    python = state / "artifacts" / "platform-venv" / "bin" / "python"
    argv = [str(python if python.exists() else sys.executable), "-m", "lakehouse.runner", "describe", "--json",
            "--backend", "compose"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"The platform could not describe itself for Compose ({' '.join(argv[1:])}): {proc.stderr.strip()[-2000:]}"
            "\nProvision the Compose backend first: ./lh provision --backend compose"
        )
    return PlatformContract.from_mapping(json.loads(proc.stdout))


def get_variables() -> dict:
    return {"LH_TARGET": as_variables(describe())}
