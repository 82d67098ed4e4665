"""Mutation-style checks: break one core service after suite setup and require that the
foundation suites FAIL, naming what is wrong. A suite that stays green here is broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

from contract.platform import PlatformContract
from tests.faults.cli import platform_cli

pytestmark = pytest.mark.profiles("core")

ROOT = Path(__file__).resolve().parents[2]
FOUNDATION = ROOT / "suites" / "01_foundation"

CASES = {
    # service stopped -> (suite file, test that must fail, text its message must contain)
    "kafka": ("kafka_broker.robot", "Broker Answers Metadata Requests", "kafka_bootstrap"),
    "schema-registry": ("schema_registry.robot", "Domain Subjects Are Registered With Their Contracts", "trips-value"),
    "s3": ("object_store.robot", "S3 Round Trip Works", "bronze"),
}


@pytest.mark.parametrize("service", list(CASES))
def test_foundation_fails_when_service_is_down(platform: PlatformContract, service: str, tmp_path: Path) -> None:
    suite, must_fail, mentions = CASES[service]
    if mentions == "kafka_bootstrap":
        mentions = platform.kafka_bootstrap
    try:
        subprocess.run(
            [sys.executable, "-m", "robot", "--listener", f"{ROOT / 'tests/faults/StopServiceListener.py'}:{service}",
             "--outputdir", str(tmp_path),
             "--report", "NONE", "--log", "NONE",
             str(FOUNDATION / "core_services.robot"), str(FOUNDATION / suite)],
            capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
        )
        result = ExecutionResult(str(tmp_path / "output.xml"))
        tests = {t.name: t for t in result.suite.all_tests}
        health = tests["All Core Services Are Healthy"]
        assert health.status == "FAIL", "health check stayed green with a service down"
        assert f"'{service}'" in health.message
        target = tests[must_fail]
        assert target.status == "FAIL", f"'{must_fail}' stayed green with {service} down"
        assert mentions in target.message, target.message
    finally:
        platform_cli("up", "--profile", "core", "--json")
