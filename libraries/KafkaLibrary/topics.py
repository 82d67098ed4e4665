"""Topic administration keywords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic, ResourceType
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify, verify_list
from lhkit.target import require_test_environment

from .context import AREA, KafkaComponent, UnknownTopic, describe


class TopicKeywords(KafkaComponent):
    @keyword(tags=(AREA, "Getter"))
    def list_topics(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        include_internal: bool = False,
        retry_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
    ) -> list[str]:
        """Returns the sorted topic names on the broker (physical names, with the target's prefix);
        internal ``__*``/``_*`` topics only with ``include_internal``. Optionally asserts the list:
        ``contains`` / ``not contains`` take one name or a list.

        | ${topics}= | List Topics |
        | List Topics | contains | trips |
        """
        seconds = self.timeout(timeout)

        def names() -> list[str]:
            found = sorted(self.topic_metadata(seconds))
            return found if include_internal else [n for n in found if not n.startswith("_")]

        topics = get_and_verify(
            names,
            assertion_operator,
            assertion_expected,
            f"Topics on {self.bootstrap}",
            message,
            retry_timeout,
            verify=verify_list,
        )
        logger.info(f"{len(topics)} topic(s) on {self.bootstrap}: {', '.join(topics)}")
        return topics

    @keyword(tags=(AREA, "Assertion"))
    def topic_should_exist(self, topic: str, timeout: timedelta | None = None, message: str | None = None) -> None:
        """Fails unless ``topic`` exists (a logical name gets the target's prefix).

        | Topic Should Exist | trips |
        """
        try:
            self.require_topic(self.physical(topic), self.timeout(timeout))
        except UnknownTopic as error:
            raise AssertionError(message or str(error)) from None

    @keyword(tags=(AREA, "Assertion"))
    def topic_should_not_exist(self, topic: str, timeout: timedelta | None = None, message: str | None = None) -> None:
        """Fails if ``topic`` exists.

        | Topic Should Not Exist | trips-typo |
        """
        name = self.physical(topic)
        if name in self.topic_metadata(self.timeout(timeout)):
            raise AssertionError(message or f"Topic '{name}' should not exist on {self.bootstrap} but does")

    @keyword(tags=(AREA, "Getter"))
    def get_topic_partitions(
        self,
        topic: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
        timeout: timedelta | None = None,
    ) -> int:
        """Returns the number of partitions of ``topic``; optionally asserts it, retrying for
        ``retry_timeout`` until the assertion holds.

        | ${n}= | Get Topic Partitions | trips |
        | Get Topic Partitions | gps-pings | == | 8 |
        | Get Topic Partitions | scratch-${cid} | == | 4 | retry_timeout=10 s |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        return get_and_verify(
            lambda: len(self.require_topic(name, seconds).partitions),
            assertion_operator,
            assertion_expected,
            f"Partitions of topic '{name}'",
            message,
            retry_timeout,
            verify=int_str_verify_assertion,
        )

    @keyword(tags=(AREA, "Getter"))
    def describe_topic(self, topic: str, timeout: timedelta | None = None) -> dict[str, Any]:
        """Returns ``{name, partition_count, partitions: [{id, leader, replicas, isrs}], config: {...}}``
        and logs it. ``config`` holds the settings that differ from the broker defaults.

        | ${info}= | Describe Topic | trips |
        | Should Be Equal As Integers | ${info}[partition_count] | 4 |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        meta = self.require_topic(name, seconds)
        partitions = [
            {"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs)}
            for p in sorted(meta.partitions.values(), key=lambda p: p.id)
        ]
        resource = ConfigResource(ResourceType.TOPIC, name)
        try:
            entries = (
                self.admin().describe_configs([resource], request_timeout=seconds)[resource].result(timeout=seconds)
            )
            config = {k: v.value for k, v in entries.items() if not v.is_default}
        except KafkaException as error:
            raise AssertionError(f"Could not read the configuration of topic '{name}': {describe(error)}") from None
        info = {"name": name, "partition_count": len(partitions), "partitions": partitions, "config": config}
        htmllog.log_json(info, title=f"Topic {name}")
        return info

    @keyword(tags=(AREA, "Setter"))
    def create_topic(
        self,
        topic: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        exist_ok: bool = False,
        timeout: timedelta | None = None,
    ) -> None:
        """Creates ``topic`` and waits until its metadata shows every partition with a leader.

        With ``exist_ok=True`` an existing topic with the same partition count is accepted.

        | Create Topic | scratch-${cid} | partitions=3 |
        | Create Topic | trips | 4 | exist_ok=True |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        existing = self.topic_metadata(seconds).get(name)
        if existing is not None:
            if exist_ok and len(existing.partitions) == partitions:
                logger.info(f"Topic '{name}' already exists with {partitions} partition(s)")
                return
            raise AssertionError(
                f"Topic '{name}' already exists with {len(existing.partitions)} partition(s) "
                f"(wanted {partitions}{', exist_ok=True needs the same count' if exist_ok else ''})"
            )
        new = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=config or {})
        future = self.admin().create_topics([new], request_timeout=seconds)[name]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not create topic '{name}': {describe(error)}") from None
        self._wait_for_partitions(name, partitions, seconds)
        logger.info(f"Created topic '{name}' with {partitions} partition(s)")

    @keyword(tags=(AREA, "Destructive"))
    def delete_topic(self, topic: str, missing_ok: bool = False, timeout: timedelta | None = None) -> None:
        """Deletes ``topic`` and waits until it is gone. Destructive: test environments only.

        | Delete Topic | scratch-${cid} |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        require_test_environment(self.target, f"delete topic '{name}'")
        if name not in self.topic_metadata(seconds):
            if missing_ok:
                logger.info(f"Topic '{name}' does not exist; nothing to delete")
                return
            self.require_topic(name, seconds)
        future = self.admin().delete_topics([name], request_timeout=seconds)[name]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not delete topic '{name}': {describe(error)}") from None
        self.wait_until(
            lambda: name in self.topic_metadata(seconds),
            lambda present: not present,
            timeout=seconds,
            description=f"topic '{name}' to disappear from metadata",
            describe=lambda present: "still listed" if present else "gone",
        )
        logger.info(f"Deleted topic '{name}'")

    @keyword(tags=(AREA, "Destructive"))
    def recreate_topic(
        self,
        topic: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        timeout: timedelta | None = None,
    ) -> None:
        """Deletes ``topic`` if present and creates it empty. Destructive: test environments only.

        ``timeout`` bounds the delete and the create each.

        | Recreate Topic | scratch-${cid} | partitions=2 |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        require_test_environment(self.target, f"recreate topic '{name}'")
        self.delete_topic(name, missing_ok=True, timeout=seconds)

        # The broker may briefly refuse a create right after a delete; retry on that error only.
        def attempt() -> bool:
            try:
                self.create_topic(name, partitions, replication_factor, config, timeout=seconds)
            except AssertionError as error:
                if "TOPIC_ALREADY_EXISTS" in str(error) or "marked for deletion" in str(error):
                    return False
                raise
            return True

        self.wait_until(attempt, timeout=seconds, description=f"topic '{name}' to be re-created", interval=0.5)

    @keyword(tags=(AREA, "Setter"))
    def add_topic_partitions(self, topic: str, total: int, timeout: timedelta | None = None) -> None:
        """Grows ``topic`` to ``total`` partitions (Kafka cannot shrink them).

        | Add Topic Partitions | scratch-${cid} | 4 |
        """
        name, seconds = self.physical(topic), self.timeout(timeout)
        self.require_topic(name, seconds)
        future = self.admin().create_partitions([NewPartitions(name, total)], request_timeout=seconds)[name]
        try:
            future.result(timeout=seconds)
        except KafkaException as error:
            raise AssertionError(f"Could not grow topic '{name}' to {total} partitions: {describe(error)}") from None
        self._wait_for_partitions(name, total, seconds)

    def _wait_for_partitions(self, name: str, partitions: int, seconds: float) -> None:
        def count() -> int:
            meta = self.topic_metadata(seconds).get(name)
            if meta is None or meta.error is not None:
                return 0
            # Count only partitions that already have a leader, so produce/list_offsets work at once.
            return sum(1 for p in meta.partitions.values() if p.leader >= 0 and p.error is None)

        self.wait_until(
            count,
            lambda n: n == partitions,
            timeout=seconds,
            description=f"topic '{name}' to show {partitions} partition(s) with leaders",
            describe=lambda n: f"{n} partition(s) with a leader",
            log=False,
        )
