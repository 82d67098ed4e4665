"""How a benchmark reaches the platform: its contract file and its lifecycle CLI, never its code.

``./lh bench`` runs each benchmark with ``LH_CONTRACT_FILE`` naming the platform's contract
JSON. Endpoints, credentials and names come from that contract; lifecycle operations (status,
restart, a second instance's up/down) run the contract's ``control_command``
(``<platform python> -m lakehouse.runner``) and parse its ``--json`` output into the shapes
of :mod:`contract.lifecycle`, as the toolkit's embedded backend does.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contract.lifecycle import MemoryUsage, ServiceStatus, UpReport
from contract.platform import PlatformContract

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "benchmarks"


def load_contract() -> PlatformContract:
    """The platform under test, from ``LH_CONTRACT_FILE``."""
    path = os.environ.get("LH_CONTRACT_FILE")
    if not path:
        raise SystemExit(
            "LH_CONTRACT_FILE is not set. Run benchmarks with `./lh bench`, or write the contract with "
            "`<platform python> -m lakehouse.runner describe` and set LH_CONTRACT_FILE=.state/contract.json"
        )
    return PlatformContract.load(path)


def write_results(name: str, figures: Mapping[str, Any]) -> Path:
    """``results/benchmarks/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return out


class LifecycleCli:
    """The platform's lifecycle CLI, run as a subprocess.

    ``env`` is added to this process's environment: a second instance is the same CLI with
    ``LH_STATE_DIR`` and ``LH_PORT_<NAME>`` pointing elsewhere.
    """

    def __init__(self, command: tuple[str, ...], cwd: str, env: Mapping[str, str] | None = None):
        self.command = command
        self.cwd = cwd or str(ROOT)
        self.env = dict(env or {})

    @classmethod
    def of(cls, contract: PlatformContract, env: Mapping[str, str] | None = None) -> LifecycleCli:
        if not contract.control_command:
            raise SystemExit(
                f"Target '{contract.name}' ({contract.backend}) has no control_command: this benchmark drives "
                "the platform's lifecycle and needs the embedded reference lakehouse"
            )
        return cls(contract.control_command, contract.control_cwd, {**contract.control_env, **(env or {})})

    def run(self, *args: str, timeout: float = 900) -> str:
        argv = [*self.command, *args]
        env = {**os.environ, **self.env} if self.env else None
        proc = subprocess.run(argv, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"`{' '.join(args)}` failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
        return proc.stdout

    def json(self, *args: str, timeout: float = 900) -> Any:
        return json.loads(self.run(*args, "--json", timeout=timeout))

    # --- verbs -----------------------------------------------------------------------------
    def up(self, *profiles: str, timeout: float | None = None) -> UpReport:
        args = [arg for p in profiles for arg in ("--profile", p)]
        if timeout is not None:
            args += ["--timeout", str(timeout)]
        return UpReport(**self.json("up", *args, timeout=(timeout or 900) + 60))

    def down(self) -> None:
        self.run("down")

    def status(self, *names: str) -> list[ServiceStatus]:
        return [ServiceStatus(**row) for row in self.json("status", *names, timeout=60)]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status(name)[0]

    def restart(self, name: str, timeout: float = 300) -> None:
        self.run("restart", name, "--timeout", str(timeout), timeout=timeout + 60)

    def memory(self, name: str) -> MemoryUsage:
        return MemoryUsage(**self.json("memory", name, timeout=60))
