"""Bringing a set of services up: a small state machine per service, with no processes in it.

Each service moves through::

    PENDING ──dependencies READY──▶ STARTING ──probe ok / one-shot exit 0──▶ READY
                                       │
                                       └──exit ≠ 0, FATAL, stopped, or start_timeout──▶ FAILED

A one-shot that already finished with exit 0 goes straight from PENDING to READY; a
daemon found running is adopted (STARTING, waiting for its probe) rather than started again.

:class:`Startup` is driven by a loop (``EmbeddedBackend._drive``) that feeds it what it
observes (a supervisord snapshot per service, finished probes, the clock) through
:meth:`Startup.step`, and carries out the :class:`Start` and :class:`RunProbe` actions it
returns. Unit tests drive it with plain values (``tests/unit/test_runner_startup.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# supervisord states of a process that is (being) started.
ALIVE = ("RUNNING", "STARTING", "BACKOFF")
DEAD = ("FATAL", "EXITED", "STOPPED")


class Phase(enum.Enum):
    PENDING = "pending"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


class Declared(Protocol):
    name: str
    depends_on: tuple[str, ...]
    oneshot: bool
    start_timeout: float


@dataclass(frozen=True)
class Proc:
    """What supervisord reports of one process."""

    state: str
    exit_status: int | None = None
    spawn_error: str = ""

    @classmethod
    def from_info(cls, info: Mapping[str, object]) -> Proc:
        status = info.get("exitstatus")
        return cls(str(info["statename"]), status if isinstance(status, int) else None, str(info.get("spawnerr") or ""))


@dataclass(frozen=True)
class Start:
    """Action: start the process."""

    name: str


@dataclass(frozen=True)
class RunProbe:
    """Action: run the readiness probe; report the result through ``step(probed=...)``."""

    name: str


Action = Start | RunProbe


@dataclass
class Track:
    """One service's place in the machine."""

    phase: Phase = Phase.PENDING
    started_at: float | None = None
    probing: bool = False
    last: str = "not started"
    failure: str = ""


@dataclass
class Startup:
    """Start ``services`` (in dependency order) and wait until each is ready or one fails."""

    services: Sequence[Declared]
    t0: float
    # At most this many services starting at once (``None``: no limit). On a small machine, twenty
    # services started together starve each other past their start timeouts; with a limit the rest
    # wait PENDING ("waiting for a start slot"), and a service's timeout counts from its own start.
    max_starting: int | None = None
    tracks: dict[str, Track] = field(init=False)
    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    ready_after: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tracks = {s.name: Track() for s in self.services}

    # --- queries -------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return all(t.phase is Phase.READY for t in self.tracks.values())

    @property
    def failed(self) -> tuple[str, str] | None:
        """``(service, what went wrong)`` of the first failed service, if any."""
        for name, track in self.tracks.items():
            if track.phase is Phase.FAILED:
                return name, track.failure
        return None

    def phase(self, name: str) -> Phase:
        return self.tracks[name].phase

    def waiting(self) -> str:
        """The services not ready yet and what was last seen of each."""
        return "; ".join(f"{n}: {t.last}" for n, t in self.tracks.items() if t.phase is not Phase.READY)

    # --- transitions ---------------------------------------------------------------------
    def step(
        self, now: float, procs: Mapping[str, Proc], probed: Mapping[str, tuple[bool, str]] | None = None
    ) -> list[Action]:
        """Feed one round of observations; return the actions to carry out. Services are visited
        in dependency order, so a dependency that becomes ready lets its dependents start in the same step."""
        results = probed or {}
        actions: list[Action] = []
        for svc in self.services:
            track = self.tracks[svc.name]
            if svc.name in results:
                track.probing = False
            if track.phase is Phase.PENDING:
                actions += self._pending(svc, track, procs[svc.name], now)
            elif track.phase is Phase.STARTING:
                actions += self._starting(svc, track, procs[svc.name], results.get(svc.name), now)
            if self.failed:
                return []
        return actions

    def _pending(self, svc: Declared, track: Track, proc: Proc, now: float) -> list[Action]:
        blocking = [d for d in svc.depends_on if d in self.tracks and self.tracks[d].phase is not Phase.READY]
        if blocking:
            track.last = "waiting for " + ", ".join(blocking)
            return []
        if svc.oneshot and proc.state == "EXITED" and proc.exit_status == 0:
            self.already_running.append(svc.name)
            track.phase, track.last = Phase.READY, "finished earlier (exit status 0)"
            return []
        starting = sum(1 for t in self.tracks.values() if t.phase is Phase.STARTING)
        if self.max_starting is not None and proc.state not in ALIVE and starting >= self.max_starting:
            track.last = f"waiting for a start slot ({starting} services starting)"
            return []
        track.phase, track.started_at = Phase.STARTING, now
        if proc.state in ALIVE:  # adopted: probed at once, not started again
            if not svc.oneshot:
                self.already_running.append(svc.name)
            return self._starting(svc, track, proc, None, now)
        self.started.append(svc.name)
        track.last = "start requested"
        return [Start(svc.name)]

    def _starting(
        self, svc: Declared, track: Track, proc: Proc, probe: tuple[bool, str] | None, now: float
    ) -> list[Action]:
        if svc.oneshot:
            self._oneshot(svc, track, proc, now)
            return []
        if proc.state in DEAD:
            return self._fail(track, f"is {proc.state} (exit status {proc.exit_status})")
        if probe is not None:
            ok, detail = probe
            if ok:
                self._ready(svc, track, now)
                return []
            track.last = f"{proc.state}, probe: {detail}"
        if self._timed_out(svc, track, now):
            return []
        if track.probing:
            return []
        track.probing = True
        return [RunProbe(svc.name)]

    def _oneshot(self, svc: Declared, track: Track, proc: Proc, now: float) -> None:
        if proc.state == "EXITED" and proc.exit_status == 0:
            self._ready(svc, track, now)
        elif proc.state == "EXITED":
            self._fail(track, f"exited with status {proc.exit_status}")
        elif proc.state == "FATAL":
            self._fail(track, f"could not be started: {proc.spawn_error}")
        else:
            track.last = proc.state
            self._timed_out(svc, track, now)

    def _ready(self, svc: Declared, track: Track, now: float) -> None:
        track.phase, track.last = Phase.READY, "ready"
        self.ready_after[svc.name] = now - self.t0

    def _fail(self, track: Track, what: str) -> list[Action]:
        track.phase, track.failure = Phase.FAILED, what
        return []

    def _timed_out(self, svc: Declared, track: Track, now: float) -> bool:
        assert track.started_at is not None
        if now - track.started_at <= svc.start_timeout:
            return False
        self._fail(track, f"not ready {svc.start_timeout:.0f} s after start (last: {track.last})")
        return True
