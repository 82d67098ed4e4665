"""Memory cgroups (v1) for embedded services: the local equivalent of Compose ``mem_limit``.

Used when the runner is root and the v1 memory controller is mounted. Elsewhere
the budget is still declared, and tests sample RSS against it instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/memory")


def _own_v1_path() -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return V1_ROOT / path.lstrip("/")
    except OSError:
        return None
    return None


def group_dir(state_dir: Path, service: str) -> Path | None:
    """Where a service's cgroup lives (whether or not it exists yet)."""
    base = _base()
    if base is None:
        return None
    tag = hashlib.sha1(str(state_dir).encode()).hexdigest()[:8]
    return base / f"lakehouse-{tag}" / service


def _base() -> Path | None:
    own = _own_v1_path()
    if own is None or not own.is_dir():
        return None
    # When the launcher itself already sits in a lakehouse group, go back up.
    while own.parent.name.startswith("lakehouse-") or own.name.startswith("lakehouse-"):
        own = own.parent
    return own


def available() -> bool:
    base = _base()
    return base is not None and os.geteuid() == 0 and os.access(base, os.W_OK)


def join(state_dir: Path, service: str, limit_mb: int) -> Path | None:
    """Create the service's cgroup with its limit and move this process into it."""
    if not available():
        return None
    group = group_dir(state_dir, service)
    assert group is not None
    group.mkdir(parents=True, exist_ok=True)
    set_limit(group, limit_mb * 2**20)
    (group / "cgroup.procs").write_text(str(os.getpid()))
    return group


def set_limit(group: Path, limit: int) -> None:
    """Set the memory limit, and the memory+swap limit to the same value when swap is accounted.

    The kernel requires memory <= memory+swap at every step, so when the limit grows
    (a budget was raised since the group was made) memsw is raised first.
    """
    mem = group / "memory.limit_in_bytes"
    memsw = group / "memory.memsw.limit_in_bytes"
    if not memsw.exists():
        mem.write_text(str(limit))
        return
    if limit > int(memsw.read_text()):
        memsw.write_text(str(limit))
        mem.write_text(str(limit))
    else:
        mem.write_text(str(limit))
        memsw.write_text(str(limit))


def read(group: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, key in (
        ("memory.limit_in_bytes", "limit"),
        ("memory.usage_in_bytes", "usage"),
        ("memory.max_usage_in_bytes", "peak"),
        ("memory.failcnt", "failcnt"),
    ):
        try:
            out[key] = int((group / name).read_text())
        except (OSError, ValueError):
            pass
    try:
        for line in (group / "memory.oom_control").read_text().splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill":
                out["oom_kills"] = int(v)
    except OSError:
        pass
    try:
        for line in (group / "memory.stat").read_text().splitlines():
            k, _, v = line.partition(" ")
            if k in ("total_rss", "total_cache"):
                out[k] = int(v)
    except OSError:
        pass
    return out


def remove_all(state_dir: Path) -> None:
    group = group_dir(state_dir, "x")
    if group is None or not group.parent.exists():
        return
    for child in group.parent.iterdir():
        if child.is_dir():
            try:
                child.rmdir()
            except OSError:
                pass  # still has processes
    try:
        group.parent.rmdir()
    except OSError:
        pass
