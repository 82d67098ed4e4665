"""Integration tests run against the REAL platform, started by the embedded runner.

Mark a module with ``pytestmark = pytest.mark.profiles("core", ...)``. Before the
first test, the union of all selected tests' profiles is started (idempotent:
running services are reused). Nothing here is mocked.
"""

from __future__ import annotations

import pytest

from lakehouse.catalogue import all_services, closure, profiles_of
from lakehouse.runner.embedded import EmbeddedBackend
from lakehouse.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "profiles(*names): platform profiles the test needs")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="session")
def platform(request: pytest.FixtureRequest, settings: Settings) -> EmbeddedBackend:
    wanted: set[str] = set()
    for item in request.session.items:
        for mark in item.iter_markers("profiles"):
            wanted.update(mark.args)
    backend = EmbeddedBackend(settings)
    profiles = profiles_of(closure(all_services(settings), wanted or {"core"}))
    from lakehouse.provision import provision

    provision(settings, profiles, log=print)
    backend.up(profiles)
    return backend


@pytest.fixture(autouse=True)
def _platform_up(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("profiles"):
        request.getfixturevalue("platform")
