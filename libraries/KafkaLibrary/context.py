"""Connection handling shared by the KafkaLibrary components: lazy target, cached clients, errors."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from robot.api.deco import keyword  # noqa: F401  (re-exported for components)

import lhkit
from lhkit.target import Target

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


class KafkaUnavailable(ConnectionError):
    """The bootstrap servers did not answer in time."""

    ROBOT_SUPPRESS_NAME = True


class UnknownTopic(AssertionError):
    ROBOT_SUPPRESS_NAME = True


class KafkaContext:
    """Holds the target and the long-lived clients. Nothing here changes keyword behaviour."""

    def __init__(self, target: Target | Mapping[str, Any] | None = None, bootstrap: str | None = None):
        self._target_arg = target
        self._bootstrap_arg = bootstrap
        self._target: Target | None = None
        self._producer: Producer | None = None
        self._admin: AdminClient | None = None
        self._lock = threading.Lock()

    @property
    def target(self) -> Target:
        if self._target is None:
            arg = self._target_arg
            if isinstance(arg, Target):
                target = arg
            elif arg:
                target = Target.from_mapping(arg)
            else:
                target = lhkit.current()
            if self._bootstrap_arg:
                target = target.with_overrides(kafka_bootstrap=self._bootstrap_arg)
            if not target.kafka_bootstrap:
                raise ValueError(f"Target '{target.name}' has no kafka_bootstrap")
            self._target = target
        return self._target

    @property
    def bootstrap(self) -> str:
        return self.target.kafka_bootstrap

    def base_config(self) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 10_000, "log_level": 0}

    def admin(self) -> AdminClient:
        with self._lock:
            if self._admin is None:
                self._admin = AdminClient(self.base_config())
            return self._admin

    def producer(self) -> Producer:
        with self._lock:
            if self._producer is None:
                self._producer = Producer({**self.base_config(), **PRODUCER_DEFAULTS})
            return self._producer

    def topic_metadata(self, timeout: float) -> dict[str, Any]:
        """All topics (no topic-specific request, so the broker never auto-creates one)."""
        try:
            return self.admin().list_topics(timeout=timeout).topics
        except KafkaException as error:
            raise KafkaUnavailable(
                f"Kafka at {self.bootstrap} did not return metadata within {timeout:g} s: {describe(error)}"
            ) from error

    def require_topic(self, name: str, timeout: float) -> Any:
        topics = self.topic_metadata(timeout)
        meta = topics.get(name)
        if meta is None or (meta.error is not None and meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
            known = ", ".join(sorted(t for t in topics if not t.startswith("_"))) or "none"
            raise UnknownTopic(f"Topic '{name}' does not exist on {self.bootstrap}. Existing topics: {known}")
        return meta

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.flush(5)
                self._producer = None
            self._admin = None


def describe(error: BaseException) -> str:
    if isinstance(error, KafkaException) and error.args and isinstance(error.args[0], KafkaError):
        err: KafkaError = error.args[0]
        return f"{err.name()}: {err.str()}"
    return f"{type(error).__name__}: {error}"


class LibraryComponent:
    def __init__(self, ctx: KafkaContext):
        self.ctx = ctx
