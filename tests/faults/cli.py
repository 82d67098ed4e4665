"""The reference lakehouse's lifecycle CLI, as the project's own tests and fault injection call it.

The toolkit's tests never import the lakehouse; they drive it exactly as ``./lh`` and the
embedded backend do: ``<platform python> -m lakehouse.runner <verb>``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def platform_python() -> str:
    state = Path(os.environ.get("LH_STATE_DIR", ROOT / ".state"))
    python = state / "artifacts" / "platform-venv" / "bin" / "python"
    return str(python if python.exists() else sys.executable)


def platform_cli(*args: str, timeout: float = 900) -> str:
    argv = [platform_python(), "-m", "lakehouse.runner", *args]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
    return proc.stdout
