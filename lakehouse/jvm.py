"""Find a Java runtime for a service: the default JDK if new enough, else another installed one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

JVM_ROOT = Path("/usr/lib/jvm")


@cache
def _release(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise RuntimeError(f"Cannot read the Java version of {java}: {out.strip()[:200]}")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def _candidates() -> list[str]:
    found: list[str] = []
    if os.environ.get("JAVA_HOME"):
        found.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    default = shutil.which("java")
    if default:
        found.append(default)
    if JVM_ROOT.is_dir():
        found.extend(str(p / "bin" / "java") for p in sorted(JVM_ROOT.iterdir()) if (p / "bin" / "java").exists())
    return list(dict.fromkeys(found))


@cache
def java_executable(min_release: int) -> str:
    """The first installed ``java`` whose feature release is at least ``min_release``."""
    seen = []
    for java in _candidates():
        try:
            release = _release(java)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            continue
        seen.append(f"{java} ({release})")
        if release >= min_release:
            return java
    raise RuntimeError(f"No Java {min_release}+ found. Installed: {', '.join(seen) or 'none'}")


def class_data_sharing_flags(java: str, archive: Path) -> list[str]:
    """AppCDS flags: reuse a class-data archive made by an earlier run, to start faster.

    JDK 19+ maintains the archive itself. On older JDKs the first run dumps it at
    exit and later runs map it. A stale or foreign archive is ignored by the JVM.
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    if _release(java) >= 19:
        return [
            "-XX:+AutoCreateSharedArchive",
            f"-XX:SharedArchiveFile={archive}",
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off",
        ]
    if archive.exists():
        return [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off"]
    return [f"-XX:ArchiveClassesAtExit={archive}", "-Xlog:cds=off"]
