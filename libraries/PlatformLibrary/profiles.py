"""Which platform profiles a set of Robot suites needs: the ``profile:<name>`` tags of their tests."""

from __future__ import annotations

from collections.abc import Iterable

from robot.running import TestSuite, TestSuiteBuilder

from contract.platform import PROFILES

TAG_PREFIX = "profile:"


def profiles_from_tags(tags: Iterable[str]) -> set[str]:
    return {t[len(TAG_PREFIX) :].strip() for t in tags if t.lower().startswith(TAG_PREFIX)}


def profiles_of_suite(suite: TestSuite) -> set[str]:
    found: set[str] = set()
    for test in suite.all_tests:
        found |= profiles_from_tags(test.tags)
    return found


def profiles_for_suites(paths: list[str]) -> list[str]:
    """The profiles named by the tests under ``paths``, in the contract's order; unknown names fail."""
    found = profiles_of_suite(TestSuiteBuilder(process_curdir=False).build(*paths))
    unknown = found - set(PROFILES)
    if unknown:
        raise ValueError(f"Unknown profile tag(s): {', '.join(sorted(unknown))}. Known: {', '.join(PROFILES)}")
    return [p for p in PROFILES if p in found]
