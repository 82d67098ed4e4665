"""State shared by the PlatformLibrary components: the backend, process baselines, samplers, the suite model."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from contract.lifecycle import LifecycleError, PlatformBackend
from contract.platform import ServiceInfo
from lhkit import htmllog
from lhkit.component import LibraryComponent, LibraryContext

from .backends import backend_for


class PlatformContext(LibraryContext):
    def __init__(self, *args: Any, backend: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._backend_kind = backend
        # Process identity of each service the first time this library saw it.
        self.baseline: dict[str, dict[str, Any]] = {}
        self.samplers: dict[str, MemorySampler] = {}
        # The running-model suites (with their tests and tags), innermost last.
        self.suites: list[Any] = []

    @property
    def backend(self) -> PlatformBackend:
        return self.resource("backend", lambda: backend_for(self.target, self._backend_kind),
                             close=lambda backend: getattr(backend, "close", lambda: None)())

    def catalogue(self) -> dict[str, ServiceInfo]:
        return self.backend.catalogue()  # type: ignore[attr-defined]


class PlatformComponent(LibraryComponent):
    ctx: PlatformContext

    @property
    def backend(self) -> PlatformBackend:
        return self.ctx.backend

    def identity(self, name: str) -> dict[str, Any]:
        st = self.backend.service_status(name)
        try:
            oom_kills = self.backend.memory(name).oom_kills
        except LifecycleError:
            oom_kills = None
        return {
            "service": name,
            "pid": st.pid,
            "started_at": st.started_at,
            "restarts": st.restarts,
            "state": st.state,
            "oom_kills": oom_kills,
        }

    def remember(self, name: str) -> None:
        if name not in self.ctx.baseline:
            self.ctx.baseline[name] = self.identity(name)

    def attach_tail(self, name: str, lines: int = 40) -> None:
        try:
            text = self.backend.log_tail(name, lines)
        except LifecycleError as error:
            text = str(error)
        htmllog.log_text_block(text, title=f"Last {lines} lines of the {name} log", level="INFO")


class MemorySampler:
    """Background RSS sampling of one service (a thread; stopped by `Stop Memory Sampling`)."""

    _counter = itertools.count(1)

    def __init__(self, backend: PlatformBackend, name: str, interval: float):
        self.id = f"{name}#{next(self._counter)}"
        self.backend, self.name, self.interval = backend, name, interval
        self.rss: list[int] = []
        self.states: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"memory-sampler-{self.id}", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                st = self.backend.service_status(self.name)
            except LifecycleError as error:  # reported by stop(), never swallowed
                self.errors.append(str(error))
            else:
                self.states.append(st.state)
                self.rss.append(st.rss_bytes or 0)
            self._stop.wait(self.interval)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(30)
        mb = [r / 2**20 for r in self.rss] or [0.0]
        out: dict[str, Any] = {
            "service": self.name,
            "samples": len(self.rss),
            "seconds": round(time.monotonic() - self._started, 1),
            "peak_rss_mb": round(max(mb), 1),
            "mean_rss_mb": round(sum(mb) / len(mb), 1),
            "states": sorted(set(self.states)),
            "not_running_samples": sum(1 for s in self.states if s != "RUNNING"),
            "errors": self.errors[-3:],
        }
        try:
            usage = self.backend.memory(self.name)
        except LifecycleError:
            return out
        if usage.limit_bytes:
            out.update(
                limit_mb=usage.limit_bytes // 2**20,
                cgroup_peak_mb=round((usage.cgroup_peak_bytes or 0) / 2**20),
                oom_kills=usage.oom_kills,
            )
        return out
