"""The shared polling helper (:mod:`lhcommon.polling`) with its summary line in Robot's log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from robot.api import logger

from lhcommon.polling import WaitTimeout, format_seconds, to_seconds
from lhcommon.polling import wait_until as _wait_until

__all__ = ["WaitTimeout", "format_seconds", "to_seconds", "wait_until"]
T = TypeVar("T")


def wait_until(probe: Callable[[], T], condition: Callable[[T], bool] = bool, **kwargs: Any) -> T:
    """:func:`lhcommon.polling.wait_until`, reporting its one summary line at INFO in log.html."""
    kwargs.setdefault("report", logger.info)
    return _wait_until(probe, condition, **kwargs)
