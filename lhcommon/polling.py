"""The one polling helper behind every ``Wait For …`` keyword.

Contract:

* The probe runs immediately, then every ``interval`` seconds (default 0.2 s, at
  most 0.5 s), so the helper returns within one interval after the condition holds.
* On timeout it raises :class:`WaitTimeout` naming the condition, the time waited,
  the number of attempts and the last observed state.
* Exceptions from the probe propagate at once (bad SQL, unknown table, …) unless
  they are listed in ``transient``; transient errors are retried and reported as
  the last observed state if the wait times out.
* It logs one summary line, not one line per attempt: through ``report`` (the
  keyword libraries pass Robot's logger), else the ``logging`` module.

Robot-free: the reference lakehouse's runner uses it too.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

T = TypeVar("T")

_log = logging.getLogger("lhcommon.polling")

DEFAULT_INTERVAL = 0.2
MAX_DEFAULT_INTERVAL = 0.5


class WaitTimeout(AssertionError):
    """A wait ran out of time. Robot shows the message without the class name."""

    ROBOT_SUPPRESS_NAME = True

    def __init__(self, message: str, *, last: object = None, attempts: int = 0, waited: float = 0.0):
        super().__init__(message)
        self.last = last
        self.attempts = attempts
        self.waited = waited


def to_seconds(value: timedelta | float | int | str | None, default: float) -> float:
    """Accept what Robot users write: ``timedelta``, seconds, or ``"1 min 5 s"``."""
    if value is None or value == "":
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return parse_duration(str(value))


_UNITS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_PART = re.compile(r"(-?\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_duration(text: str) -> float:
    """Robot's time format: ``1.5``, ``30 s``, ``1 min 5 s``, ``2 minutes``, ``500 ms``, ``1h 30min``."""
    clean = text.strip().lower().replace(" ", "")
    parts = _PART.findall(clean)
    if not parts or "".join(n + u for n, u in parts) != clean:
        raise ValueError(f"Invalid time '{text}'; use e.g. '30 s', '1 min 5 s' or '1.5'")
    total = 0.0
    for number, unit in parts:
        unit = unit.rstrip("s") if unit not in ("s", "ms") and unit.endswith("s") else unit
        if unit and unit not in _UNITS:
            raise ValueError(f"Invalid time unit '{unit}' in '{text}'")
        total += float(number) * _UNITS.get(unit, 1)
    return total


def format_seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def wait_until(
    probe: Callable[[], T],
    condition: Callable[[T], bool] = bool,
    *,
    timeout: timedelta | float | str | None,
    description: str,
    interval: timedelta | float | str | None = None,
    describe: Callable[[T], str] = repr,
    transient: tuple[type[BaseException], ...] = (),
    default_timeout: float = 30.0,
    log: bool = True,
    report: Callable[[str], None] | None = None,
) -> T:
    """Poll ``probe`` until ``condition(result)`` holds and return that result.

    ``description`` completes the sentence "waiting for …" in messages.
    ``describe`` turns the last probe result into the "last observed" text.
    """
    limit = to_seconds(timeout, default_timeout)
    step = to_seconds(interval, DEFAULT_INTERVAL)
    if step <= 0:
        raise ValueError(f"Poll interval must be positive, got {step}")
    start = time.monotonic()
    deadline = start + limit
    attempts = 0
    last_state = "nothing observed yet"
    last_value: object = None
    while True:
        attempts += 1
        try:
            value = probe()
        except transient as error:  # retried; shown if we time out
            last_state = f"{type(error).__name__}: {error}"
            last_value = error
        else:
            last_value = value
            if condition(value):
                waited = time.monotonic() - start
                if log:
                    plural = "s" * (attempts != 1)
                    (report or _log.info)(
                        f"Waited {format_seconds(waited)} ({attempts} attempt{plural}) for {description}."
                    )
                return value
            last_state = describe(value)
        now = time.monotonic()
        if now >= deadline:
            waited = now - start
            raise WaitTimeout(
                f"Timed out after {format_seconds(waited)} waiting for {description} "
                f"({attempts} attempts, every {format_seconds(step)}). Last observed: {last_state}",
                last=last_value,
                attempts=attempts,
                waited=waited,
            )
        time.sleep(min(step, max(0.0, deadline - now)))
