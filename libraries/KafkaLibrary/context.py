"""What the KafkaLibrary components share: cached clients on the library context, topic names, errors."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from lhkit.component import LibraryComponent

# Producer settings tuned for throughput on loopback; acks=all keeps tests honest about durability.
PRODUCER_DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 5,
    "batch.size": 1_000_000,
    "batch.num.messages": 10_000,
    "queue.buffering.max.messages": 200_000,
    "queue.buffering.max.kbytes": 262_144,
    "compression.type": "lz4",
    "message.timeout.ms": 30_000,
    "socket.timeout.ms": 10_000,
    # Never let a typo create a topic on the broker.
    "allow.auto.create.topics": False,
}
AREA = "Kafka"


class KafkaUnavailable(ConnectionError):
    """The bootstrap servers did not answer in time."""

    ROBOT_SUPPRESS_NAME = True


class UnknownTopic(AssertionError):
    ROBOT_SUPPRESS_NAME = True


def describe(error: BaseException) -> str:
    if isinstance(error, KafkaException) and error.args and isinstance(error.args[0], KafkaError):
        err: KafkaError = error.args[0]
        return f"{err.name()}: {err.str()}"
    return f"{type(error).__name__}: {error}"


def _close_producer(producer: Producer) -> None:
    producer.flush(5)


class KafkaComponent(LibraryComponent):
    """Base of the KafkaLibrary components: broker address, cached clients, topic name mapping."""

    @property
    def bootstrap(self) -> str:
        return self.target.kafka_bootstrap

    def base_config(self) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 10_000, "log_level": 0}

    def admin(self) -> AdminClient:
        return self.ctx.resource("kafka.admin", lambda: AdminClient(self.base_config()))

    def producer(self) -> Producer:
        return self.ctx.resource(
            "kafka.producer", lambda: Producer({**self.base_config(), **PRODUCER_DEFAULTS}), _close_producer
        )

    def physical(self, topic: str) -> str:
        """The broker's name of ``topic``: a contract topic (logical ``trips``, table ``gps_pings`` or
        already physical ``<prefix>trips``) gets the target's prefix; any other name is used as given."""
        try:
            return self.target.topic_name(topic)
        except KeyError:
            return topic

    def key_field(self, topic: str) -> str | None:
        """The contract key field of ``topic`` (logical or physical), ``None`` for a non-contract topic."""
        try:
            return self.target.topic(topic).key_field
        except KeyError:
            return None

    def topic_metadata(self, timeout: float) -> dict[str, Any]:
        """All topics (no topic-specific request, so the broker never auto-creates one)."""
        try:
            return self.admin().list_topics(timeout=timeout).topics
        except KafkaException as error:
            raise KafkaUnavailable(
                f"Kafka at {self.bootstrap} did not return metadata within {timeout:g} s: {describe(error)}"
            ) from error

    def require_topic(self, name: str, timeout: float) -> Any:
        """Metadata of the physical topic ``name``; fails naming the existing topics if it is absent."""
        topics = self.topic_metadata(timeout)
        meta = topics.get(name)
        if meta is None or (meta.error is not None and meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
            known = ", ".join(sorted(t for t in topics if not t.startswith("_"))) or "none"
            raise UnknownTopic(f"Topic '{name}' does not exist on {self.bootstrap}. Existing topics: {known}")
        return meta
