"""The target a suite uses when the command line names none (``resources/platform.resource`` imports it).

``LH_CONTRACT_FILE`` (a platform contract JSON file) wins; otherwise the embedded platform
of this checkout. A ``-V variables/<target>.py`` on the command line overrides both, because
command-line variables take precedence over variables imported by resources.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from contract.platform import PlatformContract
from lhkit.target import as_variables


def get_variables() -> dict:
    path = os.environ.get("LH_CONTRACT_FILE")
    if path:
        return {"LH_TARGET": as_variables(PlatformContract.load(path))}
    return runpy.run_path(str(Path(__file__).with_name("embedded.py")))["get_variables"]()
