"""Shared pytest setup: make the repo and the libraries importable."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "libraries"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
