"""invoke tasks: the front door of the toolkit (``./lh --list``).

./lh run        provision, start the profiles the selected suites need, run them with pabot
./lh test       the project's own tests: lint, unit, library tests on the real platform, every suite
./lh up/down/status/logs/provision/docs/lint/bench   the pieces
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from invoke import Collection, Context, Exit, task

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

RESULTS = ROOT / "results"
SUITES = ROOT / "suites"
LIBRARIES = ["PlatformLibrary", "KafkaLibrary", "SchemaRegistryLibrary", "LakehouseLibrary", "EventLibrary",
             "StreamingLibrary", "DbtLibrary", "AirflowLibrary"]


def _settings():
    from lakehouse.settings import Settings

    return Settings.load()


def _backend():
    from lakehouse.runner import backend_for

    return backend_for("embedded")


def _profiles_with_deps(profiles: list[str]) -> list[str]:
    from lakehouse.catalogue import all_services, closure, profiles_of

    return profiles_of(closure(all_services(_settings()), profiles))


def _say(message: str) -> None:
    print(f"[lh] {message}", flush=True)


@task(iterable=["profile"], help={"profile": "profile to provision (repeatable); default: all"})
def provision(c: Context, profile: list[str] | None = None) -> None:
    """Install what the profiles need into the state dir (idempotent, cached)."""
    from lakehouse.catalogue.base import PROFILES
    from lakehouse.provision import provision as run_provision

    wanted = _profiles_with_deps(profile) if profile else list(PROFILES)
    seconds = run_provision(_settings(), wanted, log=_say)
    _say(f"provisioned {', '.join(wanted)} in {seconds:.2f} s (state dir {_settings().state_dir})")


@task(iterable=["profile"], help={"profile": "profile to start (repeatable); dependencies are followed"})
def up(c: Context, profile: list[str] | None = None) -> None:
    """Start profiles (default: core) and wait until every service is ready."""
    profiles = _profiles_with_deps(profile or ["core"])
    provision(c, profile=profiles)
    report = _backend().up(profiles)
    _say(f"up: {', '.join(profiles)} ready in {report.seconds:.1f} s "
         f"(started {', '.join(report.started) or 'nothing'}; already running {len(report.already_running)})")


@task
def down(c: Context) -> None:
    """Stop every service and supervisord."""
    _backend().down()
    _say("down: platform stopped")


@task
def status(c: Context) -> None:
    """Table of service, profile, state, pid, RSS, uptime and restarts."""
    rows = _backend().status()
    header = (f"{'SERVICE':<24}{'PROFILE':<22}{'STATE':<12}{'PID':>8}{'RSS MB':>9}{'BUDGET':>8}"
              f"{'UPTIME':>10}{'RESTARTS':>10}")
    print(header)
    for st in rows:
        state = f"{st.state}({st.exit_status})" if st.oneshot and st.state == "EXITED" else st.state
        rss = f"{st.rss_bytes / 2**20:.0f}" if st.rss_bytes else "-"
        uptime = f"{st.uptime_s:.0f}s" if st.uptime_s is not None else "-"
        print(f"{st.name:<24}{st.profile:<22}{state:<12}{st.pid or '-':>8}{rss:>9}{st.memory_budget_mb:>8}"
              f"{uptime:>10}{st.restarts:>10}")


@task(help={"lines": "number of lines (default 100)"})
def logs(c: Context, service: str, lines: int = 100) -> None:
    """Print the tail of a service's log."""
    print(_backend().log_tail(service, lines))


def _suite_profiles(paths: list[str]) -> list[str]:
    from PlatformLibrary.profiles import profiles_for_suites

    return profiles_for_suites([str(ROOT / p) for p in paths])


def _run_suites(c: Context, paths: list[str], outputdir: Path, processes: int, extra: list[str]) -> int:
    """Run suites in two phases and merge them into one log.

    1. pabot runs everything not tagged ``serial`` in parallel;
    2. tests tagged ``serial`` (they restart or kill shared services) run alone, one at a time.
    ``rebot --merge`` then writes results/output.xml, log.html and report.html.
    """
    for old in ("output.xml", "log.html", "report.html"):
        (outputdir / old).unlink(missing_ok=True)
    common = ["--loglevel", "DEBUG:INFO", "--pythonpath", str(ROOT), "--pythonpath", str(ROOT / "libraries"), *extra]
    parallel = outputdir / "parallel"
    serial = outputdir / "serial"
    c.run(" ".join(["pabot", "--pabotlib", "--pabotlibport", "0", "--processes", str(processes),
                    "--artifactsinsubfolders", "--outputdir", str(parallel), "--exclude", "serial",
                    "--runemptysuite", *common, *paths]), warn=True, pty=False)
    c.run(" ".join(["robot", "--outputdir", str(serial), "--include", "serial", "--runemptysuite",
                    "--log", "NONE", "--report", "NONE", *common, *paths]), warn=True, pty=False)
    outputs = [str(d / "output.xml") for d in (parallel, serial) if (d / "output.xml").exists()]
    if not outputs:
        raise Exit("no Robot output was produced", code=3)
    merged = c.run(" ".join(["rebot", "--merge", "--name", "Suites", "--outputdir", str(outputdir),
                             "--output", "output.xml", *outputs]), warn=True, pty=False)
    return merged.exited


