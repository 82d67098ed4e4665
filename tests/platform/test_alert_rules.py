"""The monitoring profile's alert rules, unit-tested with ``promtool test rules`` (Debian's prometheus package,
installed by ``python -m lakehouse.provision --profile monitoring``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.provision.monitoring import BINARIES

MONITORING = Path(__file__).resolve().parents[2] / "lakehouse" / "monitoring"
RULES = sorted((MONITORING / "rules").glob("*.yml"))
TESTS = sorted((MONITORING / "tests").glob("*_test.yml"))


def promtool() -> str:
    found = shutil.which("promtool") or (BINARIES["promtool"] if Path(BINARIES["promtool"]).exists() else None)
    if found is None:
        pytest.fail("promtool is missing: run python -m lakehouse.provision --profile monitoring")
    return found


def test_there_are_rules_and_rule_tests() -> None:
    assert RULES, f"no rule files in {MONITORING / 'rules'}"
    assert TESTS, f"no promtool test files in {MONITORING / 'tests'}"


def test_rule_files_are_valid() -> None:
    result = subprocess.run([promtool(), "check", "rules", *map(str, RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", TESTS, ids=lambda p: p.name)
def test_promtool_rule_tests_pass(test_file: Path) -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", str(test_file)], capture_output=True, text=True, cwd=test_file.parent
    )
    assert result.returncode == 0, f"promtool test rules {test_file.name} failed:\n{result.stdout}{result.stderr}"


def test_every_alert_has_a_promtool_test() -> None:
    import yaml

    alerts = {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for path in TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert alerts - tested == set(), f"alerts without a promtool test: {sorted(alerts - tested)}"
