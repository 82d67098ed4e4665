"""Bronze keywords by correlation id: rows, counts, exactly-once and publish order."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from LakehouseLibrary.counts import RowCount
from lhkit import htmllog
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

    @keyword(tags=("Streaming", "Assertion"))
    def bronze_rows_should_match_delivery_reports(
        self, table: str, correlation_id: str, reports: Sequence[Mapping[str, Any]]
    ) -> None:
        """Checks the Kafka metadata of the Bronze rows of ``correlation_id`` against what the broker itself
        acknowledged: one row per delivery report, with the same topic, partition, offset and timestamp.

        ``reports`` are the dictionaries KafkaLibrary's `Publish Event` returns (the broker's delivery
        reports), so the check does not rest on the streaming job's own bookkeeping. Fails listing every
        row whose ``_kafka_topic``/``_kafka_partition``/``_kafka_offset``/``_kafka_timestamp`` differs.

        | ${report}= | Publish Event | trips | ${event} | correlation_id=${cid} |
        | Bronze Rows Should Match Delivery Reports | trips | ${cid} | ${{[$report]}} |
        """
        name = self.table(table)
        rows = self.bronze_rows(name, correlation_id)
        expected = sorted(reports, key=lambda r: (int(r["partition"]), int(r["offset"])))
        problems: list[str] = []
        if len(rows) != len(expected):
            problems.append(f"{len(expected)} record(s) were acknowledged by the broker but bronze.{name} holds "
                            f"{len(rows)} row(s)")
        for report in expected:
            where = f"{report['topic']}[{report['partition']}]@{report['offset']}"
            row = next((r for r in rows if int(r["_kafka_partition"]) == int(report["partition"])
                        and int(r["_kafka_offset"]) == int(report["offset"])), None)
            if row is None:
                problems.append(f"{where}: no bronze.{name} row carries this partition and offset "
                                f"(rows have {sorted((r['_kafka_partition'], r['_kafka_offset']) for r in rows)})")
                continue
            if row["_kafka_topic"] != report["topic"]:
                problems.append(f"{where}: _kafka_topic should be '{report['topic']}' but was '{row['_kafka_topic']}'")
            if report.get("timestamp") is not None and row["_kafka_timestamp"] != report["timestamp"]:
                problems.append(f"{where}: _kafka_timestamp should be the broker's {report['timestamp']} "
                                f"but was {row['_kafka_timestamp']}")
        acked = [{"record": f"{r['topic']}[{r['partition']}]@{r['offset']}", "timestamp": r.get("timestamp")}
                 for r in expected]  # fmt: skip
        htmllog.log_table(acked, caption="The broker's delivery reports")
        self.log_rows(name, correlation_id, rows)
        if problems:
            raise AssertionError(
                f"{len(problems)} difference(s) between the broker's delivery reports and the Kafka metadata of "
                f"bronze.{name} rows of '{correlation_id}':\n" + "\n".join(problems[:20])
            )
        logger.info(f"{len(rows)} bronze.{name} row(s) of '{correlation_id}' match the broker's delivery reports.")

    @keyword(tags=("Streaming", "Getter"))
    def get_reported_bronze_lineage(
        self, table: str, correlation_id: str, timeout: timedelta = timedelta(seconds=10)
    ) -> list[dict[str, Any]]:
        """The lineage the streaming job reports for the Bronze rows of ``correlation_id`` (its
        ``/commits.json``: which batch and Delta version wrote which offsets), one dictionary per row in
        Kafka order: ``_kafka_topic``, ``_kafka_partition``, ``_kafka_offset``, ``batch_id``,
        ``delta_version``.

        This is the trail `Wait For Bronze Rows` shows in the log; compare it with the table's own
        Delta log (LakehouseLibrary's `Get Bronze Lineage`). The job records a commit milliseconds after
        it is visible, so this waits up to ``timeout`` for a record covering every row, then fails
        naming the rows no record covers.

        | ${reported}= | Get Reported Bronze Lineage | trips | ${cid} |
        """
        name = self.table(table)
        rows = self.bronze_rows(name, correlation_id)
        if not rows:
            raise AssertionError(f"bronze.{name} holds no row of '{correlation_id}'")

        def reported() -> list[dict[str, Any]]:
            return [_reported(row, name, self.metrics("/commits.json")) for row in rows]

        out = self.wait_until(
            reported,
            lambda found: all(r["delta_version"] is not None for r in found),
            timeout=self.timeout(timeout),
            description=f"the streaming job to report the commit of each bronze.{name} row of '{correlation_id}'",
            interval=POLL_INTERVAL,
            describe=lambda found: "uncovered: "
            + ", ".join(f"[{r['_kafka_partition']}]@{r['_kafka_offset']}" for r in found if r["delta_version"] is None),
            transient=(requests.RequestException,),
        )
        htmllog.log_table(out, caption=f"Lineage of bronze.{name} rows of {correlation_id}, as the job reports it")
        return out


def _reported(row: Mapping[str, Any], table: str, commits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The job's commit record covering one Bronze row's offset (batch id and Delta version, or None)."""
    topic, part, off = row["_kafka_topic"], int(row["_kafka_partition"]), int(row["_kafka_offset"])
    found: Mapping[str, Any] = {}
    for commit in commits:
        lo_hi = commit.get("offsets", {}).get(topic, {}).get(str(part))
        if commit["table"] == table and lo_hi and lo_hi[0] <= off <= lo_hi[1]:
            found = commit
            break
    return {
        "_kafka_topic": topic,
        "_kafka_partition": part,
        "_kafka_offset": off,
        "batch_id": found.get("batch_id"),
        "delta_version": found.get("delta_version"),
    }