@task(
    iterable=["suite", "include", "exclude"],
    help={
        "suite": "suite path(s) under suites/ (default: all)",
        "keep": "leave the platform running afterwards",
        "processes": "pabot processes (default 2)",
        "include": "robot --include tag pattern (repeatable)",
        "exclude": "robot --exclude tag pattern (repeatable)",
    },
)
def run(c: Context, suite: list[str] | None = None, keep: bool = False, processes: int = 2,
        include: list[str] | None = None, exclude: list[str] | None = None) -> None:
    """Main job: provision, start the profiles the suites need, run them with pabot -> results/log.html."""
    paths = suite or ["suites"]
    profiles = _profiles_with_deps(_suite_profiles(paths))
    _say(f"suites {' '.join(paths)} need profiles: {', '.join(profiles)}")
    backend = _backend()
    was_running = backend.supervisor_running()
    provision(c, profile=profiles)
    report = backend.up(profiles)
    _say(f"platform ready in {report.seconds:.1f} s")
    extra = [f"--include {i}" for i in include or []] + [f"--exclude {e}" for e in exclude or []]
    try:
        rc = _run_suites(c, paths, RESULTS, processes, extra)
    finally:
        if keep:
            _say("platform left running (--keep); stop it with ./lh down")
        elif not was_running:
            backend.down()
            _say("platform stopped")
        else:
            for name in reversed(report.started):
                backend.stop_service(name)
            _say(f"stopped the services this run started ({len(report.started)}); the rest was already running")
    _say(f"log: {RESULTS / 'log.html'}  report: {RESULTS / 'report.html'}")
    if rc != 0:
        raise Exit(f"suites failed (pabot exit {rc})", code=rc)


@task
def lint(c: Context) -> None:
    """ruff and robocop (check + format --check)."""
    c.run("ruff check lakehouse libraries tests benchmarks tasks.py")
    c.run("robocop check suites resources")
    c.run("robocop format --check --diff suites resources")


@task
def docs(c: Context) -> None:
    """Build libdoc HTML for every library into docs/libdoc/."""
    out = ROOT / "docs" / "libdoc"
    out.mkdir(parents=True, exist_ok=True)
    for lib in LIBRARIES:
        if (ROOT / "libraries" / lib).exists():
            c.run(f"{sys.executable} -m robot.libdoc --pythonpath {ROOT} --pythonpath {ROOT / 'libraries'} "
                  f"{lib} {out / (lib + '.html')}")


@task(help={"keep": "leave the platform running afterwards"})
def test(c: Context, keep: bool = False) -> None:
    """The project's own tests (CI): lint, unit tests, dry-run, libdoc, library tests and every suite
    against the embedded platform."""
    started = time.monotonic()
    lint(c)
    c.run("pytest -q tests/unit")
    c.run(f"robot --dryrun --output NONE --report NONE --log NONE --pythonpath {ROOT} "
          f"--pythonpath {ROOT / 'libraries'} suites")
    docs(c)
    profiles = _profiles_with_deps([*_suite_profiles(["suites"]), "core"])
    provision(c, profile=profiles)
    backend = _backend()
    was_running = backend.supervisor_running()
    report = backend.up(profiles)
    _say(f"platform ({', '.join(profiles)}) ready in {report.seconds:.1f} s")
    failures = []
    try:
        if c.run("pytest -q tests/integration", warn=True).exited != 0:
            failures.append("pytest tests/integration")
        if _run_suites(c, ["suites"], RESULTS, 2, []) != 0:
            failures.append("robot suites")
        leaks = _secret_leaks()
        if leaks:
            failures.append("secrets found in " + ", ".join(leaks))
    finally:
        if not keep and not was_running:
            backend.down()
    _say(f"test finished in {time.monotonic() - started:.0f} s")
    if failures:
        raise Exit("FAILED: " + "; ".join(failures), code=1)


def _secret_leaks() -> list[str]:
    """Files under results/ that contain a platform secret in clear text."""
    s = _settings()
    values = [s.s3_secret_key, s.airflow_password]
    leaks = []
    for path in RESULTS.rglob("*"):
        if path.is_file() and path.suffix in (".xml", ".html", ".txt", ".out", ".log"):
            text = path.read_text(errors="replace")
            if any(v and v in text for v in values):
                leaks.append(str(path.relative_to(ROOT)))
    return leaks


@task(help={"name": "benchmark module under benchmarks/ (default: all)"})
def bench(c: Context, name: str = "") -> None:
    """Run benchmarks; each prints figures and writes results/benchmarks/<name>.json."""
    names = [name] if name else sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
    for n in names:
        c.run(f"{sys.executable} -m benchmarks.{n}")


@task(iterable=["name"], help={"name": "mutation to run (repeatable; default: all)"})
def mutate(c: Context, name: list[str] | None = None) -> None:
    """Break the platform on purpose, one mutation at a time, and require the named test to fail."""
    from tests.faults.mutations import main as run_mutations

    if run_mutations(name or []) != 0:
        raise Exit("some mutations were not caught by their tests", code=1)


ns = Collection(provision, up, down, status, logs, run, test, lint, docs, bench, mutate)
ns.configure({"run": {"echo": True}})
os.environ.setdefault("LH_STATE_DIR", str(ROOT / ".state"))
