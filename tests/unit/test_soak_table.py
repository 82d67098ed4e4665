"""The soak table from real Robot output: statuses, durations, failures and the green count."""

from __future__ import annotations

import json
import re
from pathlib import Path

import robot

from tests import soak


def _output(tmp_path: Path, name: str, second_passes: bool) -> Path:
    (tmp_path / name).mkdir()
    suite = tmp_path / name / "Suite.robot"  # one suite name in every run, as in a soak
    suite.write_text(
        "*** Test Cases ***\n"
        "Steady\n    Log    fine\n"
        f"Wobbly\n    Should Be True    {second_passes}    the wobble came back\n"
    )
    out = tmp_path / name / "output.xml"
    robot.run(str(suite), output=str(out), log="NONE", report="NONE", stdout=open("/dev/null", "w"))
    return out


def test_table_names_each_run_and_failure(tmp_path: Path) -> None:
    runs = [
        soak.SoakRun(
            1,
            "same",
            80.0,
            {"parallel": 100.0, "serial": 50.0},
            230.0,
            0,
            soak.tests_of(_output(tmp_path, "one", True)),
        ),
        soak.SoakRun(
            2,
            "fresh",
            120.0,
            {"parallel": 90.0, "serial": 40.0},
            250.0,
            1,
            soak.tests_of(_output(tmp_path, "two", False)),
        ),
    ]
    text = soak.record(runs, tmp_path / "soak")

    assert text.startswith("# Soak: 1 of 2 full runs green")
    assert "| 2 | fresh | 1 | 1 | 1 | 120 | 90 | 40 | 250 |" in text
    assert re.search(r"^\| Suite\.Steady \| P \d+\.\d \| P \d+\.\d \|$", text, re.M)
    assert re.search(r"^\| Suite\.Wobbly \| P \d+\.\d \| F \d+\.\d \|$", text, re.M)
    assert "run 2: **Suite.Wobbly** FAIL: the wobble came back" in text
    for table in re.findall(r"(?:^\|.*\|\n)+", text, re.M):  # a Markdown table needs as many cells per row
        rows = table.splitlines()
        assert {row.count("|") for row in rows} == {rows[0].count("|")}, table
    data = json.loads((tmp_path / "soak" / "soak.json").read_text())
    assert (data["green_runs"], data["total_runs"], data["flaky_tests"]) == (1, 2, ["Suite.Wobbly"])
    assert [r.number for r in soak.load(tmp_path / "soak" / "soak.json")] == [1, 2]
