"""StreamingLibrary: keywords for the Bronze ingestion job (Kafka → Spark → Delta Bronze + DLQ)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests
from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword, library

import lhkit
from lakehouse.contracts import TOPICS
from lakehouse.streaming.tables import DLQ_TABLE, table_name
from LakehouseLibrary.engine import DeltaQueryEngine, StorageUnavailable
from lhkit import htmllog
from lhkit.polling import wait_until
from lhkit.target import Target

__version__ = "0.1.0"

BRONZE_COLUMNS = (
    "_kafka_topic", "_kafka_partition", "_kafka_offset", "_kafka_timestamp", "_ingested_at", "correlation_id",
    "_ingestion_date", "event_id", "_raw_value",
)
DLQ_COLUMNS = (
    "error_type", "error_message", "_kafka_topic", "_kafka_partition", "_kafka_offset", "_raw_encoding",
    "correlation_id", "_ingested_at", "_raw_value",
)
LINEAGE_LINES = 10


def topic_of(table: str) -> str:
    return next(t.name for t in TOPICS if t.table == table)


@library(scope="GLOBAL", auto_keywords=False)
class StreamingLibrary:
    """Keywords for the Bronze streaming job of the ``data-platform`` profile.

    = Concepts =
    The job reads every domain topic with one Spark Structured Streaming query and writes
    each record once to its Bronze table (``bronze.<table>``, e.g. ``bronze.gps_pings``) or,
    when it is not valid UTF-8 JSON matching its topic's schema with a key field and under the
    size limit, to ``bronze.dlq`` with an ``error_type`` (``INVALID_JSON``, ``NOT_UTF8``,
    ``SCHEMA_VIOLATION``, ``MISSING_KEY``, ``OVERSIZE``).

    Tables can be named by topic (``gps-pings``), table (``gps_pings``) or ``bronze.gps_pings``.

    = Correlation ids =
    Every Bronze and DLQ row carries the ``correlation_id`` of its payload (best effort for
    unparseable payloads). Waits select a test's rows by it, so tests run in parallel under pabot.

    = Target =
    Bronze is read through the LakehouseLibrary's DuckDB engine; the job's ``/health`` and
    ``/metrics.json`` come from ``streaming_metrics_url`` of the current target.

    = Timeouts =
    Waits take a ``timeout`` (Robot time format or ``timedelta``), poll every 0.5 s, and fail
    with what they expected, what they last saw and how long they waited.

    = Example =
    | ${cid}=    New Correlation Id
    | ${events}=    Build Trip Lifecycle    ${cid}
    | Publish Events    trips    ${events}    correlation_id=${cid}
    | ${rows}=    Wait For Bronze Rows    trips    ${cid}    count=6
    | Bronze Rows Should Be In Publish Order    ${rows}    ${events}
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, target: Mapping[str, Any] | None = None) -> None:
        self._target_arg = target
        self._target: Target | None = None
        self._engine: DeltaQueryEngine | None = None

    # --- plumbing -------------------------------------------------------------------
    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = Target.from_mapping(self._target_arg) if self._target_arg else lhkit.current()
        return self._target

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if self._engine is None:
            self._engine = DeltaQueryEngine(self.target)
        return self._engine.query(sql, list(params))

    def _metrics(self, path: str = "/metrics.json") -> Any:
        url = self.target.streaming_metrics_url.rstrip("/") + path
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # --- Bronze ---------------------------------------------------------------------
    @keyword(tags=("bronze", "Getter"))
    def get_bronze_rows(self, table: str, correlation_id: str) -> list[dict[str, Any]]:
        """Return the Bronze rows of ``correlation_id`` in Kafka order (partition, offset), without waiting.

        Each row has the metadata columns plus ``event_id`` parsed from ``_raw_value``.

        | ${rows}=    Get Bronze Rows    trips    ${cid}
        """
        name = table_name(table)
        if name == DLQ_TABLE:
            raise ValueError("Use 'Get Dlq Rows' for the DLQ table")
        return self._query(
            f"SELECT *, json_extract_string(_raw_value, '$.event_id') AS event_id FROM bronze.{name} "
            "WHERE correlation_id = ? ORDER BY _kafka_partition, _kafka_offset",
            [correlation_id],
        )

    @keyword(tags=("bronze",))
    def wait_for_bronze_rows(
        self,
        table: str,
        correlation_id: str,
        count: int = 1,
        timeout: timedelta = timedelta(seconds=60),
        allow_more: bool = False,
    ) -> list[dict[str, Any]]:
        """Wait until ``table`` holds ``count`` rows of ``correlation_id``; return them in Kafka order.

        Fails at once if more than ``count`` rows appear (duplicates), unless ``allow_more=True``.
        Logs the rows and their lineage (topic/partition/offset → table and Delta version).

        | ${rows}=    Wait For Bronze Rows    trips    ${cid}    count=6    timeout=30 s
        """
        name = table_name(table)
        rows = wait_until(
            lambda: self.get_bronze_rows(name, correlation_id),
            lambda r: len(r) >= count,
            timeout=timeout,
            description=f"{count} row(s) with correlation_id '{correlation_id}' in bronze.{name}",
            interval=0.5,
            describe=lambda r: f"{len(r)} row(s)",
            transient=(StorageUnavailable,),
        )
        htmllog.log_table(rows, BRONZE_COLUMNS, caption=f"bronze.{name} rows of {correlation_id}")
        self._log_lineage(correlation_id, name, rows)
        if len(rows) > count and not allow_more:
            dupes = {k: n for k, n in Counter(r.get("event_id") for r in rows).items() if n > 1}
            raise AssertionError(
                f"Expected exactly {count} row(s) with correlation_id '{correlation_id}' in bronze.{name}, "
                f"found {len(rows)}; event ids seen more than once: {dupes or 'none'}"
            )
        return rows

    @keyword(tags=("bronze",))
    def bronze_should_contain_each_event_exactly_once(
        self,
        table: str,
        correlation_id: str,
        event_ids: Sequence[str],
        timeout: timedelta = timedelta(seconds=90),
    ) -> None:
        """Wait until every id in ``event_ids`` is in ``table`` and check none is there twice.

        The exactly-once check of the recovery suite: lists missing and duplicated ids.

        | Bronze Should Contain Each Event Exactly Once    gps-pings    ${cid}    ${ids}    timeout=2 min
        """
        name = table_name(table)
        wanted = list(event_ids)
        if len(set(wanted)) != len(wanted):
            raise ValueError("event_ids contains duplicates; pass each published event id once")

        def probe() -> Counter[str]:
            return Counter(r["event_id"] for r in self.get_bronze_rows(name, correlation_id))

        def describe(seen: Counter[str]) -> str:
            missing = [e for e in wanted if e not in seen]
            return f"{sum(seen.values())} row(s), {len(missing)} of {len(wanted)} ids missing (first: {missing[:3]})"

        seen = wait_until(
            probe,
            lambda c: all(e in c for e in wanted) or any(n > 1 for n in c.values()),
            timeout=timeout,
            description=f"all {len(wanted)} events of '{correlation_id}' in bronze.{name}",
            interval=0.5,
            describe=describe,
            transient=(StorageUnavailable,),
        )
        if not any(n > 1 for n in seen.values()):
            # Absence of duplicates only counts once every planned (or replayed) batch is written.
            self.wait_until_streaming_caught_up([topic_of(name)], timeout=timeout)
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

    @keyword(tags=("bronze",))
    def bronze_rows_should_be_in_publish_order(
        self, rows: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]], key_field: str | None = None
    ) -> None:
        """Check that, per Kafka key, Bronze rows (Kafka order) carry the events in publish order.

        ``key_field`` defaults to the topic's contract key (e.g. ``trip_id``).

        | Bronze Rows Should Be In Publish Order    ${rows}    ${events}
        """
        from lakehouse.contracts import topic as contract_topic

        if not rows:
            raise AssertionError("No Bronze rows given")
        field = key_field or contract_topic(str(rows[0]["_kafka_topic"])).key_field
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

    @keyword(tags=("bronze", "Getter"))
    def get_bronze_row_count(
        self,
        table: str,
        correlation_id: str,
        assertion_operator: AssertionOperator | None = None,
        expected: int | None = None,
        message: str | None = None,
    ) -> int:
        """Return the number of rows of ``correlation_id`` in ``table`` (``dlq`` allowed), optionally asserting it.

        | Get Bronze Row Count    trips    ${cid}    ==    6
        """
        name = table_name(table)
        rows = self._query(f"SELECT count(*) AS n FROM bronze.{name} WHERE correlation_id = ?", [correlation_id])
        value = int(rows[0]["n"])
        label = f"Rows of '{correlation_id}' in bronze.{name}"
        return verify_assertion(value, assertion_operator, expected, label, message)

    @keyword(tags=("bronze", "dlq"))
    def published_records_should_be_accounted_for(
        self, topic: str, correlation_id: str, published: int, timeout: timedelta = timedelta(seconds=60)
    ) -> None:
        """Nothing lost, nothing doubled: Bronze rows + DLQ rows of ``correlation_id`` from ``topic`` equal
        ``published``, once the job has caught up on ``topic``.

        | Published Records Should Be Accounted For    rider-profiles    ${cid}    published=8
        """
        name = table_name(topic)

        def counts() -> tuple[int, int]:
            bronze = len(self.get_bronze_rows(name, correlation_id))
            dlq = len(self.get_dlq_rows(correlation_id, topic_of(name)))
            return bronze, dlq

        wait_until(
            counts,
            lambda c: sum(c) >= published,
            timeout=timeout,
            description=f"{published} record(s) of '{correlation_id}' from {topic} in Bronze + DLQ",
            interval=0.5,
            describe=lambda c: f"{c[0]} in bronze.{name} + {c[1]} in bronze.dlq",
            transient=(StorageUnavailable,),
        )
        self.wait_until_streaming_caught_up([topic_of(name)], timeout=timeout)
        bronze, dlq = counts()
        if bronze + dlq != published:
            raise AssertionError(
                f"Published {published} record(s) of '{correlation_id}' to {topic}, but found {bronze} in "
                f"bronze.{name} + {dlq} in bronze.dlq = {bronze + dlq}"
            )
        logger.info(f"All {published} record(s) accounted for: {bronze} in bronze.{name}, {dlq} in the DLQ.")

    # --- DLQ ------------------------------------------------------------------------
    @keyword(tags=("dlq", "Getter"))
    def get_dlq_rows(self, correlation_id: str | None = None, topic: str | None = None) -> list[dict[str, Any]]:
        """Return DLQ rows of ``correlation_id`` and/or ``topic``, in Kafka order, without waiting.

        | ${rows}=    Get Dlq Rows    ${cid}
        """
        clauses, params = [], []
        if correlation_id:
            clauses.append("correlation_id = ?")
            params.append(correlation_id)
        if topic:
            clauses.append("_kafka_topic = ?")
            params.append(topic)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        order = " ORDER BY _kafka_topic, _kafka_partition, _kafka_offset"
        return self._query(f"SELECT * FROM bronze.dlq{where}{order}", params)

    @keyword(tags=("dlq",))
    def wait_for_dlq_rows(
        self,
        correlation_id: str,
        count: int = 1,
        error_type: str | None = None,
        topic: str | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ) -> list[dict[str, Any]]:
        """Wait until the DLQ holds ``count`` rows of ``correlation_id`` (optionally of ``error_type``/``topic``).

        Fails if more rows than ``count`` match (a record routed twice).

        | ${rows}=    Wait For Dlq Rows    ${cid}    count=1    error_type=INVALID_JSON    topic=gps-pings
        """

        def probe() -> list[dict[str, Any]]:
            rows = self.get_dlq_rows(correlation_id, topic)
            return [r for r in rows if error_type is None or r["error_type"] == error_type]

        what = f"{count} DLQ row(s) of '{correlation_id}'" + (f" with error_type {error_type}" if error_type else "")
        rows = wait_until(
            probe,
            lambda r: len(r) >= count,
            timeout=timeout,
            description=what + (f" from {topic}" if topic else ""),
            interval=0.5,
            describe=lambda r: f"{len(r)} matching row(s): {Counter(x['error_type'] for x in r) or '{}'}",
            transient=(StorageUnavailable,),
        )
        htmllog.log_table(rows, DLQ_COLUMNS, caption=f"bronze.dlq rows of {correlation_id}")
        self._log_lineage(correlation_id, DLQ_TABLE, rows)
        if len(rows) > count:
            raise AssertionError(f"Expected exactly {what}, found {len(rows)}")
        return rows

    # --- the running job ------------------------------------------------------------
    @keyword(tags=("health",))
    def streaming_query_should_be_active(self, max_progress_age: timedelta = timedelta(seconds=30)) -> dict[str, Any]:
        """Fail unless the streaming query runs and reported progress within ``max_progress_age``.

        | Streaming Query Should Be Active
        """
        url = self.target.streaming_metrics_url.rstrip("/") + "/health"
        try:
            response = requests.get(url, timeout=5)
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

    @keyword(tags=("metrics", "Getter"))
    def get_streaming_metrics(self) -> dict[str, Any]:
        """Return the job's ``/metrics.json`` (batches, rows per table, DLQ rows, lag, last batch).

        | ${m}=    Get Streaming Metrics
        | Should Be True    ${m}[batches] > 0
        """
        data = self._metrics()
        htmllog.log_json(data, title="Streaming metrics", level="DEBUG")
        return data

    @keyword(tags=("metrics", "Getter"))
    def get_ingestion_lag(
        self,
        topic: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        expected: int | None = None,
        message: str | None = None,
    ) -> int:
        """Return records not yet ingested (latest Kafka offset minus processed), for ``topic`` or all topics.

        | Get Ingestion Lag    gps-pings    <=    10
        | ${lag}=    Get Ingestion Lag
        """
        lag = self._metrics()["lag"]
        if topic is not None and topic not in lag:
            raise AssertionError(f"No lag reported for topic '{topic}' yet; topics with progress: {sorted(lag)}")
        value = int(lag[topic]) if topic else int(sum(lag.values()))
        logger.info(f"Ingestion lag {'of ' + topic if topic else '(all topics)'}: {value} record(s); per topic {lag}")
        label = f"Ingestion lag of {topic or 'all topics'}"
        return verify_assertion(value, assertion_operator, expected, label, message)

    @keyword(tags=("metrics",))
    def mark_streaming_batch(self) -> dict[str, Any]:
        """Record the id of the last completed micro-batch, for `Wait For Streaming Batch After`.

        | ${mark}=    Mark Streaming Batch
        | Publish Events    trips    ${events}
        | Wait For Streaming Batch After    ${mark}
        """
        data = self._metrics()
        mark = {"batch_id": int(data["last_batch_id"]), "app_id": data["app_id"]}
        logger.info(f"Marked streaming batch {mark['batch_id']} ({mark['app_id']}).")
        return mark

    @keyword(tags=("metrics",))
    def wait_for_streaming_batch_after(
        self, mark: Mapping[str, Any], timeout: timedelta = timedelta(seconds=60)
    ) -> int:
        """Wait until a micro-batch newer than ``mark`` has completed; return its id.

        After a restart the process reports the batch ids of the resumed checkpoint, so a
        mark taken before a restart still works.

        | Wait For Streaming Batch After    ${mark}    timeout=30 s
        """
        since = int(mark["batch_id"])
        data = wait_until(
            self._metrics,
            lambda d: int(d["last_batch_id"]) > since,
            timeout=timeout,
            description=f"a streaming micro-batch after batch {since}",
            interval=0.5,
            describe=lambda d: f"last batch {d['last_batch_id']}, query active {d['query_active']}",
            transient=(requests.RequestException,),
        )
        return int(data["last_batch_id"])

    @keyword(tags=("metrics",))
    def wait_until_streaming_caught_up(
        self, topics: Sequence[str] | None = None, timeout: timedelta = timedelta(seconds=120)
    ) -> dict[str, Any]:
        """Wait until the job has written every batch it planned (incl. one replayed after a crash),
        has no batch in progress and reports zero lag for ``topics`` (default: all topics).

        Use it before asserting that something did *not* happen (no duplicate, no extra row).

        | Wait Until Streaming Caught Up    topics=${{["gps-pings"]}}
        """

        def caught_up(d: Mapping[str, Any]) -> bool:
            lag = d.get("lag") or {}
            wanted = list(topics) if topics else list(lag)
            age = d.get("last_progress_age_s")
            return (
                bool(d.get("query_active")) and age is not None and age < 5 and d.get("current_batch") is None
                and int(d["last_batch_id"]) >= int(d.get("planned_batch_id", -1))
                and all(t in lag and int(lag[t]) == 0 for t in wanted)
            )

        def describe(d: Mapping[str, Any]) -> str:
            return (
                f"active {d.get('query_active')}, last batch {d.get('last_batch_id')} of planned "
                f"{d.get('planned_batch_id')}, in progress {d.get('current_batch') is not None}, lag {d.get('lag')}"
            )

        return wait_until(
            self._metrics,
            caught_up,
            timeout=timeout,
            description=f"the streaming job to catch up{' on ' + ', '.join(topics) if topics else ''}",
            interval=0.5,
            describe=describe,
            transient=(requests.RequestException, KeyError),
        )

    @keyword(tags=("metrics",))
    def wait_for_streaming_batch_in_progress(
        self,
        correlation_id: str,
        tables: Sequence[str],
        timeout: timedelta = timedelta(seconds=60),
    ) -> dict[str, Any]:
        """Wait until a micro-batch holding records of ``correlation_id`` is half written: at least one
        of ``tables`` committed and at least one still pending. Returns ``{batch_id, tables, committed}``.

        The moment a hard kill must hit to test exactly-once for a partially written batch.

        | Wait For Streaming Batch In Progress    ${cid}    tables=${{["gps-pings", "trips"]}}
        | Kill Service    bronze-streaming
        """
        mine = {table_name(t) for t in tables}

        def mid_batch(d: Mapping[str, Any]) -> bool:
            current = d.get("current_batch")
            if not current or correlation_id not in current.get("correlation_ids", []):
                return False
            done = mine & set(current["committed"])
            pending = (mine & set(current["tables"])) - done
            return bool(done) and bool(pending)

        data = wait_until(
            self._metrics,
            mid_batch,
            timeout=timeout,
            description=f"a micro-batch of '{correlation_id}' with some of {sorted(mine)} committed, some pending",
            interval=0.05,
            describe=lambda d: f"current batch {d.get('current_batch')}",
            transient=(requests.RequestException,),
        )
        current = dict(data["current_batch"])
        logger.info(f"Batch {current['batch_id']} in progress: committed {current['committed']} of {current['tables']}")
        return current

    # --- lineage --------------------------------------------------------------------
    def _log_lineage(self, correlation_id: str, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        try:
            commits = self._metrics("/commits.json")
        except (requests.RequestException, ValueError):
            commits = []
        for row in rows[:LINEAGE_LINES]:
            topic, part, off = row["_kafka_topic"], int(row["_kafka_partition"]), int(row["_kafka_offset"])
            version = "?"
            for commit in commits:
                lo_hi = commit.get("offsets", {}).get(topic, {}).get(str(part))
                if commit["table"] == table and lo_hi and lo_hi[0] <= off <= lo_hi[1]:
                    version = f"v{commit['delta_version']} (batch {commit['batch_id']})"
                    break
            htmllog.log_lineage(
                correlation_id,
                [("Kafka", f"{topic}[{part}]@{off}"), ("Bronze", f"bronze.{table} {version}")],
            )
        if len(rows) > LINEAGE_LINES:
            logger.info(f"… lineage of {len(rows) - LINEAGE_LINES} more row(s) not shown")

    # --- destructive ----------------------------------------------------------------
    @keyword(tags=("checkpoint", "destructive"))
    def delete_streaming_checkpoint(self) -> str:
        """Delete the streaming job's checkpoint directory (embedded platform; stop the service first).

        The job then starts a new checkpoint generation with a new ``txnAppId`` and resumes
        after the offsets already in Bronze and the DLQ, so nothing is skipped or duplicated.

        | Stop Service    bronze-streaming
        | Delete Streaming Checkpoint
        | Start Service    bronze-streaming
        """
        import shutil
        from pathlib import Path

        from lhkit.target import require_test_environment

        require_test_environment(self.target, "delete the streaming checkpoint")
        if not self.target.state_dir:
            raise AssertionError(f"Target '{self.target.name}' has no state_dir; only the embedded platform has one")
        path = Path(self.target.state_dir) / "data" / "streaming" / "checkpoint"
        try:
            health = requests.get(self.target.streaming_metrics_url.rstrip("/") + "/health", timeout=2)
        except requests.RequestException:
            health = None
        if health is not None:
            raise AssertionError(f"Stop bronze-streaming before deleting its checkpoint ({path}); it still answers")
        if not path.exists():
            raise AssertionError(f"No streaming checkpoint at {path}")
        shutil.rmtree(path)
        logger.info(f"Deleted the streaming checkpoint {path}.")
        return str(path)
