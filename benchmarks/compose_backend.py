"""The Compose backend next to the embedded one: start-up to healthy, and the same suites' wall time.

    python -m benchmarks.compose_backend [--rounds 3] [--no-suites] [--profile P ...]

Needs the Compose backend provisioned (``./lh provision --backend compose``: engine, daemon, images) and
nothing of this instance running (both backends use the same ports). Not a timed test. In order:

1. embedded: every profile from stopped to ready (``lakehouse.runner up``), then the suites, then ``down``;
2. Compose: the ``core`` profile from no containers to healthy, ``rounds`` times (``down`` between), then
   every profile from no containers, then the same suites, then ``down``.

Both start from the same data directories (warm: topics, buckets, metadata DBs exist), so the figures
compare the runners, not first-time initialisation. The suites are run with ``robot`` (one process,
``--exclude serial``) against ``variables/embedded.py`` and ``variables/compose.py``; the ratio is
Compose / embedded. Prints the figures and writes results/benchmarks/compose_backend.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._lifecycle import ROOT, write_results
from contract.lifecycle import PlatformBackend
from contract.platform import PROFILES, PlatformContract
from PlatformLibrary.backends import backend_for

SUITES = ("suites/01_foundation/core_services.robot", "suites/01_foundation/kafka_broker.robot",
          "suites/01_foundation/object_store.robot", "suites/01_foundation/schema_registry.robot",
          "suites/02_data_flows/bronze_ingestion.robot", "suites/02_data_flows/silver_gold.robot")


def _state() -> Path:
    return Path(os.environ.get("LH_STATE_DIR", ROOT / ".state"))


def _platform(*args: str, timeout: float = 1200) -> str:
    python = _state() / "artifacts" / "platform-venv" / "bin" / "python"
    proc = subprocess.run([str(python), "-m", "lakehouse.runner", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"lakehouse.runner {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def _contract(backend: str) -> PlatformContract:
    extra = ("--backend", backend) if backend != "embedded" else ()
    return PlatformContract.from_mapping(json.loads(_platform("describe", "--json", *extra)))


def _suites(variables: str, outdir: Path) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "robot", "-V", variables, "--exclude", "serial", "--outputdir",
                           str(outdir), "--log", "NONE", "--report", "NONE", "--console", "dotted", *SUITES],
                          cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.monotonic() - started
    tail = proc.stdout.strip().splitlines()[-6:]
    return {"seconds": round(seconds, 1), "rc": proc.returncode, "summary": " ".join(t.strip() for t in tail)[:300]}


def _all_profiles_then_suites(name: str, backend: PlatformBackend, profiles: list[str], suites: bool,
                              out: dict[str, Any], workdir: Path) -> None:
    """Every profile from no running service to ready (``<name>_all_up_s``), then the suites (``<name>_suites``)."""
    t0 = time.monotonic()
    report = backend.up(profiles)
    out[f"{name}_all_up_s"] = round(time.monotonic() - t0, 1)
    out[f"{name}_ready_after_s"] = report.ready_after
    print(f"{name}: {', '.join(profiles)} ready in {out[f'{name}_all_up_s']} s", flush=True)
    if suites:
        out[f"{name}_suites"] = _suites(f"variables/{name}.py", workdir / name)
        print(f"{name} suites: {out[f'{name}_suites']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compose_backend", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="core up rounds on Compose (default 3)")
    parser.add_argument("--no-suites", action="store_true", help="start-up figures only")
    parser.add_argument("--profile", action="append", default=None, help="profiles for 'all' (default: every one)")
    args = parser.parse_args(argv)
    profiles = args.profile or list(PROFILES)
    out: dict[str, Any] = {"profiles": profiles, "suites": list(SUITES)}
    workdir = ROOT / "results" / "benchmarks" / "compose_backend"

    embedded = backend_for(_contract("embedded"))
    compose = backend_for(_contract("compose"))
    compose.down()
    embedded.down()
    _all_profiles_then_suites("embedded", embedded, profiles, not args.no_suites, out, workdir)
    embedded.down()

    core = []
    for _ in range(args.rounds):
        compose.down()
        t0 = time.monotonic()
        compose.up(["core"])
        core.append(time.monotonic() - t0)
        print(f"compose: core healthy in {core[-1]:.1f} s", flush=True)
    out["compose_core_up_s"] = {"runs": [round(v, 1) for v in core], "median": round(statistics.median(core), 1)}
    compose.down()
    _all_profiles_then_suites("compose", compose, profiles, not args.no_suites, out, workdir)
    if not args.no_suites:
        out["suite_wall_ratio_compose_over_embedded"] = round(
            out["compose_suites"]["seconds"] / out["embedded_suites"]["seconds"], 2)
    out["all_up_ratio_compose_over_embedded"] = round(out["compose_all_up_s"] / out["embedded_all_up_s"], 2)
    compose.down()
    path = write_results("compose_backend", out)
    print(json.dumps(out, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
