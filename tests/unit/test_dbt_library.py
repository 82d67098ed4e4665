"""DbtLibrary without a platform: arguments, results parsing, the lock, and the subprocess against a fake dbt."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from DbtLibrary import DbtLibrary
from DbtLibrary.runner import DbtLockTimeout, build_args, parse_run_results
from lhcommon.locks import exclusive_lock


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
        build_args("deploy", project_dir=Path("p"))
    args = build_args("test", select=["", "  "], full_refresh=True, project_dir=Path("p"), profiles_dir=Path("q"))
    assert args[:5] == ["test", "--project-dir", "p", "--profiles-dir", "q"]
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


# A stand-in for the platform's dbt: records its argv, environment and cwd, writes run_results.json
# into --target-path, and fails when a node named "broken" is selected.
FAKE_DBT = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    args = sys.argv[1:]
    target = Path(args[args.index("--target-path") + 1])
    target.mkdir(parents=True, exist_ok=True)
    (Path(os.environ["FAKE_DBT_RECORD"])).write_text(json.dumps({"args": args, "cwd": os.getcwd(), "env": {
        k: v for k, v in os.environ.items() if k.startswith(("LH_", "DBT_", "PYTHONPATH"))}}))
    broken = "broken" in args
    results = [{"unique_id": "test.lakehouse.not_null_x.1", "status": "fail" if broken else "pass",
                "execution_time": 0.1, "message": "Got 1 result" if broken else None, "failures": int(broken),
                "compiled_code": "select * from x where id is null"}]
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    print("Done. PASS=%d ERROR=0" % (not broken))
    sys.exit(1 if broken else 0)
""")


@pytest.fixture
def fake_dbt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    script = tmp_path / "fake_dbt.py"
    script.write_text(FAKE_DBT)
    record = tmp_path / "record.json"
    monkeypatch.setenv("FAKE_DBT_RECORD", str(record))
    monkeypatch.setenv("PYTHONPATH", "/toolkit/only")
    project = tmp_path / "project"
    project.mkdir()
    target = {
        "name": "t", "test_environment": True, "s3_endpoint": "http://s3:9000", "s3_region": "eu-x-1",
        "s3_access_key": "ak", "s3_secret_key": "sk-123456", "buckets": {"bronze": "r", "silver": "c", "gold": "m"},
        "dbt_command": [sys.executable, str(script)], "dbt_project_dir": str(project),
        "dbt_lock_file": str(tmp_path / "dbt.lock"),
    }
    return {"target": target, "record": record, "project": project, "lock": tmp_path / "dbt.lock"}


def test_runs_the_targets_dbt_as_a_subprocess_with_its_settings(fake_dbt: dict[str, Any]) -> None:
    lib = DbtLibrary(target=fake_dbt["target"], vars={"x": 1})
    result = lib.run_keyword("dbt_test_should_pass", ["tag:gold"], {})
    assert result["success"] and result["counts"] == {"pass": 1}
    seen = json.loads(fake_dbt["record"].read_text())
    assert seen["cwd"] == str(fake_dbt["project"])
    assert seen["args"][:5] == ["test", "--project-dir", str(fake_dbt["project"]),
                                "--profiles-dir", str(fake_dbt["project"])]
    assert yaml.safe_load(seen["args"][seen["args"].index("--vars") + 1]) == {"x": 1}
    env = seen["env"]
    assert env["LH_S3_ENDPOINT"] == "http://s3:9000" and env["LH_S3_REGION"] == "eu-x-1"
    assert env["LH_S3_SECRET_KEY"] == "sk-123456"
    assert (env["LH_BRONZE_ROOT"], env["LH_SILVER_ROOT"], env["LH_GOLD_ROOT"]) == ("s3://r", "s3://c", "s3://m")
    assert "PYTHONPATH" not in env  # the platform's dbt does not see the toolkit's Python path
    target_path = Path(seen["args"][seen["args"].index("--target-path") + 1])
    assert target_path.parent == lib.ctx.resource("workdir", lambda: None)  # this instance's own directory
    lib.close()
    assert not target_path.parent.exists()


