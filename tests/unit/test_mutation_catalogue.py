"""The mutation catalogue stays applicable: every snippet is in its file exactly once, every named test exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from robot.api import TestSuiteBuilder as SuiteBuilder  # not "Test*": pytest would collect it

from tests.faults.mutations import MUTATIONS

ROOT = Path(__file__).resolve().parents[2]


def test_names_are_unique() -> None:
    names = [m.name for m in MUTATIONS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_snippet_occurs_exactly_once_and_changes_something(mutation) -> None:
    text = (ROOT / mutation.file).read_text()
    assert text.count(mutation.old) == 1, f"{mutation.file}: the snippet occurs {text.count(mutation.old)} times"
    assert mutation.old != mutation.new


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_named_test_exists(mutation) -> None:
    suite = SuiteBuilder().build(str(ROOT / mutation.suite))
    assert mutation.test in [t.name for t in suite.all_tests], f"no test '{mutation.test}' in {mutation.suite}"
