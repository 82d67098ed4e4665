"""Lineage of a test's events across the layers, read from the data itself.

Every hop is established from an independent source, not from what the pipeline reports
about itself:

* Kafka → Bronze: the row's ``_kafka_topic``/``_kafka_partition``/``_kafka_offset`` columns;
* Bronze file → Delta version: the table's own transaction log (``_delta_log/*.json``): the
  commit whose ``add`` action wrote the Parquet file that holds the row (DuckDB's
  ``delta_scan(…, filename=true)`` names the file);
* Bronze → Silver: the Silver row that carries the same partition and offset;
* Silver → Gold: the Gold row that shares a key column (e.g. ``trip_id``) with the Silver row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog

from .context import LakehouseComponent
from .engine import _sql_literal

AREA = "Lakehouse"
KAFKA_COLUMNS = ("_kafka_topic", "_kafka_partition", "_kafka_offset")


class LineageKeywords(LakehouseComponent):
    """The lineage trail of a correlation id: Kafka offset → Bronze Delta version → Silver → Gold → chart."""

    @keyword(tags=("Getter", AREA))
    def get_bronze_lineage(self, table: str, correlation_id: str) -> list[dict[str, Any]]:
        """The Bronze rows of ``correlation_id`` in ``table`` with the Delta version that committed each.

        ``table`` is a Bronze table (``trips``, ``bronze.trips``). Each returned row has
        ``_kafka_topic``, ``_kafka_partition``, ``_kafka_offset``, ``file`` (the Parquet file,
        relative to the table) and ``delta_version``: the commit in the table's own ``_delta_log``
        whose ``add`` action wrote that file. A row whose file no commit added (a table written
        outside Delta, or a lost log) fails the keyword.

        | ${rows}= | Get Bronze Lineage | trips | ${cid} |
        | Should Be Equal As Integers | ${rows}[0][delta_version] | 12 |
        """
        name = table if table.startswith("bronze.") else f"bronze.{self.target.bronze_table(table)}"
        bucket, key, uri = self.table_uri(name)
        rows = self.engine().query(
            f"SELECT {', '.join(KAFKA_COLUMNS)}, filename AS file "
            f"FROM delta_scan({_sql_literal(uri)}, filename=true) WHERE correlation_id = ? "
            "ORDER BY _kafka_partition, _kafka_offset",
            [correlation_id],
        )
        for row in rows:
            row["file"] = str(row["file"]).removeprefix(uri + "/")
        versions = self._versions_of_files(bucket, key, {r["file"] for r in rows})
        missing = sorted({r["file"] for r in rows} - set(versions))
        if missing:
            raise AssertionError(
                f"{name}: no commit in s3://{bucket}/{key}/_delta_log added the file(s) holding rows of "
                f"'{correlation_id}': {', '.join(missing[:5])}"
            )
        for row in rows:
            row["delta_version"] = versions[row["file"]]
        htmllog.log_table(rows, caption=f"{name} lineage of {correlation_id}", level="DEBUG")
        return rows

    @keyword(tags=("Assertion", AREA))
    def lineage_should_be_complete(
        self,
        correlation_id: str,
        bronze: str,
        silver: str,
        gold: str,
        link: str = "trip_id",
        chart: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every Bronze row of ``correlation_id`` reaches Silver, and through ``link`` reaches Gold;
        logs the whole trail as one table: Kafka → Bronze version → Silver row → Gold row → chart.

        - ``bronze``: the Bronze table (``trips``); each row's Delta version comes from the table's
          log (see `Get Bronze Lineage`).
        - ``silver``: the Silver table whose rows carry ``_kafka_partition``/``_kafka_offset``
          (``silver.stg_trips``); every Bronze row must have exactly one Silver row.
        - ``gold``: the Gold table (``gold.fact_trips``) holding rows of ``correlation_id``; every
          Gold row must be reached by some Silver row through ``link``.
        - ``chart``: what the dashboard shows for this data, e.g. ``Completed trips = 1``; shown in
          the trail's last column.

        Fails naming the hops that are missing. Returns the trail rows.

        | Lineage Should Be Complete | ${cid} | trips | silver.stg_trips | gold.fact_trips |
        | ... | link=trip_id | chart=Completed trips = 1 |
        """
        bronze_rows = self.get_bronze_lineage(bronze, correlation_id)
        silver_rows = self.engine().query(
            f"SELECT * FROM {silver} WHERE correlation_id = ? ORDER BY _kafka_partition, _kafka_offset",
            [correlation_id],
        )
        gold_rows = self.engine().query(f"SELECT * FROM {gold} WHERE correlation_id = ?", [correlation_id])
        trail, problems = build_trail(bronze, bronze_rows, silver, silver_rows, gold, gold_rows, link, chart)
        htmllog.log_table(
            trail,
            ["Kafka", "Bronze", "Silver", "Gold", "Chart"],
            caption=f"Lineage of {correlation_id}: Kafka → Bronze → Silver → Gold → dashboard",
            row_styles=["background:#fdd" if "—" in (r["Silver"], r["Gold"]) else "" for r in trail],
        )
        if not bronze_rows:
            problems.insert(0, f"bronze.{bronze} holds no row of '{correlation_id}'")
        if problems:
            raise AssertionError(f"Lineage of '{correlation_id}' is broken:\n- " + "\n- ".join(problems))
        logger.info(
            f"Lineage of {correlation_id}: {len(bronze_rows)} Kafka record(s) → {len(silver_rows)} Silver row(s) "
            f"→ {len(gold_rows)} Gold row(s)" + (f" → {chart}" if chart else "")
        )
        return trail

    # --- the Delta log ------------------------------------------------------------------
    def _versions_of_files(self, bucket: str, key: str, files: set[str]) -> dict[str, int]:
        """``{file: version}`` for ``files``, reading commits newest first until all are found."""
        s3 = self.s3()
        prefix = f"{key}/_delta_log/"
        commits: list[tuple[int, str]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix) :]
                if name.endswith(".json") and name[:-5].isdigit():
                    commits.append((int(name[:-5]), obj["Key"]))
        found: dict[str, int] = {}
        for version, object_key in sorted(commits, reverse=True):
            if files <= set(found):
                break
            body = s3.get_object(Bucket=bucket, Key=object_key)["Body"].read().decode()
            for path in added_files(body):
                if path in files:
                    found.setdefault(path, version)
        return found


