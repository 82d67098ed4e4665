"""Robot listener that breaks a service through the target's own backend right before each test starts.

Works on any managed backend (the contract in ``LH_CONTRACT_FILE``): suite setups heal the platform,
this breaks it afterwards, so a run shows whether the tests notice::

    LH_CONTRACT_FILE=.state/contract-compose.json \\
      robot -V variables/compose.py --listener tests/faults/BackendFaultListener.py:kill:kafka \\
      suites/01_foundation/core_services.robot

Faults: ``kill`` (a hard kill: the restart policy brings the service back as a new process),
``stop``, ``oom`` (a process inside the service's container allocates past its memory limit until
the OOM killer ends it: Compose backend only).
"""

from __future__ import annotations

import os
from typing import Any

from contract.platform import PlatformContract
from PlatformLibrary.backends import backend_for

HOG = 'echo 1000 > /proc/self/oom_score_adj; x=0123456789abcdef; while :; do x="$x$x"; done'


class BackendFaultListener:
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, fault: str, service: str):
        if fault not in ("kill", "stop", "oom"):
            raise ValueError(f"Unknown fault '{fault}': expected kill, stop or oom")
        self.fault, self.service = fault, service
        self.backend = backend_for(PlatformContract.load(os.environ["LH_CONTRACT_FILE"]))

    def start_test(self, data: Any, result: Any) -> None:
        if self.fault == "kill":
            self.backend.kill_service(self.service)
        elif self.fault == "stop":
            self.backend.stop_service(self.service)
        else:
            self.backend.run_in_service(self.service, ["sh", "-c", HOG], timeout=60)  # type: ignore[attr-defined]