def test_failing_dbt_reports_failing_tests_and_honours_expect_success(fake_dbt: dict[str, Any]) -> None:
    lib = DbtLibrary(target=fake_dbt["target"])
    with pytest.raises(AssertionError, match=r"not_null_x: fail \(1 failing rows\)"):
        lib.run_keyword("dbt_test_should_pass", ["broken"], {})
    result = lib.run_keyword("test_dbt", ["broken"], {"expect_success": False})
    assert not result["success"] and result["counts"] == {"fail": 1}
    lib.close()


def test_dbt_waits_for_the_platforms_lock(fake_dbt: dict[str, Any]) -> None:
    lib = DbtLibrary(target=fake_dbt["target"], lock_timeout="0.5 s")
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(str(fake_dbt["lock"]), 2.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(DbtLockTimeout, match=r"held by pid .*holder-process"):
            lib.run_keyword("run_dbt", ["stg_trips"], {})
    finally:
        holder.join(10)
    assert lib.run_keyword("run_dbt", ["stg_trips"], {})["success"]
    lib.close()


def test_missing_dbt_installation_fails_clearly(fake_dbt: dict[str, Any]) -> None:
    target = {**fake_dbt["target"], "dbt_command": []}
    with pytest.raises(ValueError, match="has no dbt_command"):
        DbtLibrary(target=target).run_keyword("run_dbt", [], {})
    lib = DbtLibrary(target=fake_dbt["target"], dbt_command=os.devnull + "-no-such-dbt")
    with pytest.raises(FileNotFoundError, match="dbt executable not found"):
        lib.run_keyword("run_dbt", [], {})


def test_scratch_roots_take_no_lock_and_pass_the_correlation_id(fake_dbt: dict[str, Any]) -> None:
    scratch = {"silver_root": "s3://lh-dbt-x", "gold_root": "s3://lh-dbt-x"}
    lib = DbtLibrary(target=fake_dbt["target"], vars=scratch, lock_timeout="0.5 s")
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(str(fake_dbt["lock"]), 3.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        # the platform's lock is held, yet a run into scratch roots proceeds at once
        assert lib.run_keyword("build_dbt", ["tag:silver"], {"correlation_id": "cid-1"})["success"]
        seen = json.loads(fake_dbt["record"].read_text())
        assert seen["env"]["LH_DBT_CORRELATION_ID"] == "cid-1"
        # a run that writes the platform's Gold (only Silver moved) waits for the lock and times out
        with pytest.raises(DbtLockTimeout, match="held by pid"):
            lib.run_keyword("run_dbt", ["tag:gold"], {"vars": {"gold_root": "s3://m"}})
    finally:
        holder.join(10)
    lib.run_keyword("run_dbt", ["tag:gold"], {})
    assert "LH_DBT_CORRELATION_ID" not in json.loads(fake_dbt["record"].read_text())["env"]
    lib.close()


def test_partial_parse_file_is_shared_between_identical_invocations(tmp_path: Path) -> None:
    from DbtLibrary.runner import PARTIAL_PARSE, parse_cache_key, warm_partial_parse

    args = ["run", "--project-dir", "p", "--profiles-dir", "p", "--vars", "{a: 1}"]
    key = parse_cache_key(["dbt"], args, {"LH_SILVER_ROOT": "s3://c", "LH_DBT_CORRELATION_ID": "x"})
    # the correlation id is read at execution only: it does not change what dbt parses
    assert key == parse_cache_key(["dbt"], args, {"LH_SILVER_ROOT": "s3://c", "LH_DBT_CORRELATION_ID": "y"})
    assert key != parse_cache_key(["dbt"], [*args[:-1], "{a: 2}"], {"LH_SILVER_ROOT": "s3://c"})
    cache, first, second = tmp_path / "cache", tmp_path / "w1" / "target", tmp_path / "w2" / "target"
    with warm_partial_parse(cache, key, first):
        first.mkdir(parents=True)
        (first / PARTIAL_PARSE).write_bytes(b"manifest-1")  # what dbt writes
    with warm_partial_parse(cache, key, second):
        assert (second / PARTIAL_PARSE).read_bytes() == b"manifest-1"  # seeded before dbt starts
    with warm_partial_parse(cache, "another-key", tmp_path / "w3" / "target"):
        assert not (tmp_path / "w3" / "target" / PARTIAL_PARSE).exists()
