"""Library tests run against the REAL platform, reached through its contract like any user's lakehouse.

Mark a module with ``pytestmark = pytest.mark.profiles("core", ...)``. Before the first such
test, the union of the selected tests' profiles is started through the platform's lifecycle
CLI (idempotent: running services are reused), and ``LH_CONTRACT_FILE`` points the libraries
at the platform's published contract. Nothing here is mocked, and nothing imports the
reference lakehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract.platform import PlatformContract, closure, profiles_of
from tests.faults.cli import ROOT, platform_cli


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "profiles(*names): platform profiles the test needs")


@pytest.fixture(scope="session")
def target() -> PlatformContract:
    """The embedded platform's contract; also exported as ``LH_CONTRACT_FILE`` for the libraries."""
    contract = PlatformContract.from_mapping(json.loads(platform_cli("describe", "--json")))
    state = Path(os.environ.get("LH_STATE_DIR", ROOT / ".state"))
    os.environ["LH_CONTRACT_FILE"] = str(state / "contract.json")
    return contract


@pytest.fixture(scope="session")
def platform(request: pytest.FixtureRequest, target: PlatformContract) -> PlatformContract:
    wanted: set[str] = set()
    for item in request.session.items:
        for mark in item.iter_markers("profiles"):
            wanted.update(mark.args)
    profiles = profiles_of(closure(target.service_catalogue(), wanted or {"core"}))
    args = [a for p in profiles for a in ("--profile", p)]
    # Install what is missing first (fast when done), as ./lh up does.
    subprocess.run([sys.executable, "-m", "lakehouse.provision", *args], cwd=ROOT, check=True)
    platform_cli("up", *(a for p in profiles for a in ("--profile", p)), "--json")
    return target


@pytest.fixture(autouse=True)
def _platform_up(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("profiles"):
        request.getfixturevalue("platform")
