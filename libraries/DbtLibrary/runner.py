"""dbt invocations for the keyword library: argument building, the subprocess under the lock, results.

dbt is the platform's dependency, not the toolkit's: it runs as a subprocess of the platform's
own dbt (``target.dbt_command``). Kept free of Robot imports so the pure parts are unit-testable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lhcommon.locks import LockTimeout, exclusive_lock

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
    # Why dbt failed as a whole (exit code and the tail of its output), empty when it succeeded.
    exception: str = ""
    output: str = ""

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
    project_dir: Path,
    profiles_dir: Path | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
    threads: int | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """dbt's arguments after the executable: ``<command> --project-dir … --profiles-dir … [options]``."""
    if command not in COMMANDS:
        raise ValueError(f"Unknown dbt command '{command}', expected one of {', '.join(COMMANDS)}")
    args = [command, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir or project_dir)]
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
                name=node.get("name") or (parts[2] if len(parts) > 2 else parts[-1]),
                status=str(r.get("status", "")),
                execution_time=float(r.get("execution_time") or 0.0),
                message=str(r.get("message") or ""),
                failures=r.get("failures"),
                compiled_code=r.get("compiled_code") or node.get("compiled_code") or "",
                relation_name=r.get("relation_name") or node.get("relation_name") or "",
            )
        )
    return out


OUTPUT_TAIL = 40


PARTIAL_PARSE = "partial_parse.msgpack"
# The correlation id a run is narrowed to: the project reads it at execution only, not when parsing.
CORRELATION_ENV = "LH_DBT_CORRELATION_ID"
RUNTIME_ONLY_ENV = (CORRELATION_ENV,)


def parse_cache_key(executable: Sequence[str], args: Sequence[str], env: Mapping[str, str]) -> str:
    """What a dbt parse depends on besides the project's files (which dbt checks itself): the dbt
    installation, project and profiles directories, ``--vars`` and the environment dbt reads."""
    keep = []
    for flag in ("--project-dir", "--profiles-dir", "--vars"):
        if flag in args:
            keep += [flag, args[args.index(flag) + 1]]
    relevant = sorted(
        (k, v) for k, v in env.items() if k.startswith(("LH_", "DBT_")) and k not in RUNTIME_ONLY_ENV
    )
    blob = json.dumps([list(executable), keep, relevant])
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@contextlib.contextmanager
def warm_partial_parse(cache_dir: Path | None, key: str, target_path: Path) -> Iterator[None]:
    """Seed ``target_path`` with the newest ``partial_parse.msgpack`` of an identical invocation
    (another library instance, pabot worker or earlier run), and share this run's afterwards.

    dbt validates the file itself (version, vars, profile, project env, every file's checksum)
    and re-parses what changed, so a stale copy costs a parse, never a wrong manifest."""
    if cache_dir is None:
        yield
        return
    cached = cache_dir / key / PARTIAL_PARSE
    mine = target_path / PARTIAL_PARSE
    if cached.exists() and (not mine.exists() or cached.stat().st_mtime > mine.stat().st_mtime):
        target_path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            shutil.copy2(cached, mine)
    yield
    if mine.exists():
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{PARTIAL_PARSE}.{os.getpid()}.tmp")
            shutil.copy2(mine, tmp)
            tmp.replace(cached)


def invoke(
    executable: Sequence[str],
    args: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    target_path: Path,
    lock_path: Path | None,
    lock_timeout: float,
    timeout: float,
    parse_cache: Path | None = None,
) -> DbtRun:
    """Run ``executable + args`` as a subprocess and collect its results.

    Under the dbt lock when ``lock_path`` is given (the run writes the platform's own tables);
    a run into scratch roots of its own needs none. ``target_path`` must be the run's own
    ``--target-path``: its ``run_results.json`` is read back. ``parse_cache``: a directory shared
    by invocations to keep dbt's partial parsing warm (see :func:`warm_partial_parse`).
    """
    command = args[0]
    holder = "dbt " + " ".join(args[:1] + _selector_part(args))
    environment = {**_inherited_env(), **env}
    lock = (
        exclusive_lock(lock_path, lock_timeout, holder, what=f"the dbt lock {lock_path}")
        if lock_path
        else contextlib.nullcontext(0.0)
    )
    key = parse_cache_key(executable, args, env)
    with lock as waited, warm_partial_parse(parse_cache, key, target_path):
        run_results = target_path / "run_results.json"
        run_results.unlink(missing_ok=True)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [*executable, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            return DbtRun(command, args, False, time.monotonic() - started, waited, [],
                          f"dbt did not finish within {timeout:g} s and was killed", output)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"dbt executable not found: {executable[0]} ({error.strerror})") from None
        elapsed = time.monotonic() - started
        results = parse_run_results(run_results, target_path / "manifest.json") if run_results.exists() else []
    output = proc.stdout + proc.stderr
    failure = ""
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-OUTPUT_TAIL:])
        failure = f"dbt exited with code {proc.returncode}" + (f"; last lines of its output:\n{tail}" if tail else "")
    return DbtRun(command, args, proc.returncode == 0, elapsed, waited, results, failure, output)


def _inherited_env() -> dict[str, str]:
    """This process's environment without the toolkit's Python settings (dbt runs in the platform's own)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


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
