"""Kafka: write server.properties and log4j2 config, format KRaft storage once."""

from __future__ import annotations

import subprocess

from lakehouse.jvm import java_executable
from lakehouse.provision.core import kafka_lib_dir
from lakehouse.settings import Settings

CLUSTER_ID_FILE = "cluster.id"


def prepare(settings: Settings) -> None:
    s = settings
    home = s.data_dir / "kafka"
    data = home / "data"
    (home / "logs").mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    broker = f"{s.host}:{s.ports['kafka']}"
    controller = f"{s.host}:{s.ports['kafka_controller']}"
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": controller,
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        # Topics are created by kafka-init with their partition counts; an unknown
        # topic must be an error, not silently created with one partition.
        "auto.create.topics.enable": "false",
        "delete.topic.enable": "true",
        "log.retention.hours": "24",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    (home / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    (home / "log4j2.properties").write_text(
        "status = warn\n"
        "appender.console.type = Console\n"
        "appender.console.name = STDOUT\n"
        "appender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = INFO\n"
        "rootLogger.appenderRef.stdout.ref = STDOUT\n"
        "logger.kafka.name = kafka\nlogger.kafka.level = WARN\n"
        "logger.apache.name = org.apache.kafka\nlogger.apache.level = WARN\n"
        "logger.server.name = kafka.server.KafkaRaftServer\nlogger.server.level = INFO\n"
    )
    if (data / "meta.properties").exists():
        return
    cid_file = home / CLUSTER_ID_FILE
    cp = f"{kafka_lib_dir(s)}/*"
    java = java_executable(17)
    if not cid_file.exists():
        cid = subprocess.run(
            [java, "-Xmx128m", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout.strip().splitlines()[-1]
        cid_file.write_text(cid)
    subprocess.run(
        [java, "-Xmx128m", "-cp", cp, "kafka.tools.StorageTool", "format", "--standalone", "--ignore-formatted",
         "-t", cid_file.read_text().strip(), "-c", str(home / "server.properties")],
        check=True, timeout=120,
    )
