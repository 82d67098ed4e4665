"""LakehouseLibrary against the real S3 of the core profile (Delta tables written with delta-rs).

The target is the platform contract named by ``LH_CONTRACT_FILE``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from assertionengine import AssertionOperator
from deltalake import write_deltalake

from LakehouseLibrary import LakehouseLibrary, QueryError, StorageUnavailable, TableNotFound
from LakehouseLibrary.engine import DeltaQueryEngine, storage_options
from lhkit import target as lh_target
from lhkit.polling import WaitTimeout

pytestmark = pytest.mark.profiles("core")
EQ = AssertionOperator["=="]


def kw(lib: LakehouseLibrary, name: str, *args: object, **kwargs: object) -> Any:
    return lib.run_keyword(name.lower().replace(" ", "_"), list(args), kwargs)


@pytest.fixture(scope="module")
def lake() -> Iterator[LakehouseLibrary]:
    lib = LakehouseLibrary()
    yield lib
    lib.close()


def write(table: str, rows: list[dict[str, Any]], mode: str = "append") -> None:
    layer, name = table.split(".")
    target = lh_target.current()
    write_deltalake(
        target.table_uri(name, layer),
        pa.Table.from_pylist(rows),
        mode=mode,
        storage_options=storage_options(target),
    )


@pytest.fixture
def table(lake: LakehouseLibrary) -> Iterator[str]:
    name = f"silver.test_lakelib_{uuid.uuid4().hex[:8]}"
    write(
        name,
        [
            {"trip_id": "t1", "fare": 10.5, "status": "completed", "correlation_id": "cid-a"},
            {"trip_id": "t2", "fare": 20.0, "status": "completed", "correlation_id": "cid-a"},
            {"trip_id": "t3", "fare": 7.25, "status": "cancelled", "correlation_id": "cid-b"},
        ],
    )
    yield name
    kw(lake, "Delete Table Objects", name)


def test_layer_buckets_exist(lake: LakehouseLibrary) -> None:
    assert set(lh_target.current().buckets.values()) <= set(kw(lake, "List Buckets"))


def test_object_keywords_round_trip(lake: LakehouseLibrary) -> None:
    bronze = lh_target.current().bucket("bronze")
    prefix = f"test-objects/{uuid.uuid4().hex[:8]}/"
    try:
        kw(lake, "Put Object", bronze, f"{prefix}a.json", '{"a": 1}', content_type="application/json")
        kw(lake, "Put Object", bronze, f"{prefix}b.bin", b"\x00\x01")
        assert kw(lake, "Get Object", bronze, f"{prefix}a.json") == '{"a": 1}'
        assert kw(lake, "Get Object", bronze, f"{prefix}b.bin", as_text=False) == b"\x00\x01"
        kw(lake, "Object Should Exist", bronze, f"{prefix}a.json")
        assert kw(lake, "List Objects", bronze, prefix) == [f"{prefix}a.json", f"{prefix}b.bin"]
        kw(lake, "List Objects", bronze, prefix, AssertionOperator["contains"], [f"{prefix}a.json"])
        kw(lake, "List Objects", bronze, prefix, AssertionOperator["contains"], f"{prefix}b.bin")
        with pytest.raises(AssertionError, match="should contain"):
            kw(lake, "List Objects", bronze, prefix, AssertionOperator["contains"], f"{prefix}c")
    finally:
        assert kw(lake, "Delete Objects With Prefix", bronze, prefix) == 2
    kw(lake, "Object Should Not Exist", bronze, f"{prefix}a.json")
    with pytest.raises(AssertionError, match="should exist"):
        kw(lake, "Object Should Exist", bronze, f"{prefix}a.json")
    with pytest.raises(AssertionError, match="NoSuchKey"):
        kw(lake, "Get Object", bronze, f"{prefix}missing")


def test_table_version_history_and_schema(lake: LakehouseLibrary, table: str) -> None:
    assert kw(lake, "Get Table Version", table, EQ, "0") == 0
    write(table, [{"trip_id": "t4", "fare": 1.0, "status": "completed", "correlation_id": "cid-c"}])
    assert kw(lake, "Get Table Version", table) == 1
    late = [{"trip_id": "t5", "fare": 2.0, "status": "new", "correlation_id": "x"}]
    threading.Timer(0.5, write, args=(table, late)).start()
    assert kw(lake, "Get Table Version", table, AssertionOperator[">="], "2", retry_timeout="10 s") == 2
    assert kw(lake, "Wait For Table Version", table, 1, timeout="5 s") == 2
    history = kw(lake, "Get Table History", table)
    assert [h["version"] for h in history] == [2, 1, 0]
    assert kw(lake, "Get Table Schema", table) == {
        "trip_id": "string",
        "fare": "double",
        "status": "string",
        "correlation_id": "string",
    }
    kw(lake, "Table Should Exist", table)


def test_query_with_friendly_names_and_parameters(lake: LakehouseLibrary, table: str) -> None:
    rows = kw(lake, "Query", f"SELECT trip_id, fare FROM {table} WHERE correlation_id = ? ORDER BY trip_id", "cid-a")
    assert rows == [{"trip_id": "t1", "fare": 10.5}, {"trip_id": "t2", "fare": 20.0}]
    assert kw(lake, "Get Row Count", table, EQ, "3") == 3
    assert kw(lake, "Get Row Count", table, correlation_id="cid-a") == 2
    assert kw(lake, "Get Row Count", table, where="status = 'cancelled'") == 1
    with pytest.raises(AssertionError, match="Row count of"):
        kw(lake, "Get Row Count", table, EQ, "4")
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"Row count of .*should be .4.*retried for"):
        kw(lake, "Get Row Count", table, EQ, "4", retry_timeout="1 s")
    assert 0.9 < time.monotonic() - started < 5
    # The same connection sees a new commit without any refresh.
    write(table, [{"trip_id": "t9", "fare": 3.0, "status": "completed", "correlation_id": "cid-a"}])
    assert kw(lake, "Get Row Count", table, correlation_id="cid-a") == 3


def test_wait_for_rows_returns_once_rows_arrive(lake: LakehouseLibrary, table: str) -> None:
    timer = threading.Timer(
        1.0,
        write,
        args=(
            table,
            [{"trip_id": f"n{i}", "fare": 1.0, "status": "new", "correlation_id": "cid-late"} for i in range(2)],
        ),
    )
    timer.start()
    started = time.monotonic()
    rows = kw(lake, "Wait For Rows", table, correlation_id="cid-late", count=2, timeout="20 s")
    timer.join()
    assert len(rows) == 2 and 0.9 < time.monotonic() - started < 15


def test_wait_for_rows_timeout_reports_last_count(lake: LakehouseLibrary, table: str) -> None:
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as info:
        kw(lake, "Wait For Rows", table, correlation_id="cid-a", count=5, timeout="1 s")
    assert time.monotonic() - started < 5
    assert "exactly 5 row(s) in" in str(info.value) and "Last observed: 2 row(s)" in str(info.value)
    rows = kw(lake, "Wait For Rows", table, correlation_id="cid-a", count=2, timeout="2 s")
    assert len(rows) == 2


def test_wait_for_rows_count_is_exact_and_at_least_is_explicit(lake: LakehouseLibrary, table: str) -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"Expected exactly 1 row\(s\) in .* found 2, 1 more than expected"):
        kw(lake, "Wait For Rows", table, correlation_id="cid-a", count=1, timeout="10 s")
    assert time.monotonic() - started < 5  # a surplus fails at once, not at the timeout
    rows = kw(lake, "Wait For Rows", table, correlation_id="cid-a", assertion_operator=AssertionOperator[">="],
              assertion_expected="1", timeout="2 s")
    assert len(rows) == 2
    assert len(kw(lake, "Wait For Rows", table, timeout="2 s")) == 3  # neither: at least one row


def test_bad_sql_and_unknown_tables_fail_at_once_not_as_timeouts(lake: LakehouseLibrary, table: str) -> None:
    for call, error, pattern in (
        (lambda: kw(lake, "Query", "SELEC 1"), QueryError, "syntax error"),
        (lambda: kw(lake, "Query", f"SELECT nope FROM {table}"), QueryError, "nope"),
        (lambda: kw(lake, "Query", "SELECT * FROM gold.no_such_table_x"), TableNotFound, "gold.no_such_table_x"),
        (lambda: kw(lake, "Wait For Rows", "bronze.no_such_table_x", timeout="30 s"), TableNotFound, "does not exist"),
        (lambda: kw(lake, "Wait For Rows", table, where="nope = 1", timeout="30 s"), QueryError, "nope"),
        (lambda: kw(lake, "Get Table Version", "silver.no_such_table_x"), TableNotFound, "no_such_table_x"),
    ):
        started = time.monotonic()
        with pytest.raises(error, match=pattern):
            call()
        assert time.monotonic() - started < 5


def test_wait_for_table_treats_a_missing_table_as_not_yet(lake: LakehouseLibrary) -> None:
    with pytest.raises(WaitTimeout, match="TableNotFound"):
        kw(lake, "Wait For Rows", "bronze.not_created_yet_x", wait_for_table=True, timeout="1 s")


def test_table_should_contain_rows_logs_a_row_diff(lake: LakehouseLibrary, table: str, caplog: Any) -> None:
    expected = [{"trip_id": "t1", "fare": "10.50"}, {"trip_id": "t2", "fare": "20"}]
    kw(lake, "Table Should Contain Rows", table, expected, key_columns=["trip_id"], correlation_id="cid-a")
    caplog.set_level(1, logger="RobotFramework")  # robot.api.logger outside a Robot run
    wrong = [{"trip_id": "t1", "fare": "11"}, {"trip_id": "t5", "fare": "1"}]
    with pytest.raises(AssertionError, match="1 missing, 1 unexpected, 1 changed"):
        kw(lake, "Table Should Contain Rows", table, wrong, key_columns=["trip_id"], correlation_id="cid-a")
    diff = next(r.getMessage() for r in caplog.records if "Row diff" in r.getMessage())
    assert "missing" in diff and "unexpected" in diff and "fare differ" in diff
    kw(
        lake,
        "Table Should Contain Rows",
        table,
        wrong[:0] + expected[:1],
        key_columns=["trip_id"],
        correlation_id="cid-a",
        allow_extra=True,
    )


def test_tables_resolve_to_the_targets_buckets(table: str) -> None:
    _, name = table.split(".")
    other = lh_target.current().with_overrides(buckets={"bronze": "nb-b", "silver": "nb-s", "gold": "nb-g"})
    lib = LakehouseLibrary(target=other.to_dict())
    with pytest.raises(TableNotFound, match=f"s3://nb-s/{name}"):
        kw(lib, "Get Row Count", table)
    lib.close()


def test_engine_is_usable_standalone_and_closes(table: str) -> None:
    with DeltaQueryEngine(lh_target.current()) as engine:
        assert engine.query(f"SELECT count(*) AS n FROM {table}") == [{"n": 3}]
        assert engine.query("SELECT $x AS v", {"x": 5}) == [{"v": 5}]
    assert engine._con is None


def test_unreachable_s3_fails_fast() -> None:
    lib = LakehouseLibrary(s3_endpoint="http://127.0.0.1:1")
    for name, args in (
        ("List Buckets", []),
        ("Query", ["SELECT * FROM bronze.trips"]),
        ("Get Table Version", ["bronze.trips"]),
    ):
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            kw(lib, name, *args)
        assert time.monotonic() - started < 15, name
    lib.close()


def test_secret_key_never_appears_in_logs_or_errors(caplog: Any) -> None:
    secret = lh_target.current().s3_secret_key
    assert len(secret) >= 16
    caplog.set_level(1)  # everything: robot.api.logger, botocore, urllib3, ...
    errors: list[str] = []
    lib = LakehouseLibrary()
    kw(lib, "List Buckets")
    kw(lib, "List Objects", lh_target.current().bucket("bronze"), "")
    for call in (
        lambda: kw(lib, "Query", "SELECT * FROM bronze.no_such_table_x"),
        lambda: kw(lib, "Query", "SELECT * FROM delta_scan('s3://bronze/definitely-missing')"),
        lambda: kw(lib, "Get Object", "bronze", "missing-key"),
        lambda: kw(LakehouseLibrary(s3_endpoint="http://127.0.0.1:1"), "List Buckets"),
    ):
        try:
            call()
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    lib.close()
    logged = [r.getMessage() for r in caplog.records]
    assert logged and len(errors) == 4
    for text in logged + errors:
        assert secret not in text
