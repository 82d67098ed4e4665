"""The reference lakehouse's lifecycle CLI: ``python -m lakehouse.runner <verb>``.

This is how the toolkit's embedded backend drives the platform (``control_command`` in the
contract, see ``docs/architecture.md``)::

    describe [--json] [--backend compose]               the contract JSON; also saved to <state>/contract.json (0600);
                                                        compose: writes <state>/run/compose.yml, contract-compose.json
    up --profile P [--profile Q] [--timeout S] [--json] UpReport
    down
    status [NAME ...] [--json]                          list of ServiceStatus
    start NAME [--timeout S] | stop NAME | restart NAME [--timeout S] | kill NAME
    health NAME [--json]                                {"ok": bool, "detail": str}
    logs NAME [--lines N]                               text
    memory NAME [--json]                                MemoryUsage
    reset --layer L [--table T ...] [--no-resume] [--timeout S] [--json]   ResetReport (lakehouse.runner.reset)
    serve                                               a session: one JSON request per stdin line

JSON shapes are ``dataclasses.asdict`` of :mod:`contract.lifecycle`. Without ``--json`` the
output is for people. Exit status: 0 done, 3 ``LifecycleError``, 4 ``UnsupportedOperation``
(the message on stderr), 2 bad arguments; ``health`` without ``--json`` exits 1 when not ready.

Each verb imports what it needs when it runs: ``describe`` reads only the standard
library, ``contract`` and the catalogue's declarations.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import IO, Any

from contract.lifecycle import LifecycleError, PlatformBackend, UnsupportedOperation
from lhcommon.polling import to_seconds

EXIT_LIFECYCLE = 3
EXIT_UNSUPPORTED = 4

BackendFactory = Callable[[], PlatformBackend]


def _embedded() -> PlatformBackend:
    from lakehouse.runner.embedded import EmbeddedBackend

    return EmbeddedBackend()


class _Run:
    """One CLI invocation: the parsed arguments, where to write, and the backend (made on first use)."""

    def __init__(self, args: argparse.Namespace, out: IO[str], factory: BackendFactory):
        self.args = args
        self.out = out
        self._factory = factory
        self._backend: PlatformBackend | None = None

    @property
    def backend(self) -> PlatformBackend:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    def emit(self, value: Any, text: str) -> None:
        """``value`` as JSON with ``--json``, else ``text``."""
        if self.args.json:
            self.out.write(json.dumps(value, indent=2, sort_keys=True) + "\n")
        elif text:
            self.out.write(text.rstrip("\n") + "\n")


# --- verbs ---------------------------------------------------------------------------------
def _describe(run: _Run) -> int:
    from lakehouse.runner.describe import contract_path, describe, describe_compose
    from lakehouse.settings import Settings

    settings = Settings.load()
    contract = describe_compose(settings) if run.args.backend == "compose" else describe(settings)
    contract.save(contract_path(settings, run.args.backend))
    run.out.write(json.dumps(contract.to_dict(), indent=2, sort_keys=True) + "\n")
    return 0


def _up(run: _Run) -> int:
    report = run.backend.up(run.args.profile, timeout=run.args.timeout)
    started = ", ".join(report.started) or "nothing"
    already = ", ".join(report.already_running) or "nothing"
    run.emit(asdict(report), f"started: {started}\nalready running: {already}\nready in {report.seconds:.1f} s")
    return 0


def _down(run: _Run) -> int:
    run.backend.down()
    return 0


def _status(run: _Run) -> int:
    rows = run.backend.status(run.args.names or None)
    lines = [f"{'SERVICE':24} {'PROFILE':22} {'STATE':12} {'PID':>7} {'RSS MB':>8} {'BUDGET':>7}"]
    for st in rows:
        rss = f"{st.rss_bytes / 2**20:.0f}" if st.rss_bytes else "-"
        lines.append(f"{st.name:24} {st.profile:22} {st.state:12} {st.pid or '-':>7} {rss:>8} "
                     f"{st.memory_budget_mb or '-':>7}")
    run.emit([asdict(st) for st in rows], "\n".join(lines))
    return 0


def _start(run: _Run) -> int:
    run.backend.start_service(run.args.name, timeout=run.args.timeout)
    return 0


def _stop(run: _Run) -> int:
    run.backend.stop_service(run.args.name)
    return 0


def _restart(run: _Run) -> int:
    run.backend.restart_service(run.args.name, timeout=run.args.timeout)
    return 0


def _kill(run: _Run) -> int:
    run.backend.kill_service(run.args.name)
    return 0


def _health(run: _Run) -> int:
    ok, detail = run.backend.health(run.args.name)
    run.emit({"ok": ok, "detail": detail}, f"{'ready' if ok else 'not ready'}: {detail}")
    return 0 if ok or run.args.json else 1


def _logs(run: _Run) -> int:
    run.out.write(run.backend.log_tail(run.args.name, run.args.lines).rstrip("\n") + "\n")
    return 0


def _memory(run: _Run) -> int:
    usage = run.backend.memory(run.args.name)
    limit = f"{usage.limit_bytes / 2**20:.0f} MB" if usage.limit_bytes else "no cgroup limit"
    run.emit(asdict(usage), f"{usage.service}: RSS {usage.rss_mb:.0f} MB, {limit}")
    return 0


def _reset(run: _Run) -> int:
    from lakehouse.runner.reset import reset

    report = reset(run.backend, run.args.layer, run.args.table, resume=not run.args.no_resume,  # type: ignore[arg-type]
                   timeout=run.args.timeout)
    deleted = ", ".join(f"{t} {n}" for t, n in report.objects_deleted.items())
    run.emit(asdict(report), f"reset {report.layer}: {', '.join(report.tables)}; objects deleted: {deleted}; "
                             f"stopped {report.stopped or '-'}, resumed {report.resumed or '-'} "
                             f"in {report.seconds:.1f} s")
    return 0


# --- arguments -----------------------------------------------------------------------------
def _seconds(text: str) -> float:
    try:
        return to_seconds(text, 0.0)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lakehouse.runner", description="Lifecycle of the reference lakehouse (embedded backend)."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, handler: Callable[[_Run], int], help_text: str, *, service: bool = False,
             timeout: bool = False) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        sub.add_argument("--json", action="store_true", help="print JSON (contract.lifecycle shapes)")
        if service:
            sub.add_argument("name", help="a service of the catalogue")
        if timeout:
            sub.add_argument("--timeout", type=_seconds, default=None,
                             help="seconds (or '5 min') to wait for readiness")
        return sub

    describe = verb("describe", _describe, "print this platform's contract JSON and save it to "
                    "<state>/contract.json (compose: contract-compose.json)")
    describe.add_argument("--backend", choices=("embedded", "compose"), default="embedded",
                          help="compose: write <state>/run/compose.yml and describe the platform run by Compose")
    up = verb("up", _up, "start profiles (and their dependencies) and wait until ready", timeout=True)
    up.add_argument("--profile", action="append", required=True, help="a profile; repeat for several")
    verb("down", _down, "stop every service and supervisord")
    status = verb("status", _status, "state, pid, RSS and restarts of services")
    status.add_argument("names", nargs="*", help="services (default: all)")
    verb("start", _start, "start one service and wait until ready", service=True, timeout=True)
    verb("stop", _stop, "stop one service", service=True)
    verb("restart", _restart, "stop, start and wait until ready", service=True, timeout=True)
    verb("kill", _kill, "SIGKILL a service's process group (its restart policy applies)", service=True)
    verb("health", _health, "run the service's readiness probe", service=True)
    logs = verb("logs", _logs, "the tail of a service's log", service=True)
    logs.add_argument("--lines", type=int, default=50, help="how many lines (default 50)")
    verb("memory", _memory, "RSS and cgroup memory figures of a service", service=True)
    reset = verb("reset", _reset, "empty a layer's tables (or --table ones) safely: stop writers, delete "
                 "objects, recreate, resume from consistent offsets", timeout=True)
    reset.add_argument("--layer", required=True, choices=("bronze", "silver", "gold"))
    reset.add_argument("--table", action="append", help="a table of the layer; repeat for several (default: all)")
    reset.add_argument("--no-resume", action="store_true", help="leave the stopped writers stopped")
    return parser


def serve(stdin: IO[str], stdout: IO[str], backend: BackendFactory = _embedded) -> int:
    """A lifecycle session: each stdin line is ``{"argv": [verb, ...]}``, each answer one stdout line
    ``{"rc": int, "stdout": str, "stderr": str}``, exactly what the one-shot command would give.

    The toolkit's embedded backend keeps one session open, so a call costs a round trip instead
    of an interpreter start (a kill must land within milliseconds of the moment it was aimed at).
    """
    cached = functools.cache(backend)
    for line in stdin:
        if not line.strip():
            continue
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(json.loads(line)["argv"], backend=cached, out=out)
            except SystemExit as exit_:  # argparse: bad arguments
                rc = exit_.code if isinstance(exit_.code, int) else 2
            except Exception as error:  # an unexpected failure answers like the one-shot command would
                print(f"{type(error).__name__}: {error}", file=sys.stderr)
                rc = 1
        stdout.write(json.dumps({"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
        stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None, backend: BackendFactory = _embedded, out: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["serve"]:
        return serve(sys.stdin, sys.stdout, backend)
    args = build_parser().parse_args(argv)
    run = _Run(args, out or sys.stdout, backend)
    try:
        return args.handler(run)
    except UnsupportedOperation as error:
        print(str(error), file=sys.stderr)
        return EXIT_UNSUPPORTED
    except LifecycleError as error:
        print(str(error), file=sys.stderr)
        return EXIT_LIFECYCLE
