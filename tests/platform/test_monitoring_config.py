"""The monitoring profile's declarations: loopback only, budgets, generated configs, the memory exporter's text."""

from __future__ import annotations

from contract.lifecycle import ServiceStatus
from lakehouse.catalogue import all_services
from lakehouse.catalogue.core import kafka_jmx_agent
from lakehouse.monitoring.memory_exporter import render
from lakehouse.services.monitoring import SCRAPE_JOBS, alertmanager_config, prometheus_config
from lakehouse.settings import Settings


def monitoring(s: Settings) -> dict:
    return {n: svc for n, svc in all_services(s).items() if svc.profile == "monitoring"}


def test_the_profile_declares_its_four_services_with_budgets_and_no_dependency() -> None:
    services = monitoring(Settings.load())
    assert set(services) == {"prometheus", "alertmanager", "statsd-exporter", "memory-exporter"}
    for svc in services.values():
        assert svc.memory_mb > 0 and not svc.depends_on and svc.probe.kind == "http", svc.name


def test_every_listener_is_on_loopback_and_alertmanager_opens_no_cluster_port() -> None:
    s = Settings.load()
    services = monitoring(s)
    assert f"--web.listen-address=127.0.0.1:{s.ports['prometheus']}" in services["prometheus"].command
    assert f"--web.listen-address=127.0.0.1:{s.ports['alertmanager']}" in services["alertmanager"].command
    assert "--cluster.listen-address=" in services["alertmanager"].command
    statsd = services["statsd-exporter"].command
    assert f"--statsd.listen-udp=127.0.0.1:{s.ports['statsd_udp']}" in statsd
    assert "--statsd.listen-tcp=" in statsd
    agent = kafka_jmx_agent(s)
    assert agent == [] or agent[0].split("=", 1)[1].startswith(f"127.0.0.1:{s.ports['kafka_jmx']}:")


def test_prometheus_scrapes_every_job_on_this_instances_ports(monkeypatch) -> None:
    monkeypatch.setenv("LH_PORT_STREAMING_METRICS", "28090")
    s = Settings.load()
    config = prometheus_config(s)
    targets = {c["job_name"]: c["static_configs"][0]["targets"] for c in config["scrape_configs"]}
    assert set(targets) == set(SCRAPE_JOBS)
    assert targets["streaming"] == ["127.0.0.1:28090"]
    assert config["global"]["scrape_interval"] == "2s"
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        f"127.0.0.1:{s.ports['alertmanager']}"
    ]
    assert alertmanager_config()["receivers"] == [{"name": "null"}]


def test_the_memory_exporter_renders_budgets_for_all_and_memory_for_running_services() -> None:
    text = render(
        [
            ServiceStatus("kafka", "core", "RUNNING", pid=1, rss_bytes=300 * 2**20, memory_budget_mb=768),
            ServiceStatus("kafka-init", "core", "EXITED", oneshot=True, memory_budget_mb=256),
        ],
        {"kafka": 123},
    )
    lines = text.splitlines()
    assert 'lakehouse_service_memory_budget_bytes{service="kafka",profile="core"} 805306368' in lines
    assert 'lakehouse_service_memory_budget_bytes{service="kafka-init",profile="core"} 268435456' in lines
    assert 'lakehouse_service_memory_bytes{service="kafka",profile="core"} 314572800' in lines
    assert not any(line.startswith('lakehouse_service_memory_bytes{service="kafka-init"') for line in lines)
    assert 'lakehouse_service_running{service="kafka-init",profile="core"} 0' in lines
    assert 'lakehouse_service_cgroup_memory_bytes{service="kafka",profile="core"} 123' in lines


def test_kafka_loads_the_jmx_agent_only_when_its_jar_is_provisioned(monkeypatch, tmp_path) -> None:
    import lakehouse.catalogue.core as core

    s = Settings.load()
    jar = tmp_path / "jmx_prometheus_javaagent.jar"
    monkeypatch.setattr(core, "jmx_agent_jar", lambda settings: jar)
    without = all_services(s)["kafka"]
    assert not any(a.startswith("-javaagent") for a in without.command)
    assert without.jvm is not None and without.jvm.cds_archive.endswith("kafka.jsa")
    jar.write_bytes(b"")
    with_agent = all_services(s)["kafka"]
    agents = [a for a in with_agent.command if a.startswith("-javaagent")]
    assert agents == [
        f"-javaagent:{jar}=127.0.0.1:{s.ports['kafka_jmx']}:{s.repo_root}/lakehouse/monitoring/kafka-jmx.yml"
    ]
    # Java 17 refuses to dump a class-data archive while an agent runs: no archive with the agent.
    assert with_agent.jvm is not None and with_agent.jvm.cds_archive == ""
    assert with_agent.command.index(agents[0]) < with_agent.command.index("kafka.Kafka")
