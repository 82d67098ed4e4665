"""The one library skeleton: a shared context per library instance and component classes.

Every keyword library is a PythonLibCore ``DynamicCore`` (:class:`KeywordLibrary`) over
component classes (:class:`LibraryComponent`), as SeleniumLibrary and Browser build
theirs. The :class:`LibraryContext` owns what the components share:

* the lazy target: resolved on first use from the import argument ``target`` or the
  current ``${LH_TARGET}``, with per-library endpoint overrides applied;
* the library-wide default timeout (import argument ``timeout``), used by every keyword
  whose own ``timeout`` is not given;
* cached clients, closed when the library goes out of scope.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from robotlibcore import DynamicCore

from contract.platform import PlatformContract
from lhkit import target as lh_target
from lhkit.polling import to_seconds, wait_until

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


class LibraryContext:
    """State shared by the components of one library instance. Nothing here changes between keywords
    except caches: keywords never set state that changes what another keyword does."""

    def __init__(
        self,
        target: Mapping[str, Any] | PlatformContract | None = None,
        timeout: timedelta | float | str | None = None,
        overrides: Mapping[str, Any] | None = None,
        requires: tuple[str, ...] = (),
    ):
        self._target_arg = target
        self._overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        self._requires = requires
        self.timeout = to_seconds(timeout, DEFAULT_TIMEOUT)
        self._target: PlatformContract | None = None
        self._resources: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()

    @property
    def target(self) -> PlatformContract:
        with self._lock:
            if self._target is None:
                base = lh_target.from_value(self._target_arg) if self._target_arg else lh_target.current()
                target = lh_target.from_value(base.with_overrides(**self._overrides)) if self._overrides else base
                missing = [name for name in self._requires if not getattr(target, name)]
                if missing:
                    raise ValueError(f"Target '{target.name}' has no {', '.join(missing)}")
                self._target = target
            return self._target

    def resource(self, key: str, factory: Callable[[], T], close: Callable[[T], None] | None = None) -> T:
        """A client built once per library instance (thread-safe); ``close`` runs at library close."""
        with self._lock:
            if key not in self._resources:
                value = factory()
                self._resources[key] = value
                if close is not None:
                    self._closers.append(lambda: close(value))
            return self._resources[key]

    def close(self) -> None:
        with self._lock:
            closers, self._closers = self._closers, []
            self._resources.clear()
        for closer in reversed(closers):
            closer()


class LibraryComponent:
    """Base of every component class: access to the shared context, target and timeouts."""

    def __init__(self, ctx: LibraryContext):
        self.ctx = ctx

    @property
    def target(self) -> PlatformContract:
        return self.ctx.target

    def timeout(self, value: timedelta | float | str | None) -> float:
        """A keyword's ``timeout`` argument in seconds, or the library-wide default."""
        return to_seconds(value, self.ctx.timeout)

    def wait_until(self, probe: Callable[[], T], condition: Callable[[T], bool] = bool, **kwargs: Any) -> T:
        """The shared polling helper with the library-wide default timeout."""
        kwargs.setdefault("default_timeout", self.ctx.timeout)
        return wait_until(probe, condition, **kwargs)


class KeywordLibrary(DynamicCore):
    """Base of every keyword library: GLOBAL scope, a listener that closes clients at the end."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, ctx: LibraryContext, components: list[LibraryComponent]):
        self.ctx = ctx
        self.ROBOT_LIBRARY_LISTENER = self
        super().__init__(components)

    def close(self) -> None:
        """Listener hook: release clients when the library goes out of scope."""
        self.ctx.close()
