"""The embedded backend: the platform's own lifecycle CLI (``control_command``).

The CLI prints JSON in the shapes of :mod:`contract.lifecycle`; a ``LifecycleError`` exits 3
and an ``UnsupportedOperation`` 4, with the message on stderr. Calls go through one long-lived
``serve`` session of the CLI (a round trip of milliseconds: a hard kill must land while the
batch it aims at is still being written); when no session can run, each call starts the command.
Catalogue facts come from the target's ``services`` (the platform's ``describe`` output).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading
from collections.abc import Iterable
from typing import Any

from contract.lifecycle import (
    LifecycleError,
    MemoryUsage,
    PlatformBackend,
    ResetReport,
    ServiceStatus,
    UnsupportedOperation,
    UpReport,
)
from contract.platform import PlatformContract, ServiceInfo
from lhcommon.masking import mask

# Generous: `up` waits for readiness itself within its own --timeout.
CALL_TIMEOUT = 60.0
UP_TIMEOUT = 900.0


class EmbeddedCliBackend(PlatformBackend):
    name = "embedded"

    def __init__(self, target: PlatformContract):
        if not target.control_command:
            raise LifecycleError(
                f"Target '{target.name}' has no control_command: the embedded backend drives the platform "
                "through its lifecycle CLI (see docs/architecture.md)"
            )
        self.target = target
        self._catalogue = target.service_catalogue()
        self._session: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    # --- plumbing ----------------------------------------------------------------------
    def _call(self, *args: str, timeout: float = CALL_TIMEOUT) -> str:
        with self._lock:
            answer = self._ask_session(list(args), timeout)
        if answer is None:
            return self._call_once(*args, timeout=timeout)
        return self._check(args, answer["rc"], answer["stdout"], answer["stderr"])

    def _ask_session(self, argv: list[str], timeout: float) -> dict[str, Any] | None:
        """One request to the ``serve`` session (started on first use); None when it cannot answer."""
        if self._session is None or self._session.poll() is not None:
            try:
                self._session = subprocess.Popen(
                    [*self.target.control_command, "serve"], cwd=self.target.control_cwd or None, text=True,
                    env=self._env(),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=1,
                )
            except OSError:
                self._session = None
                return None
        session = self._session
        assert session.stdin is not None and session.stdout is not None
        try:
            session.stdin.write(json.dumps({"argv": argv}) + "\n")
            session.stdin.flush()
            ready, _, _ = select.select([session.stdout], [], [], timeout)
            line = session.stdout.readline() if ready else ""
        except OSError:
            line = ""
        if not line:
            self.close()
            if not ready:
                raise LifecycleError(f"Lifecycle CLI '{' '.join(argv)}' did not answer within {timeout:.0f} s")
            return None  # the session died: the one-shot command reports why
        return json.loads(line)

    def close(self) -> None:
        """End the session (library close)."""
        session, self._session = self._session, None
        if session is not None and session.poll() is None:
            session.stdin.close()  # type: ignore[union-attr]
            try:
                session.wait(5)
            except subprocess.TimeoutExpired:
                session.kill()

    def _env(self) -> dict[str, str]:
        """This process's environment plus the target's ``control_env`` (which instance to drive)."""
        return {**os.environ, **self.target.control_env}

    def _call_once(self, *args: str, timeout: float = CALL_TIMEOUT) -> str:
        argv = [*self.target.control_command, *args]
        try:
            proc = subprocess.run(
                argv, cwd=self.target.control_cwd or None, env=self._env(), capture_output=True, text=True,
                timeout=timeout, check=False,
            )
        except FileNotFoundError as error:
            raise LifecycleError(
                f"The platform's lifecycle CLI is missing ({error.filename}); "
                "is the platform provisioned (./lh provision)?"
            ) from None
        except subprocess.TimeoutExpired:
            raise LifecycleError(f"Lifecycle CLI '{' '.join(args)}' did not answer within {timeout:.0f} s") from None
        return self._check(args, proc.returncode, proc.stdout, proc.stderr)

    @staticmethod
    def _check(args: Iterable[str], rc: int, stdout: str, stderr: str) -> str:
        if rc == 0:
            return stdout
        message = mask((stderr or stdout).strip()) or f"lifecycle CLI '{' '.join(args)}': exit status {rc}"
        if rc == 4:
            raise UnsupportedOperation(message)
        raise LifecycleError(message)

    def _json(self, *args: str, timeout: float = CALL_TIMEOUT) -> Any:
        out = self._call(*args, "--json", timeout=timeout)
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            raise LifecycleError(f"Lifecycle CLI '{' '.join(args)}' printed no JSON: {mask(out[-500:])!r}") from None

    # --- catalogue ---------------------------------------------------------------------
    def catalogue(self) -> dict[str, ServiceInfo]:
        return self._catalogue

    def service_names(self) -> list[str]:
        return list(self._catalogue)

    # --- lifecycle ---------------------------------------------------------------------
    def up(self, profiles: Iterable[str], timeout: float | None = None) -> UpReport:
        args = [a for p in profiles for a in ("--profile", p)]
        if timeout:
            args += ["--timeout", str(timeout)]
        return UpReport(**self._json("up", *args, timeout=(timeout or UP_TIMEOUT) + 60))

    def down(self) -> None:
        self._call("down", timeout=UP_TIMEOUT)

    def status(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        return [ServiceStatus(**row) for row in self._json("status", *(names or ()))]

    def service_status(self, name: str) -> ServiceStatus:
        return self.status([name])[0]

    def start_service(self, name: str, timeout: float | None = None) -> None:
        self._call("start", name, *(("--timeout", str(timeout)) if timeout else ()), timeout=(timeout or 300) + 60)

    def stop_service(self, name: str) -> None:
        self._call("stop", name, timeout=120)

    def restart_service(self, name: str, timeout: float | None = None) -> None:
        self._call("restart", name, *(("--timeout", str(timeout)) if timeout else ()), timeout=(timeout or 300) + 120)

    def kill_service(self, name: str) -> None:
        self._call("kill", name)

    def health(self, name: str) -> tuple[bool, str]:
        result = self._json("health", name)
        return bool(result["ok"]), str(result["detail"])

    def log_tail(self, name: str, lines: int = 50) -> str:
        return self._call("logs", name, "--lines", str(lines))

    def memory(self, name: str) -> MemoryUsage:
        return MemoryUsage(**self._json("memory", name))

    def reset_tables(
        self, layer: str, tables: Iterable[str] | None = None, resume: bool = True, timeout: float | None = None
    ) -> ResetReport:
        """The platform's ``reset --layer L [--table T ...]`` (it stops and resumes its own writers)."""
        args = ["--layer", layer, *(a for t in tables or () for a in ("--table", t))]
        if not resume:
            args.append("--no-resume")
        if timeout:
            args += ["--timeout", str(timeout)]
        # Stop, delete, re-create and a streaming start (its own --timeout) and lock waits.
        return ResetReport(**self._json("reset", *args, timeout=(timeout or 300) * 2 + 600))
