"""Lazy target, S3 client and query engine shared by the LakehouseLibrary components."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import lhkit
from lhkit.target import Target

from .engine import DeltaQueryEngine, s3_client


class LakehouseContext:
    def __init__(self, target: Mapping[str, Any] | None = None, s3_endpoint: str | None = None):
        self._target_arg = target
        self._endpoint_arg = s3_endpoint
        self._target: Target | None = None
        self._s3: Any = None
        self._engine: DeltaQueryEngine | None = None
        self._lock = threading.Lock()

    @property
    def target(self) -> Target:
        if self._target is None:
            target = Target.from_mapping(self._target_arg) if self._target_arg else lhkit.current()
            if self._endpoint_arg:
                target = target.with_overrides(s3_endpoint=self._endpoint_arg)
            if not target.s3_endpoint:
                raise ValueError(f"Target '{target.name}' has no s3_endpoint")
            self._target = target
        return self._target

    def s3(self) -> Any:
        with self._lock:
            if self._s3 is None:
                self._s3 = s3_client(self.target)
            return self._s3

    def engine(self) -> DeltaQueryEngine:
        with self._lock:
            if self._engine is None:
                self._engine = DeltaQueryEngine(self.target)
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


class LibraryComponent:
    def __init__(self, ctx: LakehouseContext):
        self.ctx = ctx
