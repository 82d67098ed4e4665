"""Robot listener that stops a platform service right before each test starts.

Suite setups heal the platform (``Ensure Profiles For Suite``); this breaks it
afterwards, so a run shows whether the tests notice a service that is down:

    robot --listener tests/faults/StopServiceListener.py:schema-registry suites/01_foundation
"""

from __future__ import annotations

from typing import Any

from tests.faults.cli import platform_cli


class StopServiceListener:
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, service: str):
        self.service = service

    def start_test(self, data: Any, result: Any) -> None:
        platform_cli("stop", self.service)
