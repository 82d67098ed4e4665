"""Every keyword library follows the same conventions (libdoc of each library, no platform needed).

* Tags come from a closed vocabulary (Getter, Assertion, Wait, Setter, Destructive) plus exactly
  one area tag: the library's own.
* No argument is named ``expected``: getters use AssertionEngine's ``assertion_expected``.
* A getter (tag Getter) that takes ``assertion_operator`` also takes ``retry_timeout``.
* Every keyword has a docstring with an example: a line in Robot's pipe table syntax (``| … |``) or
  a Robot line with cells separated by four spaces.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from robot.libdocpkg import LibraryDocumentation

KINDS = {"Getter", "Assertion", "Wait", "Setter", "Destructive"}
AREAS = {
    "KafkaLibrary": "Kafka",
    "SchemaRegistryLibrary": "SchemaRegistry",
    "LakehouseLibrary": "Lakehouse",
    "EventLibrary": "Event",
    "StreamingLibrary": "Streaming",
    "DbtLibrary": "Dbt",
    "AirflowLibrary": "Airflow",
    "PlatformLibrary": "Platform",
    "MonitoringLibrary": "Monitoring",
    "BiLibrary": "Bi",
}
ROBOT_LINE = re.compile(r"^\S.*?(\t| {4,})\S")


@cache
def keywords(library: str) -> tuple[Any, ...]:
    doc = LibraryDocumentation(library)
    assert doc.keywords, f"{library} has no keywords"
    return tuple(doc.keywords)


def _violations(library: str, check: Any) -> list[str]:
    return [f"{library}.{kw.name}: {problem}" for kw in keywords(library) if (problem := check(kw))]


@pytest.mark.parametrize("library", AREAS)
def test_tags_are_the_vocabulary_plus_the_library_area(library: str) -> None:
    area = AREAS[library]
    areas = set(AREAS.values())

    def check(kw: Any) -> str:
        tags = set(kw.tags)
        unknown = tags - KINDS - areas
        own = tags & areas
        if unknown:
            return f"tags {sorted(unknown)} are not in the vocabulary {sorted(KINDS)} + area '{area}'"
        if own != {area}:
            return f"area tags {sorted(own)}, expected exactly ['{area}']"
        return ""

    assert not (bad := _violations(library, check)), "\n".join(bad)


@pytest.mark.parametrize("library", AREAS)
def test_no_argument_is_named_expected(library: str) -> None:
    def check(kw: Any) -> str:
        return "argument 'expected' (use assertion_expected)" if "expected" in [a.name for a in kw.args] else ""

    assert not (bad := _violations(library, check)), "\n".join(bad)


@pytest.mark.parametrize("library", AREAS)
def test_asserting_getters_can_retry(library: str) -> None:
    def check(kw: Any) -> str:
        names = [a.name for a in kw.args]
        if "Getter" in kw.tags and "assertion_operator" in names and "retry_timeout" not in names:
            return "takes assertion_operator but no retry_timeout"
        return ""

    assert not (bad := _violations(library, check)), "\n".join(bad)


@pytest.mark.parametrize("library", AREAS)
def test_every_keyword_has_a_documented_example(library: str) -> None:
    def check(kw: Any) -> str:
        if not kw.doc.strip():
            return "no docstring"
        lines = [line.strip() for line in kw.doc.splitlines()]
        if not any(line.startswith("|") or ROBOT_LINE.match(line) for line in lines):
            return "docstring has no example line ('| Keyword | arg |' or 'Keyword    arg')"
        return ""

    assert not (bad := _violations(library, check)), "\n".join(bad)
