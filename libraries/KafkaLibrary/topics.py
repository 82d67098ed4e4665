"""Topic administration keywords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from confluent_kafka import KafkaException
from confluent_kafka.admin import NewPartitions, NewTopic
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog, require_test_environment, to_seconds, wait_until

from .context import LibraryComponent, UnknownTopic, describe

DEFAULT_ADMIN_TIMEOUT = 10.0


class TopicKeywords(LibraryComponent):
    @keyword(tags=("topics",))
    def list_topics(self, include_internal: bool = False, timeout: timedelta = timedelta(seconds=10)) -> list[str]:
        """Returns the sorted topic names (internal ``__*``/``_*`` topics only with ``include_internal``).

        | ${topics}= | List Topics |
        | Should Contain | ${topics} | trips |
        """
        names = sorted(self.ctx.topic_metadata(to_seconds(timeout, DEFAULT_ADMIN_TIMEOUT)))
        if not include_internal:
            names = [n for n in names if not n.startswith("_")]
        logger.info(f"{len(names)} topic(s) on {self.ctx.bootstrap}: {', '.join(names)}")
        return names

    @keyword(tags=("topics",))
    def topic_should_exist(
        self, topic: str, timeout: timedelta = timedelta(seconds=10), message: str | None = None
    ) -> None:
        """Fails unless ``topic`` exists.

        | Topic Should Exist | trips |
        """
        try:
            self.ctx.require_topic(topic, to_seconds(timeout, DEFAULT_ADMIN_TIMEOUT))
        except UnknownTopic as error:
            raise AssertionError(message or str(error)) from None

    @keyword(tags=("topics",))
    def topic_should_not_exist(
        self, topic: str, timeout: timedelta = timedelta(seconds=10), message: str | None = None
    ) -> None:
        """Fails if ``topic`` exists.

        | Topic Should Not Exist | trips-typo |
        """
        if topic in self.ctx.topic_metadata(to_seconds(timeout, DEFAULT_ADMIN_TIMEOUT)):
            raise AssertionError(message or f"Topic '{topic}' should not exist on {self.ctx.bootstrap} but does")

    @keyword(tags=("topics", "Getter"))
    def get_topic_partitions(
        self,
        topic: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        timeout: timedelta = timedelta(seconds=10),
    ) -> int:
        """Returns the number of partitions of ``topic``; optionally asserts it.

        | ${n}= | Get Topic Partitions | trips |
        | Get Topic Partitions | gps-pings | == | 8 |
        """
        meta = self.ctx.require_topic(topic, to_seconds(timeout, DEFAULT_ADMIN_TIMEOUT))
        count = len(meta.partitions)
        return int_str_verify_assertion(
            count, assertion_operator, assertion_expected, f"Partitions of topic '{topic}'", message
        )

    @keyword(tags=("topics",))
    def describe_topic(self, topic: str, timeout: timedelta = timedelta(seconds=10)) -> dict[str, Any]:
        """Returns ``{name, partitions: [{id, leader, replicas, isrs}], config: {...}}`` and logs it.

        | ${info}= | Describe Topic | trips |
        | Should Be Equal As Integers | ${info}[partition_count] | 4 |
        """
        seconds = to_seconds(timeout, DEFAULT_ADMIN_TIMEOUT)
        meta = self.ctx.require_topic(topic, seconds)
        partitions = [
            {"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs)}
            for p in sorted(meta.partitions.values(), key=lambda p: p.id)
        ]
        from confluent_kafka.admin import ConfigResource, ResourceType

        resource = ConfigResource(ResourceType.TOPIC, topic)
        try:
            entries = (
                self.ctx.admin().describe_configs([resource], request_timeout=seconds)[resource].result(timeout=seconds)
            )
            config = {k: v.value for k, v in entries.items() if not v.is_default}
        except KafkaException as error:
            raise AssertionError(f"Could not read the configuration of topic '{topic}': {describe(error)}") from None
        info = {"name": topic, "partition_count": len(partitions), "partitions": partitions, "config": config}
        htmllog.log_json(info, title=f"Topic {topic}")
        return info

    @keyword(tags=("topics",))
    def create_topic(
        self,
        topic: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        exist_ok: bool = False,
        timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        """Creates ``topic`` and waits until its metadata shows every partition.

        With ``exist_ok=True`` an existing topic with the same partition count is accepted.

        | Create Topic | scratch-${cid} | partitions=3 |
        | Create Topic | trips | 4 | exist_ok=True |
        """
        seconds = to_seconds(timeout, 30.0)
        existing = self.ctx.topic_metadata(seconds).get(topic)
        if existing is not None:
            if exist_ok and len(existing.partitions) == partitions:
                logger.info(f"Topic '{topic}' already exists with {partitions} partition(s)")
                return
            raise AssertionError(
                f"Topic '{topic}' already exists with {len(existing.partitions)} partition(s) "
                f"(wanted {partitions}{', exist_ok=True needs the same count' if exist_ok else ''})"
            )
        new = NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor, config=config or {})
        future = self.ctx.admin().create_topics([new], request_timeout=seconds)[topic]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not create topic '{topic}': {describe(error)}") from None
        self._wait_for_partitions(topic, partitions, seconds)
        logger.info(f"Created topic '{topic}' with {partitions} partition(s)")

    @keyword(tags=("topics", "destructive"))
    def delete_topic(self, topic: str, missing_ok: bool = False, timeout: timedelta = timedelta(seconds=30)) -> None:
        """Deletes ``topic`` and waits until it is gone. Destructive: test environments only.

        | Delete Topic | scratch-${cid} |
        """
        require_test_environment(self.ctx.target, f"delete topic '{topic}'")
        seconds = to_seconds(timeout, 30.0)
        if topic not in self.ctx.topic_metadata(seconds):
            if missing_ok:
                logger.info(f"Topic '{topic}' does not exist; nothing to delete")
                return
            self.ctx.require_topic(topic, seconds)
        future = self.ctx.admin().delete_topics([topic], request_timeout=seconds)[topic]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not delete topic '{topic}': {describe(error)}") from None
        wait_until(
            lambda: topic in self.ctx.topic_metadata(seconds),
            lambda present: not present,
            timeout=seconds,
            description=f"topic '{topic}' to disappear from metadata",
            describe=lambda present: "still listed" if present else "gone",
        )
        logger.info(f"Deleted topic '{topic}'")

    @keyword(tags=("topics", "destructive"))
    def recreate_topic(
        self,
        topic: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ) -> None:
        """Deletes ``topic`` if present and creates it empty. Destructive: test environments only.

        | Recreate Topic | scratch-${cid} | partitions=2 |
        """
        require_test_environment(self.ctx.target, f"recreate topic '{topic}'")
        self.delete_topic(topic, missing_ok=True, timeout=timeout)
        # The broker may briefly refuse a create right after a delete; retry on that error only.
        seconds = to_seconds(timeout, 60.0)

        def attempt() -> bool:
            try:
                self.create_topic(topic, partitions, replication_factor, config, timeout=timeout)
            except AssertionError as error:
                if "TOPIC_ALREADY_EXISTS" in str(error) or "marked for deletion" in str(error):
                    return False
                raise
            return True

        wait_until(attempt, timeout=seconds, description=f"topic '{topic}' to be re-created", interval=0.5)

    @keyword(tags=("topics",))
    def add_topic_partitions(self, topic: str, total: int, timeout: timedelta = timedelta(seconds=30)) -> None:
        """Grows ``topic`` to ``total`` partitions (Kafka cannot shrink them).

        | Add Topic Partitions | scratch-${cid} | 4 |
        """
        seconds = to_seconds(timeout, 30.0)
        self.ctx.require_topic(topic, seconds)
        future = self.ctx.admin().create_partitions([NewPartitions(topic, total)], request_timeout=seconds)[topic]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not grow topic '{topic}' to {total} partitions: {describe(error)}") from None
        self._wait_for_partitions(topic, total, seconds)

    def _wait_for_partitions(self, topic: str, partitions: int, seconds: float) -> None:
        def count() -> int:
            meta = self.ctx.topic_metadata(seconds).get(topic)
            if meta is None or meta.error is not None:
                return 0
            # Count only partitions that already have a leader, so produce/list_offsets work at once.
            return sum(1 for p in meta.partitions.values() if p.leader >= 0 and p.error is None)

        wait_until(
            count,
            lambda n: n == partitions,
            timeout=seconds,
            description=f"topic '{topic}' to show {partitions} partition(s) with leaders",
            describe=lambda n: f"{n} partition(s) with a leader",
            log=False,
        )
