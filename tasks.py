"""invoke tasks: the front door of the toolkit (``./lh --list``).

./lh run        provision, start the profiles the selected suites need, run them with pabot
./lh test       the project's own tests: lint, unit, library tests on the real platform, every suite,
                and the foundation and Bronze suites against a second instance through the external target
./lh up/down/status/logs/provision/docs/lint/bench/mutate   the pieces

The toolkit runs in this venv; the reference lakehouse runs in its own environment and is
driven only through its CLI (``python -m lakehouse.runner``, ``python -m lakehouse.provision``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from invoke import Collection, Context, Exit, task

from contract.platform import SECRET_FIELDS, PlatformContract, closure, profiles_of

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
SUITES = ROOT / "suites"
LIBRARIES = ["PlatformLibrary", "KafkaLibrary", "SchemaRegistryLibrary", "LakehouseLibrary", "EventLibrary",
             "StreamingLibrary", "DbtLibrary", "AirflowLibrary", "MonitoringLibrary", "BiLibrary"]
# The second instance of `./lh test`: other ports, topic names and buckets, reached only as an external target.
SECOND_INSTANCE = {"LH_TOPIC_PREFIX": "ext.", "LH_BUCKET_BRONZE": "ext-bronze", "LH_BUCKET_SILVER": "ext-silver",
                   "LH_BUCKET_GOLD": "ext-gold"}
SECOND_PORT_OFFSET = 1000
# Tests that drive the platform's lifecycle or read its processes: not run against an external target.
MANAGED_ONLY_TAG = "backend:managed"
# Tests tagged `backend:embedded` need something only the embedded backend has (e.g. the table reset).
EMBEDDED_ONLY = "embedded"
# Platform backends `./lh up/run --backend` can drive: local processes, or Docker Compose.
BACKENDS = ("embedded", "compose")
# What the second instance runs (core and data-platform only) through the external target, and the
# profile tags of the tests it therefore leaves out.
EXTERNAL_RUN_SUITES = ("suites/01_foundation", "suites/02_data_flows/bronze_ingestion.robot",
                       "suites/05_external_integrations/schema_registry_api.robot",
                       "suites/05_external_integrations/s3_api.robot")
# What `./lh test` runs on the Compose backend after the embedded run: the foundation, Bronze, streaming
# recovery (restart, hard kill, burst under the container's memory limit), Silver/Gold and Airflow suites.
COMPOSE_RUN_SUITES = ("suites/01_foundation/core_services.robot", "suites/01_foundation/kafka_broker.robot",
                      "suites/01_foundation/object_store.robot", "suites/01_foundation/schema_registry.robot",
                      "suites/02_data_flows/bronze_ingestion.robot", "suites/02_data_flows/silver_gold.robot",
                      "suites/03_cross_phase/airflow_orchestration.robot",
                      "suites/04_regression/streaming_recovery.robot", "suites/04_regression/memory_pressure.robot")
EXTERNAL_RUN_ABSENT = ("profile:quality-orchestration", "profile:airflow2-compat", "profile:monitoring", "profile:bi")


def _say(message: str) -> None:
    print(f"[lh] {message}", flush=True)


def _state_dir(env: dict[str, str] | None = None) -> Path:
    return Path((env or os.environ).get("LH_STATE_DIR", ROOT / ".state"))


def _platform_python(env: dict[str, str] | None = None) -> str:
    python = _state_dir(env) / "artifacts" / "platform-venv" / "bin" / "python"
    return str(python) if python.exists() else sys.executable


def _platform(*args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    """Run the reference lakehouse's lifecycle CLI; fail the task with its message."""
    argv = [_platform_python(env), "-m", "lakehouse.runner", *args]
    proc = subprocess.run(argv, cwd=ROOT, env=env, text=True, check=False,
                          stdout=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        raise Exit(f"lakehouse.runner {' '.join(args)} failed (exit {proc.returncode})", code=proc.returncode)
    return proc.stdout or ""


def _describe(env: dict[str, str] | None = None, backend: str = "embedded") -> PlatformContract:
    """The platform's contract; ``backend="compose"`` also writes its Compose file (images must be built)."""
    extra = ("--backend", backend) if backend != "embedded" else ()
    return PlatformContract.from_mapping(json.loads(_platform("describe", "--json", *extra, env=env, capture=True)))


def _contract_file(backend: str = "embedded", env: dict[str, str] | None = None) -> Path:
    """Where ``describe`` saved the contract (suites and pytest read that file)."""
    return _state_dir(env) / ("contract.json" if backend == "embedded" else f"contract-{backend}.json")


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise Exit(f"unknown backend '{backend}': expected one of {', '.join(BACKENDS)}", code=2)
    return backend


def _compose(env: dict[str, str] | None = None, describe: bool = True):
    """The toolkit's Compose backend (docker SDK) for this instance's generated Compose file."""
    from PlatformLibrary.backends import backend_for

    path = _contract_file("compose", env)
    contract = _describe(env, "compose") if describe or not path.exists() else PlatformContract.load(path)
    return backend_for(contract)


def _engine(action: str, env: dict[str, str] | None = None) -> str:
    """``stop`` the Docker daemon this project started (never one it did not), or ``snapshot`` the host network
    (JSON: ip_forward, links, iptables rules, docker mounts)."""
    return _platform_module("lakehouse.provision.docker", action, "--json", env=env)


def _platform_module(module: str, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([_platform_python(env), "-m", module, *args], cwd=ROOT, env=env, text=True,
                          check=False, stdout=subprocess.PIPE)
    if proc.returncode != 0:
        raise Exit(f"{module} {' '.join(args)} failed (exit {proc.returncode})", code=proc.returncode)
    return proc.stdout


def _profiles_with_deps(profiles: list[str], contract: PlatformContract | None = None) -> list[str]:
    return profiles_of(closure((contract or _describe()).service_catalogue(), profiles))


@task(iterable=["profile"], help={"profile": "profile to provision (repeatable); default: all with services",
                                  "backend": "compose: also the Docker engine, Compose CLI, daemon and images"})
def provision(c: Context, profile: list[str] | None = None, backend: str = "embedded") -> None:
    """Install what the profiles need into the state dir (idempotent, cached)."""
    args = [a for p in profile or [] for a in ("--profile", p)]
    if _check_backend(backend) != "embedded":
        args += ["--backend", backend]
    c.run(" ".join([sys.executable, "-m", "lakehouse.provision", *args]))


def _provision(profiles: list[str], env: dict[str, str] | None = None, backend: str = "embedded") -> None:
    args = [a for p in profiles for a in ("--profile", p)]
    if backend != "embedded":
        args += ["--backend", backend]
    subprocess.run([sys.executable, "-m", "lakehouse.provision", *args], cwd=ROOT, env=env, check=True)


def _up(c: Context, profiles: list[str], env: dict[str, str] | None = None, backend: str = "embedded") -> dict:
    """Provision what is missing (fast when done), then start the profiles and wait until ready."""
    _provision(profiles, env, backend)
    if backend == "compose":
        from dataclasses import asdict

        return asdict(_compose(env).up(profiles))
    args = [a for p in profiles for a in ("--profile", p)]
    return json.loads(_platform("up", *args, "--json", env=env, capture=True))


def _running(profiles: list[str], backend: str = "embedded") -> set[str]:
    """Services running now (after provisioning, so the platform's CLI has its environment)."""
    _provision(profiles, backend=backend)
    if backend == "compose":
        return {s.name for s in _compose().status() if s.state == "RUNNING"}
    return {s["name"] for s in json.loads(_platform("status", "--json", capture=True)) if s["state"] == "RUNNING"}


def _down(backend: str = "embedded", env: dict[str, str] | None = None) -> None:
    if backend == "compose":
        if _contract_file("compose", env).exists():
            _compose(env, describe=False).down()
        stopped = json.loads(_engine("stop", env) or "{}").get("stopped")
        _say("docker: stopped the daemon ./lh started" if stopped else "docker: daemon left as it was (not ours)")
    else:
        _platform("down", env=env)


BACKEND_HELP = "embedded (local processes, default) or compose (Docker Compose, images built locally)"


@task(iterable=["profile"], help={"profile": "profile to start (repeatable); dependencies are followed",
                                  "backend": BACKEND_HELP})
def up(c: Context, profile: list[str] | None = None, backend: str = "embedded") -> None:
    """Start profiles (default: core) and wait until every service is ready."""
    profiles = _profiles_with_deps(profile or ["core"])
    report = _up(c, profiles, backend=_check_backend(backend))
    _say(f"up ({backend}): {', '.join(profiles)} ready in {report['seconds']:.1f} s "
         f"(started {', '.join(report['started']) or 'nothing'}; already running {len(report['already_running'])})")


@task(help={"backend": BACKEND_HELP})
def down(c: Context, backend: str = "embedded") -> None:
    """Stop every service and the supervisor (compose: every container, then a Docker daemon it started)."""
    _down(_check_backend(backend))
    _say(f"down ({backend}): platform stopped")


@task(help={"backend": BACKEND_HELP})
def status(c: Context, backend: str = "embedded") -> None:
    """Table of service, profile, state, pid, RSS, budget, uptime and restarts."""
    if _check_backend(backend) == "compose":
        for st in _compose(describe=False).status():
            rss = f"{st.rss_bytes / 2**20:.0f}" if st.rss_bytes else "-"
            print(f"{st.name:24} {st.profile:22} {st.state:12} {st.pid or '-':>7} {rss:>8} "
                  f"{st.memory_budget_mb or '-':>7} restarts {st.restarts}")
        return
    _platform("status")


@task(help={"lines": "number of lines (default 100)", "backend": BACKEND_HELP})
def logs(c: Context, service: str, lines: int = 100, backend: str = "embedded") -> None:
    """Print the tail of a service's log."""
    if _check_backend(backend) == "compose":
        print(_compose(describe=False).log_tail(service, lines))
        return
    _platform("logs", service, "--lines", str(lines))


def _suite_profiles(paths: list[str]) -> list[str]:
    from PlatformLibrary.profiles import profiles_for_suites

    return profiles_for_suites([str(ROOT / p) for p in paths])


def _robot_env(contract_file: Path) -> dict[str, str]:
    return {**os.environ, "LH_CONTRACT_FILE": str(contract_file)}


def _run_suites(c: Context, paths: list[str], outputdir: Path, processes: int, extra: list[str],
                env: dict[str, str], phases: dict[str, float] | None = None) -> int:
    """Run suites in two phases and merge them into one log.

    1. pabot runs everything not tagged ``serial`` in parallel;
    2. tests tagged ``serial`` (they restart or kill shared services) run alone, one at a time.
    ``rebot --merge`` then writes output.xml, log.html and report.html into ``outputdir``.
    Each phase's wall seconds go into ``phases`` (and are printed).
    """
    phases = {} if phases is None else phases
    outputdir.mkdir(parents=True, exist_ok=True)
    for old in ("output.xml", "log.html", "report.html"):
        (outputdir / old).unlink(missing_ok=True)
    # One root name for both phases: several paths otherwise give roots that rebot cannot merge.
    common = ["--name", "Suites", "--loglevel", "DEBUG:INFO", *extra]
    parallel, serial = outputdir / "parallel", outputdir / "serial"
    started = time.monotonic()
    c.run(" ".join(["pabot", "--pabotlib", "--pabotlibport", "0", "--processes", str(processes),
                    "--artifactsinsubfolders", "--outputdir", str(parallel), "--exclude", "serial",
                    "--runemptysuite", *common, *paths]), warn=True, pty=False, env=env)
    phases["parallel"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    c.run(" ".join(["robot", "--outputdir", str(serial), "--include", "serial", "--runemptysuite",
                    "--log", "NONE", "--report", "NONE", *common, *paths]), warn=True, pty=False, env=env)
    phases["serial"] = round(time.monotonic() - started, 1)
    _say(f"suites: parallel phase {phases['parallel']:.0f} s, serial phase {phases['serial']:.0f} s")
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
        "backend": BACKEND_HELP,
    },
)
def run(c: Context, suite: list[str] | None = None, keep: bool = False, processes: int = 2,
        include: list[str] | None = None, exclude: list[str] | None = None, backend: str = "embedded") -> None:
    """Main job: provision, start the profiles the suites need, run them with pabot -> results/log.html."""
    paths = suite or ["suites"]
    contract = _describe()
    profiles = _profiles_with_deps(_suite_profiles(paths), contract)
    _say(f"suites {' '.join(paths)} need profiles: {', '.join(profiles)} (backend {_check_backend(backend)})")
    before = _running(profiles, backend)
    extra = [f"--include {i}" for i in include or []] + [f"--exclude {e}" for e in exclude or []]
    # Tests that need one backend's own facilities say so with a `backend:<name>` tag.
    extra += ["--exclude", "backend:compose" if backend == "embedded" else f"backend:{EMBEDDED_ONLY}"]
    try:  # a failed start stops what it started too (unless --keep, to look at it)
        report = _up(c, profiles, backend=backend)
        _say(f"platform ready in {report['seconds']:.1f} s")
        rc = _run_suites(c, paths, RESULTS, processes, extra, _robot_env(_describe_to_file(backend)))
    finally:
        _stop_unless_kept(keep, before, backend)
    _say(f"log: {RESULTS / 'log.html'}  report: {RESULTS / 'report.html'}")
    if rc != 0:
        raise Exit(f"suites failed (exit {rc})", code=rc)


def _describe_to_file(backend: str = "embedded") -> Path:
    """``describe`` writes the contract to <state>/contract[-<backend>].json; suites and pytest read that file."""
    _describe(backend=backend)
    return _contract_file(backend)


def _stop_unless_kept(keep: bool, running_before: set[str], backend: str = "embedded") -> None:
    if keep:
        _say(f"platform left running (--keep); stop it with ./lh down --backend {backend}")
    elif not running_before:
        _down(backend)
        _say("platform stopped")
    else:
        _say(f"the platform was already running ({len(running_before)} services); left as it was, "
             "plus what this run started")


@task
def lint(c: Context) -> None:
    """ruff and robocop (check + format --check)."""
    c.run("ruff check contract lhcommon lakehouse libraries variables tests benchmarks tasks.py")
    c.run("robocop check suites resources")
    c.run("robocop format --check --diff suites resources")


@task
def docs(c: Context) -> None:
    """Build libdoc HTML for every library into docs/libdoc/."""
    out = ROOT / "docs" / "libdoc"
    out.mkdir(parents=True, exist_ok=True)
    for lib in LIBRARIES:
        c.run(f"{sys.executable} -m robot.libdoc {lib} {out / (lib + '.html')}")


def _pytest(c: Context, *args: str, python: str = sys.executable, env: dict[str, str] | None = None) -> bool:
    return c.run(" ".join([python, "-m", "pytest", "-q", *args]), warn=True, env=env).exited == 0


@task
def test(c: Context) -> None:
    """The project's own tests (CI): lint, unit tests, dry-run, libdoc, library tests, every suite against
    the embedded platform, the foundation and Bronze suites against a second instance as an external target,
    then the platform on the Compose backend (``./lh compose``)."""
    started = time.monotonic()
    lint(c)
    c.run(f"{sys.executable} -m pytest -q -p no:cacheprovider tests/unit")
    c.run("robot --dryrun --output NONE --report NONE --log NONE suites")
    docs(c)
    contract = _describe()
    profiles = _profiles_with_deps([*_suite_profiles(["suites"]), "core"], contract)
    network = _engine("snapshot")  # before any Docker daemon of ours: the Compose run must leave it so
    before = _running(profiles)
    failures = []
    try:  # a failed start stops what it started too
        # The Compose backend's engine, daemon and images first: its library tests (tests/integration) use them.
        _provision(_profiles_with_deps(_suite_profiles(list(COMPOSE_RUN_SUITES)), contract), backend="compose")
        report = _up(c, profiles)
        _say(f"platform ({', '.join(profiles)}) ready in {report['seconds']:.1f} s")
        env = _robot_env(_describe_to_file())
        if not _pytest(c, "tests/platform", python=_platform_python()):
            failures.append("pytest tests/platform (in the platform environment)")
        if not _pytest(c, "tests/integration", env=env):
            failures.append("pytest tests/integration")
        if _run_suites(c, ["suites"], RESULTS, 2, ["--exclude", "backend:compose"], env) != 0:
            failures.append("robot suites")
        if not _external_target_run(c):
            failures.append("foundation and Bronze suites against the second instance (external target)")
    finally:
        # The Compose run below uses the same ports: the embedded platform must be down for it.
        _stop_unless_kept(False, before)
    if before:
        failures.append("the Compose run: the embedded platform was already running and holds its ports "
                        "(stop it with ./lh down, or run ./lh compose on its own)")
    else:
        failures += _compose_run(c, network)
    leaks = _secret_leaks(contract)
    if leaks:
        failures.append("secrets found in " + ", ".join(leaks))
    _say(f"test finished in {time.monotonic() - started:.0f} s")
    if failures:
        raise Exit("FAILED: " + "; ".join(failures), code=1)


@task
def compose(c: Context) -> None:
    """Run the Compose backend's share of `./lh test`: provision Docker and the images, start the profiles
    in containers, run the foundation, Bronze, streaming-recovery, Silver/Gold and Airflow suites, stop
    the containers and a Docker daemon this started, and check the host network is as it was."""
    failures = _compose_run(c, _engine("snapshot"))
    if failures:
        raise Exit("FAILED: " + "; ".join(failures), code=1)


def _compose_run(c: Context, network_before: str) -> list[str]:
    """The Compose phase: start the profiles in containers, run COMPOSE_RUN_SUITES, then stop the containers
    and the Docker daemon this started, and compare the host network with ``network_before``."""
    failures: list[str] = []
    started = time.monotonic()
    try:
        profiles = _profiles_with_deps(_suite_profiles(list(COMPOSE_RUN_SUITES)))
        report = _up(c, profiles, backend="compose")
        _say(f"compose: {', '.join(profiles)} healthy in {report['seconds']:.1f} s")
        env = _robot_env(_contract_file("compose"))
        if _run_suites(c, list(COMPOSE_RUN_SUITES), RESULTS / "compose", 2,
                       ["--exclude", f"backend:{EMBEDDED_ONLY}"], env) != 0:
            failures.append("suites on the Compose backend")
    finally:
        _down("compose")
    after = _engine("snapshot")
    if json.loads(network_before) != json.loads(after):
        failures.append(f"the host network changed: before {network_before.strip()} after {after.strip()}")
    else:
        _say("compose: Docker daemon stopped; the host network is as it was")
    _say(f"compose run finished in {time.monotonic() - started:.0f} s")
    return failures


def _second_instance_env() -> dict[str, str]:
    """A second embedded instance sharing the provisioned artefacts: own state dir, ports, topics, buckets."""
    state = _instance_dir("second-instance")
    from lakehouse.settings import Settings  # stdlib only: where the main instance's ports are

    ports = Settings.load().ports
    env = {**os.environ, "LH_STATE_DIR": str(state), **SECOND_INSTANCE}
    env.update({f"LH_PORT_{k.upper()}": str(v + SECOND_PORT_OFFSET) for k, v in ports.items()})
    return env


@task
def external(c: Context) -> None:
    """Start a second instance (other ports, topic prefix, buckets) and run the foundation and Bronze
    suites against it through the external target only; stop it afterwards."""
    if not _external_target_run(c):
        raise Exit("suites failed against the external target", code=1)


def _external_target_run(c: Context) -> bool:
    env = _second_instance_env()
    outputdir = RESULTS / "external"
    try:
        _up(c, ["core", "data-platform"], env=env)
        own = _describe(env)
        # What a user would write for their own platform: names, endpoints, credentials. No services,
        # no lifecycle command: the toolkit derives the probes from the endpoints.
        external_contract = own.as_external(
            name="second-instance", services=(),
            airflow_url="", airflow_user="", airflow_password="", dbt_command=(), dbt_project_dir="",
            dbt_profiles_dir="", dbt_lock_file="", streaming_checkpoint="")
        path = external_contract.save(_state_dir(env) / "external-contract.json")
        _say(f"second instance up: topics '{own.topic_prefix}*', buckets {dict(own.buckets)}, "
             f"kafka {own.kafka_bootstrap}; contract {path}")
        robot_env = {k: v for k, v in os.environ.items() if not k.startswith("LH_PORT_")}
        robot_env["LH_CONTRACT_FILE"] = str(path)
        # Left out: lifecycle tests, tests of the embedded backend's own facilities (e.g. its sockets
        # in /proc), tests that disturb shared services, and the profiles the second instance lacks.
        absent = (MANAGED_ONLY_TAG, f"backend:{EMBEDDED_ONLY}", "serial", *EXTERNAL_RUN_ABSENT)
        rc = c.run(" ".join(["robot", "--outputdir", str(outputdir), "--loglevel", "DEBUG:INFO",
                             "--variablefile", "variables/external.py", *(a for t in absent for a in ("--exclude", t)),
                             *EXTERNAL_RUN_SUITES]), warn=True, env=robot_env).exited
        leaks = _secret_leaks(own, outputdir)
        if leaks:
            _say("secrets found in " + ", ".join(leaks))
        return rc == 0 and not leaks
    finally:
        subprocess.run([_platform_python(env), "-m", "lakehouse.runner", "down"], cwd=ROOT, env=env, check=False)
        shutil.rmtree(_state_dir(env), ignore_errors=True)


def _secret_leaks(contract: PlatformContract, where: Path = RESULTS) -> list[str]:
    """Files under ``where`` that contain one of the platform's secrets in clear text."""
    values = [v for v in (getattr(contract, k) for k in SECRET_FIELDS) if v]
    leaks = []
    for path in where.rglob("*"):
        if path.is_file() and path.suffix in (".xml", ".html", ".txt", ".out", ".log", ".json"):
            text = path.read_text(errors="replace")
            if any(v in text for v in values):
                leaks.append(str(path.relative_to(ROOT)))
    return leaks


@task(
    iterable=["suite"],
    help={
        "runs": "full runs on one platform, started once (default 10; 0: only the --fresh runs)",
        "fresh": "further full runs, each on a fresh platform: a new state dir, started from nothing (default 0)",
        "suite": "suite path(s) under suites/ (default: all)",
        "processes": "pabot processes (default 2)",
    },
)
def soak(c: Context, runs: int = 10, fresh: int = 0, suite: list[str] | None = None, processes: int = 2) -> None:
    """Run the whole suite again and again and write results/soak/soak.{md,json}: every test's status and
    duration in every run, and where each run's time went. Fails unless every run was green."""
    from tests import soak as table

    paths = suite or ["suites"]
    profiles = _profiles_with_deps(_suite_profiles(paths))
    where = RESULTS / "soak"
    shutil.rmtree(where, ignore_errors=True)
    done: list = []
    extra = ["--exclude", "backend:compose"]

    def one(number: int, platform: str, env: dict[str, str], bring_up: float) -> None:
        started, phases = time.monotonic(), {}
        outputdir = where / f"run-{number}"
        contract = _describe(env)
        rc = _run_suites(c, paths, outputdir, processes, extra, _robot_env(_contract_file(env=env)), phases)
        done.append(table.SoakRun(number, platform, round(bring_up, 1), phases,
                                  round(bring_up + time.monotonic() - started, 1), rc,
                                  table.tests_of(outputdir / "output.xml")))
        table.record(done, where)
        leaks = _secret_leaks(contract, outputdir)
        _say(f"soak run {number} ({platform}): exit {rc}, {done[-1].passed} passed, {done[-1].failed} failed"
             + (f"; SECRETS in {', '.join(leaks)}" if leaks else ""))

    if _running(profiles):
        raise Exit("the platform is running: stop it first (./lh down); the soak starts its own", code=2)
    if runs:
        try:
            started = time.monotonic()
            _up(c, profiles)
            bring_up = time.monotonic() - started
            for number in range(1, runs + 1):
                one(number, "same", dict(os.environ), bring_up if number == 1 else 0.0)
        finally:
            _down()
    for number in range(runs + 1, runs + fresh + 1):
        env = _fresh_instance_env(f"soak-fresh-{number}")
        try:
            started = time.monotonic()
            _up(c, profiles, env=env)
            one(number, "fresh", env, time.monotonic() - started)
        finally:
            _down(env=env)
            shutil.rmtree(_state_dir(env), ignore_errors=True)
    green = sum(r.green for r in done)
    _say(f"soak: {green} of {len(done)} runs green; table {where / 'soak.md'}")
    if green != len(done):
        raise Exit(f"soak: {len(done) - green} of {len(done)} runs failed; see {where / 'soak.md'}", code=1)


def _fresh_instance_env(name: str) -> dict[str, str]:
    """A brand-new state dir on the main instance's ports: nothing but the provisioned artefacts."""
    return {**os.environ, "LH_STATE_DIR": str(_instance_dir(name, fresh=True))}


def _instance_dir(name: str, fresh: bool = False) -> Path:
    """A state dir of another instance under the main one, sharing its toolkit venv and provisioned artefacts."""
    main = _state_dir()
    state = main / name
    if fresh:
        shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True, exist_ok=True)
    for link in ("venv", "artifacts"):
        if not (state / link).exists():
            (state / link).symlink_to(main / link)
    return state


@task(help={"name": "benchmark module under benchmarks/ (default: all)"})
def bench(c: Context, name: str = "") -> None:
    """Run benchmarks; each prints figures and writes results/benchmarks/<name>.json."""
    names = [name] if name else sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
    for n in names:
        c.run(f"{sys.executable} -m benchmarks.{n}", env=_robot_env(_describe_to_file()))


@task(iterable=["name"], help={"name": "mutation to run (repeatable; default: all)"})
def mutate(c: Context, name: list[str] | None = None) -> None:
    """Break the platform on purpose, one mutation at a time, and require the named test to fail."""
    args = [a for n in name or [] for a in ("--name", n)]
    env = _robot_env(_describe_to_file())
    if c.run(" ".join([sys.executable, "-m", "tests.faults.mutations", *args]), warn=True, env=env).exited != 0:
        raise Exit("some mutations were not caught by their tests", code=1)


ns = Collection(provision, up, down, status, logs, run, test, external, compose, soak, lint, docs, bench,
                mutate)
ns.configure({"run": {"echo": True}})
os.environ.setdefault("LH_STATE_DIR", str(ROOT / ".state"))
