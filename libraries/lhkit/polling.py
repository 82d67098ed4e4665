"""The one polling helper behind every ``Wait For …`` keyword.

Contract:

* The probe runs immediately, then every ``interval`` seconds (default 0.2 s, at
  most 0.5 s), so the helper returns within one interval after the condition holds.
* On timeout it raises :class:`WaitTimeout` naming the condition, the time waited,
  the number of attempts and the last observed state.
* Exceptions from the probe propagate at once (bad SQL, unknown table, …) unless
  they are listed in ``transient``; transient errors are retried and reported as
  the last observed state if the wait times out.
* It logs one summary line, not one line per attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from robot.api import logger

T = TypeVar("T")

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
    from robot.utils import timestr_to_secs

    return float(timestr_to_secs(value))


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
                    logger.info(f"Waited {format_seconds(waited)} ({attempts} attempt{plural}) for {description}.")
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
