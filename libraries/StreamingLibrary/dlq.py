"""DLQ keywords, and the Bronze + DLQ accounting of published records."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from contract.layout import DLQ_TABLE, ERROR_TYPES
from LakehouseLibrary.counts import RowCount

from .base import POLL_INTERVAL, TRANSIENT, StreamingComponent


class DlqKeywords(StreamingComponent):
    @keyword(tags=("Streaming", "Getter"))
    def get_dlq_rows(self, correlation_id: str | None = None, topic: str | None = None) -> list[dict[str, Any]]:
        """Returns DLQ rows of ``correlation_id`` and/or ``topic`` (logical name), in Kafka order, without waiting.

        | ${rows}= | Get Dlq Rows | ${cid} |
        | ${rows}= | Get Dlq Rows | ${cid} | topic=gps-pings |
        """
        return self.dlq_rows(correlation_id, topic)

    @keyword(tags=("Streaming", "Wait"))
    def wait_for_dlq_rows(
        self,
        correlation_id: str,
        count: int | None = None,
        error_type: str | None = None,
        topic: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        timeout: timedelta | None = None,
        message: str | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until the DLQ holds the expected rows of ``correlation_id`` (optionally of ``error_type``/``topic``).

        Counts as `Wait For Bronze Rows`: ``count=N`` means exactly N (more fails at once: a record
        routed twice); ``assertion_operator`` / ``assertion_expected`` express anything else; with
        neither it waits for at least one row. ``error_type`` is one of ``INVALID_JSON``,
        ``NOT_UTF8``, ``SCHEMA_VIOLATION``, ``MISSING_KEY``, ``OVERSIZE``.

        | ${rows}= | Wait For Dlq Rows | ${cid} | count=1 | error_type=INVALID_JSON | topic=gps-pings |
        """
        if error_type is not None and error_type not in ERROR_TYPES:
            raise ValueError(f"Unknown error_type '{error_type}'. Known: {', '.join(ERROR_TYPES)}")

        def probe() -> list[dict[str, Any]]:
            rows = self.dlq_rows(correlation_id, topic)
            return [r for r in rows if error_type is None or r["error_type"] == error_type]

        what = f"DLQ row(s) of '{correlation_id}'" + (f" with error_type {error_type}" if error_type else "")
        what += f" from {topic}" if topic else ""
        expect = RowCount(what, count, assertion_operator, assertion_expected, message)
        rows = self.wait_until(
            probe,
            lambda r: expect.reached(len(r)),
            timeout=self.timeout(timeout),
            description=f"{expect.wanted} {what}",
            interval=POLL_INTERVAL,
            describe=lambda r: f"{len(r)} matching row(s): {dict(Counter(x['error_type'] for x in r))}",
            transient=TRANSIENT,
        )
        self.log_rows(DLQ_TABLE, correlation_id, rows)
        expect.verify(len(rows))
        return rows

    @keyword(tags=("Streaming", "Assertion", "Wait"))
    def published_records_should_be_accounted_for(
        self, topic: str, correlation_id: str, published: int, timeout: timedelta | None = None
    ) -> None:
        """Nothing lost, nothing doubled: Bronze rows + DLQ rows of ``correlation_id`` from ``topic`` are
        exactly ``published``, once the job has caught up on ``topic``.

        ``timeout`` (default: the library's) applies to each of the two waits.

        | Published Records Should Be Accounted For | rider-profiles | ${cid} | published=8 |
        """
        name = self.table(topic)
        physical = self.topic_of(name)
        limit = self.timeout(timeout)

        def counts() -> tuple[int, int]:
            bronze = len(self.bronze_rows(name, correlation_id))
            dlq = len(self.dlq_rows(correlation_id, physical))
            return bronze, dlq

        self.wait_until(
            counts,
            lambda c: sum(c) >= published,
            timeout=limit,
            description=f"{published} record(s) of '{correlation_id}' from {topic} in Bronze + DLQ",
            interval=POLL_INTERVAL,
            describe=lambda c: f"{c[0]} in bronze.{name} + {c[1]} in bronze.{DLQ_TABLE}",
            transient=TRANSIENT,
        )
        self.wait_caught_up([physical], limit)
        bronze, dlq = counts()
        if bronze + dlq != published:
            raise AssertionError(
                f"Published {published} record(s) of '{correlation_id}' to {topic}, but found {bronze} in "
                f"bronze.{name} + {dlq} in bronze.{DLQ_TABLE} = {bronze + dlq}"
            )
        logger.info(f"All {published} record(s) accounted for: {bronze} in bronze.{name}, {dlq} in the DLQ.")
