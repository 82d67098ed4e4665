"""Pure parts of LakehouseLibrary's lineage: Delta commit parsing and the trail's join logic."""

from __future__ import annotations

import json

from LakehouseLibrary.lineage import added_files, build_trail


def _bronze(offset: int, version: int = 3) -> dict:
    return {"_kafka_topic": "trips", "_kafka_partition": 0, "_kafka_offset": offset, "delta_version": version}


def _silver(offset: int, trip: str = "t1") -> dict:
    return {"_kafka_partition": 0, "_kafka_offset": offset, "event_id": f"e{offset}", "trip_id": trip}


def test_added_files_decodes_paths_and_ignores_other_actions() -> None:
    commit = "\n".join(
        json.dumps(a)
        for a in (
            {"commitInfo": {"operation": "WRITE"}},
            {"add": {"path": "_ingestion_date=2026-12-01/part-0001.parquet"}},
            {"add": {"path": "d%3D1/part%20two.parquet"}},
            {"remove": {"path": "old.parquet"}},
        )
    )
    assert added_files(commit) == ["_ingestion_date=2026-12-01/part-0001.parquet", "d=1/part two.parquet"]


def test_complete_trail_has_one_row_per_bronze_row_and_no_problem() -> None:
    trail, problems = build_trail(
        "trips",
        [_bronze(1), _bronze(2, 4)],
        "silver.stg_trips",
        [_silver(1), _silver(2)],
        "gold.fact_trips",
        [{"trip_id": "t1", "fare": 10}],
        "trip_id",
        "Completed trips = 1",
    )
    assert problems == []
    assert [r["Bronze"] for r in trail] == ["bronze.trips v3", "bronze.trips v4"]
    assert all(r["Gold"].startswith("gold.fact_trips trip_id=t1") for r in trail)
    assert trail[0]["Chart"] == "Completed trips = 1"


def test_missing_silver_row_duplicate_and_unreached_gold_are_reported() -> None:
    _, problems = build_trail(
        "trips",
        [_bronze(1), _bronze(2)],
        "silver.stg_trips",
        [_silver(1), _silver(1)],
        "gold.fact_trips",
        [{"trip_id": "other"}],
        "trip_id",
        None,
    )
    assert "trips[0]@1 has 2 row(s) in silver.stg_trips, expected 1" in problems[0]
    assert "trips[0]@2 has 0 row(s)" in problems[1]
    assert any("trip_id=other is not reached" in p for p in problems)


def test_no_gold_rows_is_a_problem() -> None:
    _, problems = build_trail("trips", [_bronze(1)], "s", [_silver(1)], "gold.fact_trips", [], "trip_id", None)
    assert problems == ["gold.fact_trips holds no row of the correlation id"]
