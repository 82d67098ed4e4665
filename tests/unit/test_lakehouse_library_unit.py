"""LakehouseLibrary / StreamingLibrary pure logic: table names, SQL names, row diffs, count semantics, guards."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from assertionengine import AssertionOperator

from contract.platform import PlatformContract
from LakehouseLibrary import LakehouseLibrary, RowCount, compare_rows
from LakehouseLibrary.diff import normalise
from LakehouseLibrary.engine import referenced_tables, table_uri
from StreamingLibrary import StreamingLibrary

OTHER = PlatformContract(buckets={"bronze": "b-raw", "silver": "b-clean", "gold": "b-marts"}, topic_prefix="x.")


def test_table_names_map_to_the_targets_layer_buckets() -> None:
    assert table_uri("bronze.trips", PlatformContract()) == ("bronze", "trips", "s3://bronze/trips")
    assert table_uri("bronze.trips", OTHER) == ("b-raw", "trips", "s3://b-raw/trips")
    assert table_uri("gold.fact_trips", OTHER)[2] == "s3://b-marts/fact_trips"
    assert table_uri("s3://silver/x/", OTHER) == ("silver", "x", "s3://silver/x")
    for bad in ("trips", "platinum.trips", "bronze."):
        with pytest.raises(ValueError, match="layer"):
            table_uri(bad, OTHER)


def test_referenced_tables_found_in_sql() -> None:
    sql = "SELECT * FROM bronze.trips t JOIN silver.stg_trips s USING (trip_id) WHERE t.x = 1 AND gold.kpis.n > 0"
    assert referenced_tables(sql) == ["bronze.trips", "silver.stg_trips", "gold.kpis"]
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


def test_count_means_exactly_and_a_surplus_fails_clearly() -> None:
    exact = RowCount("rows of x", count=6)
    assert exact.wanted == "exactly 6"
    assert not exact.reached(5) and exact.reached(6) and exact.reached(7)  # 7 stops the wait: final
    exact.verify(6)
    with pytest.raises(AssertionError, match=r"Expected exactly 6 rows of x, found 8, 2 more than expected; dup"):
        exact.verify(8, "; dup")


def test_at_least_is_an_explicit_assertion_operator() -> None:
    at_least = RowCount("rows", assertion_operator=AssertionOperator[">="], assertion_expected="6")
    assert at_least.wanted == ">= 6"
    assert not at_least.reached(5) and at_least.reached(6) and at_least.reached(60)
    at_least.verify(60)
    default = RowCount("rows")
    assert not default.reached(0) and default.reached(1) and default.reached(3)
    with pytest.raises(ValueError, match="either count"):
        RowCount("rows", count=1, assertion_operator=AssertionOperator["=="], assertion_expected=1)


def _lib(cls: type, **values: Any) -> Any:
    return cls(target={"name": "prod", "backend": "external", "s3_endpoint": "http://127.0.0.1:1", **values})


def test_destructive_keywords_refuse_non_test_targets() -> None:
    lib = _lib(LakehouseLibrary, test_environment=False)
    with pytest.raises(PermissionError):
        lib.run_keyword("delete_table_objects", ["bronze.trips"], {})
    with pytest.raises(PermissionError):
        lib.run_keyword("delete_objects_with_prefix", ["bronze", "trips/"], {})
    with pytest.raises(ValueError, match="empty prefix"):
        lib.run_keyword("delete_objects_with_prefix", ["bronze", ""], {})
    streaming = _lib(StreamingLibrary, streaming_checkpoint="/tmp/never-deleted")
    with pytest.raises(PermissionError, match="not marked as a test environment"):
        streaming.run_keyword("delete_streaming_checkpoint", [], {})


def test_checkpoint_deletion_needs_a_checkpoint_in_the_target() -> None:
    streaming = _lib(StreamingLibrary, test_environment=True)
    with pytest.raises(AssertionError, match="names no streaming_checkpoint"):
        streaming.run_keyword("delete_streaming_checkpoint", [], {})


def test_library_wide_default_timeout() -> None:
    assert _lib(LakehouseLibrary).ctx.timeout == 60
    assert LakehouseLibrary(target={"s3_endpoint": "http://h:1"}, timeout="2 min").ctx.timeout == 120
    assert StreamingLibrary(target={"s3_endpoint": "http://h:1"}, timeout=5).ctx.timeout == 5


def test_overrides_apply_to_the_lazy_target() -> None:
    lib = LakehouseLibrary(target={"s3_endpoint": "http://a:1"}, s3_endpoint="http://b:2")
    assert lib.ctx.target.s3_endpoint == "http://b:2"
    with pytest.raises(ValueError, match="has no s3_endpoint"):
        _ = LakehouseLibrary(target={"name": "empty"}).ctx.target
