"""The soak table: every test's status and duration in each full run of the suites (``./lh soak``).

``./lh soak`` runs the whole suite repeatedly, on one platform and on fresh ones, and calls
:func:`record` after each run. The table is rewritten after every run, so a soak stopped half-way
still leaves what it measured:

- ``results/soak/soak.json``: the runs (platform, bring-up and phase seconds, exit code) and, per
  run, every test's status, seconds and failure message;
- ``results/soak/soak.md``: one row per test, one column per run (``P 12.3`` / ``F 4.5``), then
  the failures with their messages, and one line per run with where its time went.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from robot.api import ExecutionResult


@dataclass
class TestRun:
    status: str
    seconds: float
    message: str = ""


@dataclass
class SoakRun:
    number: int
    platform: str  # "same" (the platform every run shares) or "fresh" (a new state dir, started from nothing)
    bring_up_seconds: float
    phases: dict[str, float]  # wall seconds of the parallel and serial phases
    seconds: float  # the whole run, bring-up included
    exit_code: int
    tests: dict[str, TestRun] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(t.status == "PASS" for t in self.tests.values())

    @property
    def failed(self) -> int:
        return sum(t.status == "FAIL" for t in self.tests.values())

    @property
    def green(self) -> bool:
        return self.exit_code == 0 and self.failed == 0 and self.passed > 0


def tests_of(output_xml: Path) -> dict[str, TestRun]:
    """Each test's status, seconds and message from a (merged) Robot output.xml, by long name."""
    result = ExecutionResult(str(output_xml))
    return {
        t.full_name: TestRun(t.status, round(t.elapsed_time.total_seconds(), 1), t.message[:500])
        for t in result.suite.all_tests
    }


def load(path: Path) -> list[SoakRun]:
    if not path.exists():
        return []
    runs = []
    for raw in json.loads(path.read_text())["runs"]:
        tests = {k: TestRun(**v) for k, v in raw.pop("tests").items()}
        runs.append(SoakRun(**raw, tests=tests))
    return runs


def record(runs: list[SoakRun], where: Path) -> str:
    """Write soak.json and soak.md under ``where``; return the markdown."""
    where.mkdir(parents=True, exist_ok=True)
    summary = {
        "runs": [asdict(r) for r in runs],
        "green_runs": sum(r.green for r in runs),
        "total_runs": len(runs),
        "flaky_tests": sorted(flaky(runs)),
    }
    (where / "soak.json").write_text(json.dumps(summary, indent=2))
    text = markdown(runs)
    (where / "soak.md").write_text(text)
    return text


def flaky(runs: list[SoakRun]) -> set[str]:
    """Tests that did not pass in every run they ran in."""
    return {name for r in runs for name, t in r.tests.items() if t.status != "PASS"}


def markdown(runs: list[SoakRun]) -> str:
    names = sorted({n for r in runs for n in r.tests})
    head = "| Test | " + " | ".join(f"{r.number} ({r.platform})" for r in runs) + " |"
    lines = [
        f"# Soak: {sum(r.green for r in runs)} of {len(runs)} full runs green",
        "",
        "| Run | Platform | Exit | Passed | Failed | Bring-up s | "
        + " | ".join(f"{p} s" for p in _phase_names(runs))
        + " | Whole run s |",
        "|---" * (7 + len(_phase_names(runs))) + "|",
    ]
    for r in runs:
        phases = " | ".join(f"{r.phases.get(p, 0):.0f}" for p in _phase_names(runs))
        lines.append(
            f"| {r.number} | {r.platform} | {r.exit_code} | {r.passed} | {r.failed} | "
            f"{r.bring_up_seconds:.0f} | {phases} | {r.seconds:.0f} |"
        )
    lines += ["", head, "|---" * (len(runs) + 1) + "|"]
    for name in names:
        cells = []
        for r in runs:
            t = r.tests.get(name)
            cells.append("-" if t is None else f"{t.status[0]} {t.seconds:.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    failures = [(r.number, n, t) for r in runs for n, t in r.tests.items() if t.status != "PASS"]
    lines += ["", f"## Failures ({len(failures)})", ""]
    lines += [f"- run {number}: **{name}** {t.status}: {t.message}" for number, name, t in failures] or ["none"]
    return "\n".join(lines) + "\n"


def _phase_names(runs: list[SoakRun]) -> list[str]:
    seen: list[str] = []
    for r in runs:
        seen += [p for p in r.phases if p not in seen]
    return seen
