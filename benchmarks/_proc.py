"""Memory of a local process tree read from ``/proc`` (Linux), so benchmarks need no psutil.

The lifecycle CLI reports each service's main pid; an embedded platform runs on this
machine, so its process tree can be sampled here without starting a CLI per sample.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _parent(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are alive now (empty when ``pid`` is gone)."""
    if not (PROC / str(pid)).exists():
        return []
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, ()))
    return found


def _rollup(pid: int) -> dict[str, int]:
    """``Rss`` and ``Pss`` in bytes from ``smaps_rollup`` (empty if the process is gone or unreadable)."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key.lower()] = int(rest.split()[0]) * 1024
    return out


def tree_memory(pid: int) -> dict[str, int]:
    """PSS and RSS summed over the process tree of ``pid``, in bytes, and how many processes were read.

    PSS counts shared pages once per share (a JVM's and its Python parent's libraries are not
    counted twice); RSS is the usual, larger figure.
    """
    pss = rss = procs = 0
    for member in tree(pid):
        values = _rollup(member)
        if values:
            pss += values.get("pss", 0)
            rss += values.get("rss", 0)
            procs += 1
    return {"pss": pss, "rss": rss, "procs": procs}
