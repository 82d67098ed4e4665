"""The service catalogue: closure over dependencies, start order, validation."""

from __future__ import annotations

import pytest

from lakehouse.catalogue import Probe, Service, all_services, closure, topological
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


def test_real_catalogue_is_consistent(tmp_path: object) -> None:
    cat = all_services(Settings.load())
    core = [s.name for s in closure(cat, ["core"])]
    assert {"kafka", "schema-registry", "s3", "kafka-init", "s3-init", "schema-init"} <= set(core)
    assert core.index("kafka") < core.index("kafka-init")
    for service in cat.values():
        assert service.memory_mb > 0, service.name
        joined = " ".join(service.command)
        if "java" in service.command[0]:
            assert "-Xmx" in joined, f"{service.name}: JVM without an explicit heap"


def test_every_port_binds_loopback() -> None:
    s = Settings.load()
    cat = all_services(s)
    kafka = " ".join(cat["kafka"].command)
    assert "kafka.Kafka" in kafka
    assert "-ip.bind=127.0.0.1" in cat["s3"].command
    assert f"-Dquarkus.http.host={s.host}" in cat["schema-registry"].command
    assert s.host == "127.0.0.1"
