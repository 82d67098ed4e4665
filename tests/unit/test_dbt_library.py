"""Pure unit tests of DbtLibrary's runner: arguments, results parsing, the inter-process lock."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest
import yaml

from DbtLibrary.runner import DbtLockTimeout, build_args, exclusive_lock, parse_run_results


def test_build_args_selectors_vars_and_paths(tmp_path: Path) -> None:
    args = build_args(
        "build", select=["tag:silver", "stg_trips"], exclude="anomalies_zombie_drivers",
        dbt_vars={"bronze_root": "s3://dbtdev/x/bronze"}, full_refresh=True, project_dir=tmp_path,
        target_path=tmp_path / "t", log_path=tmp_path / "l", threads=1,
    )
    assert args[:5] == ["build", "--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path)]
    assert args[args.index("--select") + 1: args.index("--select") + 3] == ["tag:silver", "stg_trips"]
    assert args[args.index("--exclude") + 1] == "anomalies_zombie_drivers"
    assert yaml.safe_load(args[args.index("--vars") + 1]) == {"bronze_root": "s3://dbtdev/x/bronze"}
    assert "--full-refresh" in args and args[args.index("--threads") + 1] == "1"


def test_build_args_rejects_unknown_command_and_ignores_blank_selectors() -> None:
    with pytest.raises(ValueError, match="Unknown dbt command"):
        build_args("deploy")
    args = build_args("test", select=["", "  "], full_refresh=True)
    assert "--select" not in args and "--full-refresh" not in args  # test has no full refresh


def test_parse_run_results_uses_manifest_for_compiled_sql(tmp_path: Path) -> None:
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "test.lakehouse.unique_fact_trips_trip_id.abc", "status": "fail", "execution_time": 0.5,
         "message": "Got 2 results", "failures": 2},
        {"unique_id": "model.lakehouse.fact_trips", "status": "success", "execution_time": 1.25,
         "message": "OK", "failures": None, "compiled_code": "select 1"},
    ]}))
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": {
        "test.lakehouse.unique_fact_trips_trip_id.abc": {"name": "unique_fact_trips_trip_id",
                                                         "compiled_code": "select trip_id from x"}}}))
    results = parse_run_results(tmp_path / "run_results.json", tmp_path / "manifest.json")
    assert [r.name for r in results] == ["unique_fact_trips_trip_id", "fact_trips"]
    assert results[0].failed and results[0].failures == 2 and results[0].compiled_code == "select trip_id from x"
    assert not results[1].failed and results[1].compiled_code == "select 1"
    assert results[0].as_row()["status"] == "fail"


def _hold(path: str, seconds: float, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    with exclusive_lock(Path(path), 5, "holder-process"):
        ready.set()
        time.sleep(seconds)


def test_lock_excludes_other_processes_and_names_holder(tmp_path: Path) -> None:
    lock = tmp_path / "dbt.lock"
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=_hold, args=(str(lock), 2.0, ready))
    proc.start()
    try:
        assert ready.wait(10)
        with pytest.raises(DbtLockTimeout, match=r"held by pid .*holder-process"), exclusive_lock(lock, 0.5, "me"):
            pass
        start = time.monotonic()
        with exclusive_lock(lock, 10, "me") as waited:
            assert waited > 0.5  # had to wait for the holder to finish
        assert time.monotonic() - start < 5
    finally:
        proc.join(10)
