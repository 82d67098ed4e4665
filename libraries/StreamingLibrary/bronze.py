"""Bronze keywords by correlation id: rows, counts, exactly-once and publish order."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from LakehouseLibrary.counts import RowCount
from lhkit.assertions import get_and_verify

from .base import POLL_INTERVAL, TRANSIENT, StreamingComponent


class BronzeKeywords(StreamingComponent):
    @keyword(tags=("Streaming", "Getter"))
    def get_bronze_rows(self, table: str, correlation_id: str) -> list[dict[str, Any]]:
        """Returns the Bronze rows of ``correlation_id`` in Kafka order (partition, offset), without waiting.

        ``table`` is a topic (``gps-pings``), a table (``gps_pings``) or ``bronze.gps_pings``. Each
        row has the Bronze columns plus ``event_id`` parsed from ``_raw_value``.

        | ${rows}= | Get Bronze Rows | trips | ${cid} |
        """
        return self.bronze_rows(self.table(table), correlation_id)

    @keyword(tags=("Streaming", "Getter"))
    def get_bronze_row_count(
        self,
        table: str,
        correlation_id: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Returns the number of rows of ``correlation_id`` in ``table`` (``dlq`` allowed); optionally asserts it.

        With ``retry_timeout`` the count is read again until the assertion holds.

        | Get Bronze Row Count | trips | ${cid} | == | 6 |
        | Get Bronze Row Count | dlq | ${cid} | >= | 1 | retry_timeout=30 s |
        """
        name = self.table(table)

        def read() -> int:
            sql = f"SELECT count(*) AS n FROM bronze.{name} WHERE correlation_id = ?"
            return int(self.engine().query(sql, [correlation_id])[0]["n"])

        return get_and_verify(
            read, assertion_operator, assertion_expected, f"Rows of '{correlation_id}' in bronze.{name}", message,
            retry_timeout, verify=int_str_verify_assertion,
        )

    @keyword(tags=("Streaming", "Wait"))
    def wait_for_bronze_rows(
        self,
        table: str,
        correlation_id: str,
        count: int | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        timeout: timedelta | None = None,
        message: str | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until ``table`` holds the expected rows of ``correlation_id``; returns them in Kafka order.

        ``count=N`` means exactly N: the wait polls until N rows are there and fails at once if
        more appear, naming the event ids seen more than once. For anything else give
        ``assertion_operator`` / ``assertion_expected`` (``>=`` ``6`` means at least six); with
        neither it waits for at least one row. Logs the rows and their lineage (topic, partition,
        offset → table and Delta version). ``timeout`` defaults to the library's.

        | ${rows}= | Wait For Bronze Rows | trips | ${cid} | count=6 | timeout=30 s |
        | ${rows}= | Wait For Bronze Rows | gps-pings | ${cid} | assertion_operator=>= | assertion_expected=10 |
        """
        name = self.table(table)
        what = f"row(s) with correlation_id '{correlation_id}' in bronze.{name}"
        expect = RowCount(what, count, assertion_operator, assertion_expected, message)
        rows = self.wait_until(
            lambda: self.bronze_rows(name, correlation_id),
            lambda r: expect.reached(len(r)),
            timeout=self.timeout(timeout),
            description=f"{expect.wanted} {what}",
            interval=POLL_INTERVAL,
            describe=lambda r: f"{len(r)} row(s)",
            transient=TRANSIENT,
        )
        self.log_rows(name, correlation_id, rows)
        dupes = {k: n for k, n in Counter(r.get("event_id") for r in rows).items() if n > 1}
        expect.verify(len(rows), f"; event ids seen more than once: {dupes or 'none'}")
        return rows

    @keyword(tags=("Streaming", "Assertion", "Wait"))
    def bronze_should_contain_each_event_exactly_once(
        self,
        table: str,
        correlation_id: str,
        event_ids: Sequence[str],
        timeout: timedelta | None = None,
    ) -> None:
        """Waits until every id in ``event_ids`` is in ``table``, then checks none is there twice.

        The exactly-once check of the recovery suite: before judging duplicates it waits until
        the job has caught up on the topic (replayed batches included); lists missing and
        duplicated ids. ``timeout`` (default: the library's) applies to each of the two waits.

        | Bronze Should Contain Each Event Exactly Once | gps-pings | ${cid} | ${ids} | timeout=2 min |
        """
        name = self.table(table)
        limit = self.timeout(timeout)
        wanted = list(event_ids)
        if len(set(wanted)) != len(wanted):
            raise ValueError("event_ids contains duplicates; pass each published event id once")

        def probe() -> Counter[str]:
            return Counter(r["event_id"] for r in self.bronze_rows(name, correlation_id))

        def describe(seen: Counter[str]) -> str:
            missing = [e for e in wanted if e not in seen]
            return f"{sum(seen.values())} row(s), {len(missing)} of {len(wanted)} ids missing (first: {missing[:3]})"

        seen = self.wait_until(
            probe,
            lambda c: all(e in c for e in wanted) or any(n > 1 for n in c.values()),
            timeout=limit,
            description=f"all {len(wanted)} events of '{correlation_id}' in bronze.{name}",
            interval=POLL_INTERVAL,
            describe=describe,
            transient=TRANSIENT,
        )
        if not any(n > 1 for n in seen.values()):
            # Absence of duplicates only counts once every planned (or replayed) batch is written.
            self.wait_caught_up([self.topic_of(name)], limit)
            seen = probe()
        dupes = {e: n for e, n in seen.items() if n > 1}
        unexpected = [e for e in seen if e not in set(wanted)]
        if dupes or unexpected:
            shown = dict(list(dupes.items())[:10])
            raise AssertionError(
                f"bronze.{name} must hold each of the {len(wanted)} events exactly once; "
                f"{len(dupes)} duplicated (first 10: {shown or 'none'}); "
                f"{len(unexpected)} not published by this test (first 10: {unexpected[:10] or 'none'})"
            )
        logger.info(f"bronze.{name} holds each of the {len(wanted)} events of '{correlation_id}' exactly once.")

    @keyword(tags=("Streaming", "Assertion"))
    def bronze_rows_should_be_in_publish_order(
        self, rows: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]], key_field: str | None = None
    ) -> None:
        """Checks that, per Kafka key, Bronze rows (Kafka order) carry the events in publish order.

        ``key_field`` defaults to the topic's contract key (e.g. ``trip_id``).

        | ${rows}= | Wait For Bronze Rows | trips | ${cid} | count=6 |
        | Bronze Rows Should Be In Publish Order | ${rows} | ${events} |
        """
        if not rows:
            raise AssertionError("No Bronze rows given")
        field = key_field or self.target.topic(str(rows[0]["_kafka_topic"])).key_field
        expected: dict[str, list[str]] = defaultdict(list)
        for event in events:
            expected[str(event[field])].append(str(event["event_id"]))
        actual: dict[str, list[str]] = defaultdict(list)
        partitions: dict[str, set[int]] = defaultdict(set)
        for row in sorted(rows, key=lambda r: (r["_kafka_partition"], r["_kafka_offset"])):
            doc = json.loads(row["_raw_value"])
            actual[str(doc[field])].append(str(doc["event_id"]))
            partitions[str(doc[field])].add(int(row["_kafka_partition"]))
        split = {k: sorted(p) for k, p in partitions.items() if len(p) > 1}
        if split:
            raise AssertionError(f"Keys spread over several partitions (ordering impossible): {split}")
        wrong = {
            k: {"published": expected[k], "bronze": actual.get(k, [])} for k in expected if actual.get(k) != expected[k]
        }
        if wrong:
            raise AssertionError(f"Order per {field} differs from publish order for {len(wrong)} key(s): {wrong}")
        logger.info(f"Order preserved for {len(expected)} key(s) of {field}.")
