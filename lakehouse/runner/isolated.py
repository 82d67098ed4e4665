"""A second, throw-away platform instance beside the main one: own state dir and ports.

Shares the provisioned artefacts and the venv (symlinks), so nothing is
re-installed. Used by benchmarks and by tests that must start and stop a
platform without disturbing the shared one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lakehouse.settings import DEFAULT_PORTS, Settings


@contextlib.contextmanager
def isolated_platform(port_offset: int) -> Iterator[Settings]:
    """Point ``LH_STATE_DIR``/``LH_PORT_*`` at a fresh instance; stop and delete it afterwards."""
    main = Settings.load()
    state = Path(tempfile.mkdtemp(prefix="lh-iso-", dir="/tmp"))
    (state / "venv").symlink_to(main.venv_dir)
    (state / "artifacts").symlink_to(main.artifacts_dir)
    keys = ["LH_STATE_DIR", *(f"LH_PORT_{k.upper()}" for k in DEFAULT_PORTS)]
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["LH_STATE_DIR"] = str(state)
    for key in DEFAULT_PORTS:
        os.environ[f"LH_PORT_{key.upper()}"] = str(main.ports[key] + port_offset)
    settings = Settings.load()
    try:
        yield settings
    finally:
        from lakehouse.runner.embedded import EmbeddedBackend

        try:
            EmbeddedBackend(settings).down()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(state, ignore_errors=True)
