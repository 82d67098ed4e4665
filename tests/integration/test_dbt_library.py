"""DbtLibrary and the dbt project against the real S3 server of the `core` profile.

dbt is the target's own (``dbt_command`` of the contract in ``LH_CONTRACT_FILE``), run as a
subprocess. Bronze-shaped tables are written with deltalake under a scratch prefix of the
``dbtdev`` bucket (never the Bronze bucket the streaming job owns); the project runs with its
three roots pointed there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import duckdb
import pytest

from contract.storage import boto3_client_kwargs, duckdb_s3_secret
from DbtLibrary import DbtLibrary, devdata
from DbtLibrary.runner import FAILED_STATUSES
from LakehouseLibrary.engine import extension_path
from lhkit import target as lh_target

pytestmark = pytest.mark.profiles("core")

BUCKET = "dbtdev"


@pytest.fixture(scope="module")
def scratch() -> Iterator[dict[str, Any]]:
    t = lh_target.current()
    s3 = boto3.client("s3", **boto3_client_kwargs(t))
    if BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=BUCKET)
    prefix = f"it-{uuid.uuid4().hex[:10]}"
    root = f"s3://{BUCKET}/{prefix}"
    yield {
        "opts": devdata.storage_options(t),
        "target": t,
        "vars": {"bronze_root": f"{root}/bronze", "silver_root": f"{root}/silver", "gold_root": f"{root}/gold"},
    }
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


@pytest.fixture(scope="module")
def duck(scratch: dict[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for ext in ("httpfs", "delta"):
        con.execute(f"LOAD '{extension_path(ext)}'")
    con.execute(duckdb_s3_secret(scratch["target"]))
    con.execute("SET TimeZone='UTC'")
    yield con
    con.close()


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_build_silver_and_gold_with_exact_figures(scratch: dict[str, Any], duck: duckdb.DuckDBPyConnection) -> None:
    world = devdata.generate_events(40, seed=11)
    # one duplicate delivery (same event, later offset) and one malformed payload
    dup = world.events["trips"][0]
    devdata.write_world(scratch["vars"]["bronze_root"], world, scratch["opts"])
    devdata.write_bronze(scratch["vars"]["bronze_root"], "trips",
                         devdata.bronze_batch("trips", [dup, "{not json"], first_offset=10_000), scratch["opts"])
    expected = devdata.expected_gold(world)

    lib = DbtLibrary(vars=scratch["vars"])
    result = lib.build_dbt("tag:silver tag:gold")
    assert result["success"] and result["counts"].get("pass", 0) > 50, result["counts"]
    assert not any(r["status"] in FAILED_STATUSES for r in result["results"])

    silver, gold = scratch["vars"]["silver_root"], scratch["vars"]["gold_root"]
    n_trip_events = len(world.events["trips"])
    assert q(duck, f"select count(*), count(distinct event_id) from delta_scan('{silver}/stg_trips')") == [
        (n_trip_events, n_trip_events)]
    # the duplicate kept its first delivery (offset 0, not 10000)
    assert q(duck, f"select _kafka_offset from delta_scan('{silver}/stg_trips') where event_id = '{dup['event_id']}'"
             ) == [(0,)]
    assert q(duck, f"select count(*), sum(fare) from delta_scan('{gold}/fact_trips')") == [
        (expected["completed_trips"], expected["completed_fare"])]
    assert q(duck, f"select sum(gross_revenue), sum(platform_fees), sum(driver_payouts) "
                   f"from delta_scan('{gold}/agg_daily_platform_revenue')") == [
        (expected["gross_revenue"], expected["platform_fees"], expected["driver_payouts"])]
    assert q(duck, f"select sum(requested_trips), sum(completed_trips) from delta_scan('{gold}/agg_hourly_zone_demand')"
             ) == [(expected["requested_trips"], expected["completed_trips"])]
    assert q(duck, f"select count(*) from delta_scan('{gold}/dim_zones')") == [(96,)]


def versions(con: duckdb.DuckDBPyConnection, root: str) -> dict[str, int]:
    """The Delta version of every table under a layer root (from its newest commit file)."""
    rows = q(con, f"select file from glob('{root}/*/_delta_log/*.json')")
    out: dict[str, int] = {}
    for (file,) in rows:
        table, version = file.split("/")[-3], int(file.split("/")[-1].split(".")[0])
        out[table] = max(out.get(table, -1), version)
    return out


def test_a_run_with_no_new_input_writes_nothing(scratch: dict[str, Any], duck: duckdb.DuckDBPyConnection) -> None:
    silver, gold = scratch["vars"]["silver_root"], scratch["vars"]["gold_root"]
    before = {**versions(duck, silver), **versions(duck, gold)}
    assert len(before) == 21, sorted(before)  # 11 Silver + 10 Gold Delta models
    result = DbtLibrary(vars=scratch["vars"]).run_dbt("tag:silver tag:gold")
    assert result["success"] and result["counts"] == {"success": 22}, result["counts"]  # 21 models + on-run-start
    after = {**versions(duck, silver), **versions(duck, gold)}
    # every model skipped its unchanged inputs; only the zombie check (it measures against now()) is rebuilt
    changed = sorted(t for t in after if after[t] != before[t])
    assert changed == ["anomalies_zombie_drivers"], changed


def test_incremental_run_merges_only_new_events(scratch: dict[str, Any], duck: duckdb.DuckDBPyConnection) -> None:
    silver = scratch["vars"]["silver_root"]
    before = q(duck, f"select count(*) from delta_scan('{silver}/stg_ratings')")[0][0]
    versions_before = versions(duck, silver)
    now = datetime.now(UTC)
    new = {"event_id": str(uuid.uuid4()), "trip_id": "trip-incr", "timestamp": now.isoformat(),
           "rater_type": "rider", "rater_id": "rider-000001", "ratee_type": "driver", "ratee_id": "driver-000001",
           "rating": 4, "correlation_id": "it-incr"}
    old = json.loads(json.dumps(devdata.generate_events(40, seed=11).events["ratings"][0]))  # already in Silver
    devdata.write_bronze(scratch["vars"]["bronze_root"], "ratings",
                         devdata.bronze_batch("ratings", [new, old], first_offset=50_000,
                                              ingested_at=now + timedelta(seconds=1)), scratch["opts"])
    lib = DbtLibrary(vars=scratch["vars"])
    result = lib.run_dbt("stg_ratings")
    assert result["success"]
    assert q(duck, f"select count(*) from delta_scan('{silver}/stg_ratings')") == [(before + 1,)]
    history = q(duck, f"select count(*) from delta_scan('{silver}/stg_ratings') where correlation_id = 'it-incr'")
    assert history == [(1,)]
    # one append to stg_ratings; a model whose Bronze table did not change is not rewritten
    versions_after = versions(duck, silver)
    assert versions_after["stg_ratings"] == versions_before["stg_ratings"] + 1
    assert versions_after["stg_trips"] == versions_before["stg_trips"]


def test_a_build_narrowed_to_a_correlation_id_reads_only_its_rows(
    scratch: dict[str, Any], duck: duckdb.DuckDBPyConnection
) -> None:
    lib = DbtLibrary(vars={"bronze_root": scratch["vars"]["bronze_root"]})
    layers = lib.create_dbt_scratch_layers("it")
    try:
        result = lib.build_dbt("tag:silver tag:gold", vars=layers["vars"], correlation_id="dev-3")
        assert result["success"], result["counts"]
        root = layers["vars"]["silver_root"]
        world = devdata.generate_events(40, seed=11)
        expected = sum(1 for e in world.events["trips"] if e.get("correlation_id") == "dev-3")
        assert expected > 0
        assert q(duck, f"select count(*), count(distinct correlation_id), min(correlation_id) "
                       f"from delta_scan('{root}/stg_trips')") == [(expected, 1, "dev-3")]
        assert q(duck, f"select count(*) from delta_scan('{root}/stg_driver_profiles')") == [(0,)]
    finally:
        assert lib.delete_dbt_scratch_layers(layers) > 0
        lib.close()


def test_dbt_test_should_pass_fails_on_a_broken_fee_split(scratch: dict[str, Any]) -> None:
    bad = {"event_id": str(uuid.uuid4()), "payment_id": "pay-bad", "trip_id": "trip-bad",
           "timestamp": datetime.now(UTC).isoformat(), "rider_id": "rider-000001", "driver_id": "driver-000001",
           "payment_method_type": "credit_card", "payment_method_masked": "****4242", "fare_amount": 100.0,
           "platform_fee_percentage": 25.0, "platform_fee_amount": 25.0, "driver_payout_amount": 70.0}
    devdata.write_bronze(scratch["vars"]["bronze_root"], "payments",
                         devdata.bronze_batch("payments", [bad], first_offset=90_000), scratch["opts"])
    lib = DbtLibrary(vars=scratch["vars"])
    lib.run_dbt("stg_payments")
    with pytest.raises(AssertionError, match=r"expression_is_true_stg_payments.*fail \(1 failing rows\)"):
        lib.dbt_test_should_pass("stg_payments")
    run = lib.test_dbt("stg_payments", expect_success=False)
    assert run["counts"].get("fail") == 1


def test_selector_matching_no_test_fails(scratch: dict[str, Any]) -> None:
    lib = DbtLibrary(vars=scratch["vars"])
    with pytest.raises(AssertionError, match="seen 0 tests"):
        lib.dbt_test_should_pass("dim_time_does_not_exist_xyz")


def test_revenue_figures_are_decimal(duck: duckdb.DuckDBPyConnection, scratch: dict[str, Any]) -> None:
    gold = scratch["vars"]["gold_root"]
    (value,) = q(duck, f"select sum(gross_revenue) from delta_scan('{gold}/agg_daily_platform_revenue')")[0]
    assert isinstance(value, Decimal)
