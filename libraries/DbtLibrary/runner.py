"""dbt invocations for the keyword library: argument building, the inter-process lock, results.

Kept free of Robot imports so the pure parts are unit-testable.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lhcommon.locks import LockTimeout, exclusive_lock

PROJECT_DIR = Path(__file__).resolve().parents[2] / "lakehouse" / "dbt"
COMMANDS = ("run", "build", "test", "seed", "compile", "ls", "parse")
FAILED_STATUSES = ("error", "fail", "runtime error")

# Raised when another process holds the dbt run lock for too long.
DbtLockTimeout = LockTimeout


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str
    name: str
    status: str
    execution_time: float
    message: str
    failures: int | None
    compiled_code: str
    relation_name: str

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    def as_row(self) -> dict[str, Any]:
        return {
            "node": self.name,
            "type": self.resource_type,
            "status": self.status,
            "seconds": round(self.execution_time, 2),
            "failures": self.failures,
            "message": self.message,
        }


@dataclass
class DbtRun:
    command: str
    args: list[str]
    success: bool
    elapsed: float
    lock_wait: float
    results: list[NodeResult] = field(default_factory=list)
    exception: str = ""

    @property
    def failed_nodes(self) -> list[NodeResult]:
        return [r for r in self.results if r.failed]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def summary(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts().items())) or "no nodes"
        return f"dbt {self.command} {'succeeded' if self.success else 'FAILED'} in {self.elapsed:.1f} s ({counts})"


def build_args(
    command: str,
    *,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    full_refresh: bool = False,
    project_dir: Path = PROJECT_DIR,
    target_path: Path | None = None,
    log_path: Path | None = None,
    threads: int | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    if command not in COMMANDS:
        raise ValueError(f"Unknown dbt command '{command}', expected one of {', '.join(COMMANDS)}")
    args = [command, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if target_path:
        args += ["--target-path", str(target_path)]
    if log_path:
        args += ["--log-path", str(log_path)]
    for flag, value in (("--select", select), ("--exclude", exclude)):
        items = [value] if isinstance(value, str) else list(value or [])
        items = [i for i in items if i and i.strip()]
        if items:
            args += [flag, *items]
    if dbt_vars:
        args += ["--vars", yaml.safe_dump(dict(dbt_vars), default_flow_style=True).strip()]
    if full_refresh and command in ("run", "build", "seed"):
        args.append("--full-refresh")
    if threads:
        args += ["--threads", str(threads)]
    args += list(extra)
    return args


def parse_run_results(path: Path, manifest_path: Path | None = None) -> list[NodeResult]:
    """Results of the last invocation from ``run_results.json`` (compiled SQL from the manifest if absent)."""
    data = json.loads(path.read_text())
    nodes: dict[str, Any] = {}
    if manifest_path and manifest_path.exists():
        nodes = json.loads(manifest_path.read_text()).get("nodes", {})
    out = []
    for r in data.get("results", []):
        uid = r["unique_id"]
        node = nodes.get(uid, {})
        parts = uid.split(".")
        out.append(
            NodeResult(
                unique_id=uid,
                resource_type=parts[0],
                name=node.get("name") or parts[-1],
                status=str(r.get("status", "")),
                execution_time=float(r.get("execution_time") or 0.0),
                message=str(r.get("message") or ""),
                failures=r.get("failures"),
                compiled_code=r.get("compiled_code") or node.get("compiled_code") or "",
                relation_name=r.get("relation_name") or node.get("relation_name") or "",
            )
        )
    return out


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of an in-process dbt invocation."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def invoke(
    args: list[str],
    *,
    env: Mapping[str, str],
    target_path: Path,
    lock_path: Path,
    lock_timeout: float,
) -> DbtRun:
    """Run dbt in-process under the lock and collect its results."""
    from dbt.cli.main import dbtRunner

    command = args[0]
    holder = "dbt " + " ".join(args[:1] + _selector_part(args))
    with exclusive_lock(lock_path, lock_timeout, holder, what=f"the dbt run lock {lock_path}") as waited:
        run_results = target_path / "run_results.json"
        run_results.unlink(missing_ok=True)
        started = time.monotonic()
        with environment(env):
            try:
                res = dbtRunner().invoke(args)
            finally:
                _reset_duckdb()
        elapsed = time.monotonic() - started
        results = parse_run_results(run_results, target_path / "manifest.json") if run_results.exists() else []
    exc = f"{type(res.exception).__name__}: {res.exception}" if res.exception else ""
    return DbtRun(command, args, bool(res.success), elapsed, waited, results, exc)


def _selector_part(args: list[str]) -> list[str]:
    out, keep = [], False
    for a in args[1:]:
        if a.startswith("--"):
            keep = a in ("--select", "--exclude", "--full-refresh")
            if keep:
                out.append(a)
        elif keep:
            out.append(a)
    return out


def _reset_duckdb() -> None:
    """Drop dbt-duckdb's cached ':memory:' database so every invocation starts clean, like the CLI."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover
        return
    DuckDBConnectionManager.close_all_connections()
