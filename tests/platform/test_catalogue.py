"""The service catalogue: declarations only, closure over dependencies, profiles without services."""

from __future__ import annotations

import subprocess

import pytest

from contract.platform import PROBE_KINDS, PROFILES
from lakehouse.catalogue import Probe, Service, all_services, closure, profiles_of, services_for, topological
from lakehouse.runner.launch import argv
from lakehouse.settings import Settings


def svc(name: str, profile: str = "core", deps: tuple[str, ...] = ()) -> Service:
    return Service(name=name, profile=profile, command=["true"], probe=Probe("tcp", "1"), memory_mb=1, depends_on=deps)


def test_closure_follows_dependencies_across_profiles() -> None:
    cat = {s.name: s for s in [svc("a"), svc("b", deps=("a",)), svc("c", "data-platform", ("b",)), svc("d", "bi")]}
    names = [s.name for s in closure(cat, ["data-platform"])]
    assert names == ["a", "b", "c"]


def test_topological_rejects_cycles() -> None:
    with pytest.raises(ValueError, match="cycle"):
        topological([svc("a", deps=("b",)), svc("b", deps=("a",))])


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown profile"):
        closure({}, ["nope"])


def test_every_profile_has_services() -> None:
    assert set(PROFILES) <= set(profiles_of(all_services(Settings.load()).values()))


@pytest.mark.parametrize("profile", ["monitoring", "bi"])
def test_profile_without_services_is_refused_not_started_empty(profile: str) -> None:
    """A platform that declares no service for a known profile refuses to start it as an empty success."""
    cat = {name: s for name, s in all_services(Settings.load()).items() if s.profile != profile}
    with pytest.raises(ValueError, match=f"profile '{profile}' has no services in this platform yet"):
        services_for(cat, ["core", profile])


def test_probe_kinds_are_the_contracts() -> None:
    with pytest.raises(ValueError, match="Unknown probe kind 'python'"):
        Probe("python", "module:function")
    for service in all_services(Settings.load()).values():
        assert service.probe.kind in PROBE_KINDS, service.name
        assert service.info().probe.kind == service.probe.kind


def test_building_the_catalogue_runs_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the catalogue ran a process: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    assert "kafka" in all_services(Settings.load())


def test_no_program_is_stored_in_a_string() -> None:
    for service in all_services(Settings.load()).values():
        assert "-c" not in service.command[:3], f"{service.name}: inline program {service.command[:3]}"
        assert not any("\n" in arg for arg in service.command), service.name


def test_real_catalogue_is_consistent() -> None:
    cat = all_services(Settings.load())
    core = [s.name for s in closure(cat, ["core"])]
    assert {"kafka", "schema-registry", "s3", "kafka-init", "s3-init", "schema-init"} <= set(core)
    assert core.index("kafka") < core.index("kafka-init")
    for service in cat.values():
        assert service.memory_mb > 0, service.name
        if service.jvm is not None:
            assert any(a.startswith("-Xmx") for a in service.command), f"{service.name}: JVM without an explicit heap"


def test_jvm_services_get_java_at_launch() -> None:
    kafka = all_services(Settings.load())["kafka"]
    assert kafka.jvm is not None and kafka.jvm.min_release == 17
    command = argv(kafka)
    assert command[0].endswith("/java")
    assert command[-len(kafka.command):] == kafka.command


def test_platform_services_run_with_the_platform_python() -> None:
    s = Settings.load()
    cat = all_services(s)
    for name in ("kafka-init", "s3-init", "schema-init", "bronze-init"):
        assert cat[name].command[0] == str(s.platform_python), name
    assert cat["s3"].command[0] == str(s.platform_venv_dir / "bin" / "weed")


def test_every_port_binds_loopback() -> None:
    s = Settings.load()
    cat = all_services(s)
    kafka = " ".join(cat["kafka"].command)
    assert "kafka.Kafka" in kafka
    assert "-ip.bind=127.0.0.1" in cat["s3"].command
    assert f"-Dquarkus.http.host={s.host}" in cat["schema-registry"].command
    assert s.host == "127.0.0.1"


def test_names_reach_the_streaming_job_and_the_dag_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LH_TOPIC_PREFIX", "iso.")
    monkeypatch.setenv("LH_BUCKET_BRONZE", "iso-bronze")
    s = Settings.load()
    cat = all_services(s)
    streaming = cat["bronze-streaming"].env
    assert streaming["LH_TOPIC_PREFIX"] == "iso."
    assert streaming["LH_BUCKET_BRONZE"] == "iso-bronze"
    assert streaming["LH_STREAMING_CHECKPOINT"] == str(s.streaming_checkpoint_dir)
    tasks = cat["airflow-scheduler"].env
    assert tasks["LH_BRONZE_ROOT"] == "s3://iso-bronze"
    assert tasks["LH_DBT_EXECUTABLE"] == str(s.dbt_executable)
    assert tasks["LH_DBT_LOCK_FILE"] == str(s.dbt_lock_file)
    assert tasks["PYTHONPATH"] == str(s.repo_root)
    assert "LH_S3_SECRET_KEY" in cat["airflow-scheduler"].secret_env
