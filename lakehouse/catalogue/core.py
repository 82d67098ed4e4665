"""The ``core`` profile: Kafka (KRaft), the schema registry, S3, and their init steps."""

from __future__ import annotations

from lakehouse.catalogue.base import Jvm, Probe, Service
from lakehouse.provision.core import APICURIO_JAVA_RELEASE, apicurio_dir, kafka_lib_dir
from lakehouse.provision.monitoring import jmx_agent_jar
from lakehouse.settings import Settings

PROFILE = "core"

KAFKA_HEAP_MB = 384
REGISTRY_HEAP_MB = 192


def kafka_jmx_agent(s: Settings) -> list[str]:
    """The Prometheus JMX exporter agent on ``127.0.0.1:<kafka_jmx>``, **only when its jar is provisioned**
    (``python -m lakehouse.provision --profile monitoring``): without it Kafka starts exactly as before."""
    jar = jmx_agent_jar(s)
    if not jar.exists():
        return []
    config = s.repo_root / "lakehouse" / "monitoring" / "kafka-jmx.yml"
    return [f"-javaagent:{jar}={s.host}:{s.ports['kafka_jmx']}:{config}"]


def services(settings: Settings) -> list[Service]:
    s = settings
    py = str(s.platform_python)
    kafka_dir = s.data_dir / "kafka"
    b = s.ports["s3_base"]
    weed = str(s.platform_venv_dir / "bin" / "weed")
    cds = s.artifacts_dir / "cds"
    agent = kafka_jmx_agent(s)
    return [
        Service(
            name="kafka",
            profile=PROFILE,
            description="Apache Kafka 4.x, one KRaft broker+controller",
            # No class-data archive with the agent: Java 17 refuses to dump one while an agent runs.
            jvm=Jvm(17, "" if agent else str(cds / "kafka.jsa")),
            command=[
                f"-Xms{KAFKA_HEAP_MB // 2}m",
                f"-Xmx{KAFKA_HEAP_MB}m",
                "-XX:+UseSerialGC",
                "-XX:MaxMetaspaceSize=96m",
                "-Djava.awt.headless=true",
                f"-Dkafka.logs.dir={kafka_dir / 'logs'}",
                f"-Dlog4j2.configurationFile={kafka_dir / 'log4j2.properties'}",
                *agent,
                "-cp",
                f"{kafka_lib_dir(s)}/*",
                "kafka.Kafka",
                str(kafka_dir / "server.properties"),
            ],
            prepare="lakehouse.services.kafka:prepare",
            probe=Probe("kafka"),
            memory_mb=768,
            # Ready in ~8 s on a quiet machine; with all five profiles starting at once on 2 cores
            # (Superset's and Airflow's migrations beside it) the controller stalled for 11 s and the
            # broker answered metadata only after 60 s (CI, 2026-12-01).
            start_timeout=150,
        ),
        Service(
            name="schema-registry",
            profile=PROFILE,
            description="Apicurio Registry 3.x serving the Confluent-compatible (ccompat v7) API",
            jvm=Jvm(APICURIO_JAVA_RELEASE, str(cds / "schema-registry.jsa")),
            command=[
                "-Xms32m",
                f"-Xmx{REGISTRY_HEAP_MB}m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:MaxMetaspaceSize=128m",
                "-Xss512k",
                f"-Dquarkus.http.host={s.host}",
                f"-Dquarkus.http.port={s.ports['schema_registry']}",
                # Quarkus' management interface (health, metrics) is built in; it
                # would otherwise listen on *:9000.
                f"-Dquarkus.management.host={s.host}",
                f"-Dquarkus.management.port={s.ports['schema_registry_management']}",
                # Confluent's default; Apicurio has no global rule unless told.
                "-Dapicurio.rules.global.compatibility=BACKWARD",
                "-Dapicurio.rest.deletion.artifact.enabled=true",
                "-Dapicurio.rest.deletion.artifact-version.enabled=true",
                "-Dapicurio.rest.deletion.group.enabled=true",
                f"-Dapicurio.datasource.url=jdbc:h2:file:{s.data_dir / 'schema-registry' / 'registry'}",
                "-Dquarkus.log.console.json=false",
                "-jar",
                str(apicurio_dir(s) / "quarkus-run.jar"),
            ],
            prepare="lakehouse.services.registry:prepare",
            probe=Probe("schema_registry"),
            memory_mb=512,
            start_timeout=90,
        ),
        Service(
            name="s3",
            profile=PROFILE,
            description="SeaweedFS 'weed mini' S3 gateway with SigV4 credentials",
            command=[
                weed,
                "mini",
                f"-dir={s.data_dir / 's3'}",
                f"-ip={s.host}",
                f"-ip.bind={s.host}",
                "-admin.ui=false",
                "-webdav=false",
                f"-master.port={b}",
                f"-volume.port={b + 1}",
                f"-filer.port={b + 2}",
                f"-s3.port={b + 3}",
                f"-s3.port.iceberg={b + 4}",
                f"-admin.port={b + 5}",
                f"-s3.port.lance={b + 6}",
                f"-s3.localSocket={s.run_dir / 'weed-s3.sock'}",
                f"-filer.localSocket={s.run_dir / 'weed-filer.sock'}",
            ],
            env={
                "AWS_ACCESS_KEY_ID": s.s3_access_key,
                "AWS_SECRET_ACCESS_KEY": s.s3_secret_key,
                "GOMEMLIMIT": "384MiB",
            },
            secret_env=("AWS_SECRET_ACCESS_KEY",),
            prepare="lakehouse.services.s3:prepare",
            probe=Probe("s3"),
            memory_mb=640,
            start_timeout=60,
        ),
        Service(
            name="kafka-init",
            profile=PROFILE,
            description="Creates the domain topics with their partition counts",
            command=[py, "-m", "lakehouse.init.topics"],
            depends_on=("kafka",),
            probe=Probe("exited_ok"),
            memory_mb=256,
            oneshot=True,
        ),
        Service(
            name="s3-init",
            profile=PROFILE,
            description="Creates the bronze/silver/gold buckets",
            command=[py, "-m", "lakehouse.init.buckets"],
            depends_on=("s3",),
            probe=Probe("exited_ok"),
            memory_mb=256,
            oneshot=True,
        ),
        Service(
            name="schema-init",
            profile=PROFILE,
            description="Registers the event contracts as <topic>-value subjects (JSON)",
            command=[py, "-m", "lakehouse.init.subjects"],
            depends_on=("schema-registry",),
            probe=Probe("exited_ok"),
            memory_mb=256,
            oneshot=True,
        ),
    ]
