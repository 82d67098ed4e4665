"""A second, throw-away platform instance beside the main one: own state dir, ports and names.

Shares the provisioned artefacts and the toolkit venv (symlinks), so nothing is
re-installed. Used by benchmarks and by tests that must start and stop a
platform without disturbing the shared one. ``topic_prefix`` and ``buckets``
give the instance its own names (``LH_TOPIC_PREFIX``, ``LH_BUCKET_<LAYER>``), which
the runner passes to every service.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from contract.layout import LAYERS
from lakehouse.settings import DEFAULT_PORTS, Settings


@contextlib.contextmanager
def isolated_platform(
    port_offset: int, topic_prefix: str = "", buckets: Mapping[str, str] | None = None
) -> Iterator[Settings]:
    """Point ``LH_STATE_DIR``/``LH_PORT_*`` (and the names) at a fresh instance; stop and delete it afterwards."""
    main = Settings.load()
    state = Path(tempfile.mkdtemp(prefix="lh-iso-", dir="/tmp"))
    (state / "venv").symlink_to(main.venv_dir)
    (state / "artifacts").symlink_to(main.artifacts_dir)
    names = {"LH_TOPIC_PREFIX": topic_prefix or None}
    names.update({f"LH_BUCKET_{layer.upper()}": (buckets or {}).get(layer) for layer in LAYERS})
    keys = ["LH_STATE_DIR", *(f"LH_PORT_{k.upper()}" for k in DEFAULT_PORTS), *names]
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["LH_STATE_DIR"] = str(state)
    for key in DEFAULT_PORTS:
        os.environ[f"LH_PORT_{key.upper()}"] = str(main.ports[key] + port_offset)
    for key, value in names.items():
        _set(key, value)
    settings = Settings.load()
    try:
        yield settings
    finally:
        from lakehouse.runner.embedded import EmbeddedBackend

        try:
            EmbeddedBackend(settings).down()
        finally:
            for key, value in saved.items():
                _set(key, value)
            shutil.rmtree(state, ignore_errors=True)


def _set(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value
