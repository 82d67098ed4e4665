"""One mutation: an exact snippet of reference-platform code replaced by a realistic defect, and the test
that must fail against it. The catalogues are ``tests/faults/mutations.py`` (the first ones) and the
``tests/faults/mutations_*.py`` modules, one per area; ``tests.faults.mutations`` runs them all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str
    defect: str
    file: str
    old: str
    new: str
    suite: str
    test: str
    restart: tuple[str, ...] = ()


AIRFLOW = ("airflow-dag-processor", "airflow-scheduler")
