"""The Superset assets bundle (lakehouse/superset/assets.py) is complete and points at this instance."""

from __future__ import annotations

import json

from lakehouse.superset import assets, duckdb_gold

ROOTS = {"bronze": "s3://t1-bronze", "silver": "s3://t1-silver", "gold": "s3://t1-gold"}
FILES = {"httpfs": "/x/httpfs.duckdb_extension", "delta": "/x/delta.duckdb_extension"}


def _bundle() -> dict[str, dict]:
    return {path: json.loads(text) for path, text in assets.bundle(ROOTS, FILES, "/state/secrets").items()}


def test_bundle_holds_the_operations_dashboard_and_its_four_charts() -> None:
    files = _bundle()
    charts = {c["slice_name"]: c for p, c in files.items() if p.startswith("charts/")}
    assert set(charts) == {"Completed trips", "Revenue", "DLQ errors", "Trips by zone"} == set(assets.CHART_NAMES)
    (board,) = [c for p, c in files.items() if p.startswith("dashboards/")]
    assert board["dashboard_title"] == "Operations"
    placed = {m["meta"]["uuid"] for m in board["position"].values() if isinstance(m, dict) and m.get("type") == "CHART"}
    assert placed == {c["uuid"] for c in charts.values()}
    datasets = {d["uuid"]: d for p, d in files.items() if p.startswith("datasets/")}
    assert {c["dataset_uuid"] for c in charts.values()} <= set(datasets)


def test_datasets_read_this_instances_buckets_and_carry_correlation_id() -> None:
    for path, dataset in _bundle().items():
        if path.startswith("datasets/"):
            assert "s3://t1-" in dataset["sql"] and "s3://gold/" not in dataset["sql"], dataset["sql"]
            assert "correlation_id" in [c["column_name"] for c in dataset["columns"]]


def test_database_holds_no_credential_and_matches_the_shared_instance() -> None:
    (db,) = [d for p, d in _bundle().items() if p.startswith("databases/")]
    text = json.dumps(db)
    assert "KEY_ID" not in text.upper() and "SECRET '" not in text.upper()
    assert db["sqlalchemy_uri"] == duckdb_gold.SQLALCHEMY_URI
    assert db["extra"]["engine_params"]["connect_args"]["config"] == duckdb_gold.connect_config("/state/secrets")


def test_uuids_are_stable_between_runs() -> None:
    assert assets.bundle(ROOTS, FILES, "/s") == assets.bundle(ROOTS, FILES, "/s")
