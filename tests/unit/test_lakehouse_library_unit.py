"""LakehouseLibrary pure logic: table names, SQL name resolution, row diffs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from LakehouseLibrary import LakehouseLibrary, compare_rows
from LakehouseLibrary.diff import normalise
from LakehouseLibrary.engine import referenced_tables, table_uri


def test_table_names_map_to_layer_buckets() -> None:
    assert table_uri("bronze.trips") == ("bronze", "trips", "s3://bronze/trips")
    assert table_uri("gold.daily_revenue")[2] == "s3://gold/daily_revenue"
    assert table_uri("s3://silver/x/") == ("silver", "x", "s3://silver/x")
    for bad in ("trips", "platinum.trips", "bronze."):
        with pytest.raises(ValueError, match="layer"):
            table_uri(bad)


def test_referenced_tables_found_in_sql() -> None:
    sql = "SELECT * FROM bronze.trips t JOIN silver.trips s USING (trip_id) WHERE t.x = 1 AND gold.kpis.n > 0"
    assert referenced_tables(sql) == ["bronze.trips", "silver.trips", "gold.kpis"]
    assert referenced_tables("select 1") == []
    assert referenced_tables("select * from db.bronze.trips") == []


def test_normalise_compares_text_numbers_and_nulls() -> None:
    assert normalise("12.50") == normalise(12.5) == normalise(Decimal("12.500"))
    assert normalise("NULL") is None and normalise(None) is None
    assert normalise("true") is True
    assert normalise(datetime(2026, 1, 1)) == "2026-01-01T00:00:00"
    assert normalise("abc") == "abc"


def test_diff_with_keys_reports_missing_unexpected_and_changed() -> None:
    expected = [{"id": "1", "v": "a"}, {"id": "2", "v": "b"}, {"id": "3", "v": "c"}]
    actual = [{"id": 1, "v": "a", "extra": 9}, {"id": 2, "v": "B"}, {"id": 4, "v": "d"}]
    diff = compare_rows(expected, actual, key_columns=["id"])
    assert diff.matched == 1
    assert [r["id"] for r in diff.missing] == ["3"]
    assert [r["id"] for r in diff.unexpected] == [4]
    assert diff.changed[0][2] == ["v"]
    html = diff.html(["id", "v"], "caption")
    assert "missing" in html and "unexpected" in html and "v differ" in html
    assert not diff.ok and "1 matching, 1 missing, 1 unexpected, 1 changed" in diff.summary()


def test_diff_without_keys_is_a_multiset_comparison() -> None:
    diff = compare_rows([{"a": 1}, {"a": 1}], [{"a": "1"}])
    assert diff.matched == 1 and len(diff.missing) == 1 and not diff.unexpected
    assert compare_rows([{"a": 1}], [{"a": 1, "b": 2}]).ok  # only expected columns compared


def test_destructive_keywords_refuse_non_test_targets() -> None:
    target = {"name": "prod", "backend": "external", "test_environment": False, "s3_endpoint": "http://127.0.0.1:1"}
    lib = LakehouseLibrary(target=target)
    with pytest.raises(PermissionError):
        lib.run_keyword("delete_table_objects", ["bronze.trips"], {})
    with pytest.raises(PermissionError):
        lib.run_keyword("delete_objects_with_prefix", ["bronze", "trips/"], {})
    with pytest.raises(ValueError, match="empty prefix"):
        lib.run_keyword("delete_objects_with_prefix", ["bronze", ""], {})
