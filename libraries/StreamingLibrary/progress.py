"""Keywords on the running job: health, metrics, ingestion lag and micro-batch progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify

from .base import POLL_INTERVAL, StreamingComponent


class ProgressKeywords(StreamingComponent):
    @keyword(tags=("Streaming", "Assertion"))
    def streaming_query_should_be_active(self, max_progress_age: timedelta = timedelta(seconds=30)) -> dict[str, Any]:
        """Fails unless the streaming query runs and reported progress within ``max_progress_age``.

        Returns the job's ``/health`` answer.

        | Streaming Query Should Be Active |
        | Streaming Query Should Be Active | max_progress_age=10 s |
        """
        url = self.metrics_url("/health")
        try:
            response = self.http().get(url, timeout=5)
            body = response.json()
        except (requests.RequestException, ValueError) as error:
            raise AssertionError(f"Streaming job health endpoint {url} did not answer: {error}") from None
        age = body.get("last_progress_age_s")
        limit = max_progress_age.total_seconds()
        if response.status_code != 200 or not body.get("query_active") or age is None or age > limit:
            raise AssertionError(
                f"Expected an active streaming query with progress in the last {limit:g} s; "
                f"{url} answered HTTP {response.status_code}: {body}"
            )
        logger.info(f"Streaming query active; last progress {age:.1f} s ago, last batch {body.get('last_batch_id')}.")
        return body

    @keyword(tags=("Streaming", "Getter"))
    def get_streaming_metrics(self) -> dict[str, Any]:
        """Returns the job's ``/metrics.json`` (batches, rows per table, DLQ rows, lag, last batch).

        | ${m}= | Get Streaming Metrics |
        | Should Be True | ${m}[batches] > 0 |
        """
        data = self.metrics()
        htmllog.log_json(data, title="Streaming metrics", level="DEBUG")
        return data

    @keyword(tags=("Streaming", "Getter"))
    def get_ingestion_lag(
        self,
        topic: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Returns the records not yet ingested (latest Kafka offset minus processed) of ``topic``, or of all
        topics; optionally asserts it.

        ``topic`` is a logical name (``gps-pings``). With ``retry_timeout`` the lag is read again
        until the assertion holds; a topic the job has not reported yet counts as "not yet" then.

        | Get Ingestion Lag | gps-pings | == | 0 | retry_timeout=30 s |
        | ${lag}= | Get Ingestion Lag |
        """
        physical = self.target.topic_name(topic) if topic else None
        seen: dict[str, Any] = {}

        def read() -> int | None:
            lag = self.metrics()["lag"]
            seen["lag"] = lag
            if physical is not None and physical not in lag:
                return None
            value = int(lag[physical]) if physical else int(sum(lag.values()))
            logger.info(f"Ingestion lag {'of ' + physical if physical else '(all topics)'}: {value} record(s)")
            return value

        def missing() -> AssertionError:
            return AssertionError(
                f"No lag reported for topic '{physical}' yet; topics with progress: {sorted(seen.get('lag', {}))}"
            )

        def verify(value: int | None, *args: Any) -> Any:
            if value is None:
                raise missing()
            return int_str_verify_assertion(value, *args)

        value = get_and_verify(
            read, assertion_operator, assertion_expected, f"Ingestion lag of {topic or 'all topics'}", message,
            retry_timeout, verify=verify,
        )
        if value is None:
            raise missing()
        return value

    @keyword(tags=("Streaming", "Getter"))
    def mark_streaming_batch(self) -> dict[str, Any]:
        """Returns the id of the last completed micro-batch, for `Wait For Streaming Batch After`.

        | ${mark}= | Mark Streaming Batch |
        | Publish Events | trips | ${events} |
        | Wait For Streaming Batch After | ${mark} |
        """
        data = self.metrics()
        mark = {"batch_id": int(data["last_batch_id"]), "app_id": data["app_id"]}
        logger.info(f"Marked streaming batch {mark['batch_id']} ({mark['app_id']}).")
        return mark

    @keyword(tags=("Streaming", "Wait"))
    def wait_for_streaming_batch_after(self, mark: Mapping[str, Any], timeout: timedelta | None = None) -> int:
        """Waits until a micro-batch newer than ``mark`` has completed; returns its id.

        After a restart the process reports the batch ids of the resumed checkpoint, so a
        mark taken before a restart still works.

        | Wait For Streaming Batch After | ${mark} | timeout=30 s |
        """
        since = int(mark["batch_id"])
        data = self.wait_until(
            self.metrics,
            lambda d: int(d["last_batch_id"]) > since,
            timeout=self.timeout(timeout),
            description=f"a streaming micro-batch after batch {since}",
            interval=POLL_INTERVAL,
            describe=lambda d: f"last batch {d['last_batch_id']}, query active {d['query_active']}",
            transient=(requests.RequestException,),
        )
        return int(data["last_batch_id"])

    @keyword(tags=("Streaming", "Wait"))
    def wait_until_streaming_caught_up(
        self, topics: Sequence[str] | None = None, timeout: timedelta | None = None
    ) -> dict[str, Any]:
        """Waits until the job has written every batch it planned (incl. one replayed after a crash),
        has no batch in progress and reports zero lag for ``topics`` (logical names; default all).

        Use it before asserting that something did *not* happen (no duplicate, no extra row).

        | Wait Until Streaming Caught Up | topics=${{["gps-pings"]}} | timeout=2 min |
        """
        physical = [self.target.topic_name(t) for t in topics] if topics else None
        return self.wait_caught_up(physical, self.timeout(timeout))

    @keyword(tags=("Streaming", "Wait"))
    def wait_for_streaming_batch_in_progress(
        self,
        correlation_id: str,
        tables: Sequence[str],
        timeout: timedelta | None = None,
    ) -> dict[str, Any]:
        """Waits until a micro-batch holding records of ``correlation_id`` is half written: at least one
        of ``tables`` committed and at least one still pending. Returns ``{batch_id, tables, committed}``.

        The moment a hard kill must hit to test exactly-once for a partially written batch.

        | Wait For Streaming Batch In Progress | ${cid} | tables=${{["gps-pings", "trips"]}} |
        | Kill Service | bronze-streaming |
        """
        mine = {self.table(t) for t in tables}

        def mid_batch(d: Mapping[str, Any]) -> bool:
            current = d.get("current_batch")
            if not current or correlation_id not in current.get("correlation_ids", []):
                return False
            done = mine & set(current["committed"])
            pending = (mine & set(current["tables"])) - done
            return bool(done) and bool(pending)

        data = self.wait_until(
            self.metrics,
            mid_batch,
            timeout=self.timeout(timeout),
            description=f"a micro-batch of '{correlation_id}' with some of {sorted(mine)} committed, some pending",
            interval=0.05,
            describe=lambda d: f"current batch {d.get('current_batch')}",
            transient=(requests.RequestException,),
        )
        current = dict(data["current_batch"])
        logger.info(f"Batch {current['batch_id']} in progress: committed {current['committed']} of {current['tables']}")
        return current
