"""One inter-process exclusive lock (``flock`` on a file), shared by every caller on the machine.

Used for platform start-up, dbt runs and whole-table resets, which must not run
concurrently from several pabot workers. The holder writes who it is into the
file, so a timeout can name the process that holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lhcommon.polling import WaitTimeout, wait_until

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


class LockTimeout(WaitTimeout):
    pass


def _thread_lock(path: Path) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(str(path), threading.Lock())


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float, holder: str, what: str = "") -> Iterator[float]:
    """Hold an exclusive lock on ``path``; yields the seconds spent waiting for it.

    Threads of one process are serialized too (``flock`` alone would let them share).
    On timeout, fails naming the lock and its current holder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    label = what or f"the lock {path}"
    thread_lock = _thread_lock(path)
    # The thread lock is bounded by the same timeout as the file lock: a second holder in this
    # process must time out with a message, not block for ever.
    if not thread_lock.acquire(timeout=timeout):
        waited = time.monotonic() - start
        raise LockTimeout(
            f"Timed out after {waited:.1f} s waiting for {label}: held by another thread of "
            f"this process (pid {os.getpid()})",
            attempts=1,
            waited=waited,
        )
    try:
        with open(path, "a+") as handle:
            yield from _hold_file_lock(handle, max(0.0, timeout - (time.monotonic() - start)), start, label, holder)
    finally:
        thread_lock.release()


def _hold_file_lock(handle: IO[str], timeout: float, start: float, label: str, holder: str) -> Iterator[float]:
    def try_lock() -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def current_holder(_: object) -> str:
        handle.seek(0)
        return f"held by {handle.read().strip() or 'unknown'}"

    try:
        wait_until(try_lock, timeout=timeout, interval=0.2, description=label, describe=current_holder, log=False)
    except WaitTimeout as error:
        raise LockTimeout(str(error), attempts=error.attempts, waited=error.waited) from None
    waited = time.monotonic() - start
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}: {holder}\n")
    handle.flush()
    try:
        yield waited
    finally:
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
