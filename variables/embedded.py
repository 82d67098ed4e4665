"""Target: the embedded reference lakehouse of this checkout (local processes; the default).

    robot -V variables/embedded.py suites

The platform describes itself: this file runs its lifecycle CLI's ``describe`` (names,
endpoints, credentials, services, and the command that drives it) and hands that contract
to the libraries as ``${LH_TARGET}``. Nothing here imports the reference lakehouse.
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
    argv = [str(python if python.exists() else sys.executable), "-m", "lakehouse.runner", "describe", "--json"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"The embedded platform could not describe itself ({' '.join(argv[1:])}): {proc.stderr.strip()[-2000:]}"
        )
    return PlatformContract.from_mapping(json.loads(proc.stdout))


def get_variables() -> dict:
    return {"LH_TARGET": as_variables(describe())}
