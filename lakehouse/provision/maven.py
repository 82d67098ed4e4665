"""Maven and fingerprint helpers shared by the profile provisioners."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

MAVEN_DIR = Path(__file__).resolve().parent / "maven"
MARKER = ".provisioned"


def fingerprint(*inputs: Path | str) -> str:
    digest = hashlib.sha256()
    for item in inputs:
        digest.update(item.read_bytes() if isinstance(item, Path) else item.encode())
    return digest.hexdigest()[:16]


def is_current(directory: Path, key: str) -> bool:
    marker = directory / MARKER
    return marker.exists() and marker.read_text().strip() == key


def mark_current(directory: Path, key: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text(key + "\n")


def mvn(*args: str) -> None:
    """Run Maven in batch mode; it prints each download, which is the progress shown."""
    exe = shutil.which("mvn")
    if not exe:
        raise RuntimeError("Maven ('mvn') is required to resolve jars from Maven Central")
    cmd = [exe, "-B", *args]
    result = subprocess.run(cmd, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"Maven failed (exit {result.returncode}): {' '.join(cmd)}")