def added_files(commit: str) -> list[str]:
    """The (decoded, table-relative) paths of the ``add`` actions of one Delta commit file (JSON lines)."""
    paths = []
    for line in commit.splitlines():
        if line.strip():
            action = json.loads(line)
            if "add" in action:
                paths.append(unquote(action["add"]["path"]))
    return paths


def build_trail(
    bronze: str,
    bronze_rows: Sequence[Mapping[str, Any]],
    silver: str,
    silver_rows: Sequence[Mapping[str, Any]],
    gold: str,
    gold_rows: Sequence[Mapping[str, Any]],
    link: str,
    chart: str | None,
) -> tuple[list[dict[str, str]], list[str]]:
    """One trail row per Bronze row, and the problems found (pure: no I/O)."""
    problems: list[str] = []
    by_offset: dict[tuple[int, int], list[Mapping[str, Any]]] = {}
    for row in silver_rows:
        by_offset.setdefault((int(row["_kafka_partition"]), int(row["_kafka_offset"])), []).append(row)
    gold_by_link: dict[Any, Mapping[str, Any]] = {}
    for row in gold_rows:
        if link not in row:
            problems.append(f"{gold} has no column '{link}' to link Silver to Gold")
            break
        gold_by_link[row[link]] = row
    reached: set[Any] = set()
    trail = []
    for row in bronze_rows:
        partition, offset = int(row["_kafka_partition"]), int(row["_kafka_offset"])
        matches = by_offset.get((partition, offset), [])
        silver_cell = gold_cell = "—"
        if len(matches) != 1:
            problems.append(
                f"Kafka {row['_kafka_topic']}[{partition}]@{offset} has {len(matches)} row(s) in {silver}, expected 1"
            )
        else:
            s_row = matches[0]
            silver_cell = f"{silver} {_describe(s_row, ('event_id', link, 'event_type'))}"
            g_row = gold_by_link.get(s_row.get(link))
            if g_row is not None:
                reached.add(s_row.get(link))
                gold_cell = f"{gold} {_describe(g_row, (link, 'fare', 'completed_at'))}"
        trail.append(
            {
                "Kafka": f"{row['_kafka_topic']}[{partition}]@{offset}",
                "Bronze": f"bronze.{bronze.removeprefix('bronze.')} v{row['delta_version']}",
                "Silver": silver_cell,
                "Gold": gold_cell,
                "Chart": chart or "",
            }
        )
    for key in set(gold_by_link) - reached:
        problems.append(f"{gold} row {link}={key} is not reached by any Silver row of the test")
    if not gold_rows:
        problems.append(f"{gold} holds no row of the correlation id")
    return trail, problems


def _describe(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{k}={row[k]}" for k in keys if row.get(k) is not None)
