"""SQL keywords over Delta tables: Query, row counts, waiting for rows, row-level comparisons."""

from __future__ import annotations

import operator as op
from datetime import timedelta
from typing import Any, Literal

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog, to_seconds, wait_until

from .context import LibraryComponent
from .diff import compare_rows
from .engine import StorageUnavailable, TableNotFound, table_uri

Comparison = Literal["==", "!=", ">", ">=", "<", "<="]
_OPS = {"==": op.eq, "!=": op.ne, ">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le}
RAW_COLUMN = "_raw_value"


class QueryKeywords(LibraryComponent):
    @keyword(tags=("sql",))
    def query(self, sql: str, *params: Any, timeout: timedelta = timedelta(seconds=60)) -> list[dict[str, Any]]:
        """Runs ``sql`` (DuckDB dialect) and returns the rows as dictionaries.

        ``bronze.<table>``, ``silver.<table>`` and ``gold.<table>`` name the Delta tables at
        ``s3://<layer>/<table>``. ``?`` placeholders take ``params`` in order. Rows are logged as an
        HTML table. Bad SQL and unknown tables fail at once with DuckDB's message.

        | ${rows}= | Query | SELECT trip_id, fare FROM silver.trips WHERE correlation_id = ? | ${cid} |
        | ${rows}= | Query | SELECT count(*) AS n FROM gold.daily_revenue |
        """
        rows = self.ctx.engine().query(sql, list(params) if params else None, timeout=to_seconds(timeout, 60.0))
        htmllog.log_table(rows, caption=" ".join(sql.split())[:200])
        return rows

    @keyword(tags=("sql", "Getter"))
    def get_row_count(
        self,
        table: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        where: str | None = None,
        correlation_id: str | None = None,
        message: str | None = None,
    ) -> int:
        """Returns the number of rows of ``table`` (optionally filtered); optionally asserts it.

        ``correlation_id`` filters on the ``correlation_id`` column, or on the JSON field of
        ``_raw_value`` for raw Bronze tables. ``where`` is an extra SQL condition.

        | ${n}= | Get Row Count | bronze.trips |
        | Get Row Count | silver.trips | == | 6 | correlation_id=${cid} |
        | Get Row Count | gold.daily_revenue | > | 0 | where=revenue > 0 |
        """
        sql, params = self._filtered(table, "count(*) AS n", correlation_id, where)
        count = int(self.ctx.engine().query(sql, params)[0]["n"])
        return int_str_verify_assertion(count, assertion_operator, assertion_expected, f"Row count of {table}", message)

    @keyword(tags=("sql", "wait"))
    def wait_for_rows(
        self,
        table: str,
        correlation_id: str | None = None,
        where: str | None = None,
        count: int = 1,
        operator: Comparison = ">=",
        timeout: timedelta = timedelta(seconds=60),
        wait_for_table: bool = False,
    ) -> list[dict[str, Any]]:
        """Waits until the number of matching rows of ``table`` satisfies ``<operator> count``; returns the rows.

        Filters as in `Get Row Count`. Bad SQL fails at once; a table that does not exist fails at
        once too, unless ``wait_for_table=True`` (for tables a job has yet to create).

        | ${rows}= | Wait For Rows | bronze.trips | correlation_id=${cid} | count=6 |
        | Wait For Rows | silver.trips | where=status = 'completed' | count=1 | operator=== | timeout=2 min |
        """
        if operator not in _OPS:
            raise ValueError(f"operator must be one of {', '.join(_OPS)}, got '{operator}'")
        compare = _OPS[operator]
        engine = self.ctx.engine()
        transient: tuple[type[BaseException], ...] = (StorageUnavailable,)
        if wait_for_table:
            transient += (TableNotFound,)
        state: dict[str, Any] = {}

        def probe() -> int:
            if "sql" not in state:
                state["sql"], state["params"] = self._filtered(table, "count(*) AS n", correlation_id, where)
            return int(engine.query(state["sql"], state["params"])[0]["n"])

        condition = _describe_filter(correlation_id, where)
        wait_until(
            probe,
            lambda n: compare(n, count),
            timeout=timeout,
            default_timeout=60.0,
            description=f"row count of {table}{condition} {operator} {count}",
            describe=lambda n: f"{n} row(s)",
            transient=transient,
        )
        sql, params = self._filtered(table, "*", correlation_id, where)
        rows = engine.query(sql, params)
        htmllog.log_table(rows, caption=f"Rows of {table}{condition}")
        return rows

    @keyword(tags=("sql", "assertion"))
    def table_should_contain_rows(
        self,
        table: str,
        expected: list[dict[str, Any]],
        key_columns: list[str] | None = None,
        correlation_id: str | None = None,
        where: str | None = None,
        allow_extra: bool = False,
        columns: list[str] | None = None,
        message: str | None = None,
    ) -> None:
        """Compares the (filtered) rows of ``table`` with ``expected`` and logs a row-level diff on failure.

        Only the columns named in ``expected`` (or ``columns``) are compared; values compare as
        text/numbers, so ``"12.50"`` equals ``12.5``. With ``key_columns`` rows are aligned by
        key and differing rows are reported as *changed*; otherwise as *missing*/*unexpected*.
        Rows of the table that are not expected fail the check unless ``allow_extra=True``.

        | ${expected}= | Create List | ${{ {"trip_id": "trip-1", "status": "completed"} }} |
        | Table Should Contain Rows | silver.trips | ${expected} | key_columns=${{["trip_id"]}} |
        """
        cols = list(columns) if columns else []
        sql, params = self._filtered(table, "*", correlation_id, where)
        actual = self.ctx.engine().query(sql, params)
        diff = compare_rows(expected, actual, key_columns=key_columns or (), columns=cols or None)
        if allow_extra:
            diff.unexpected = []
        shown = cols or _columns_of(expected, key_columns or ())
        if diff.ok:
            logger.info(f"{table}{_describe_filter(correlation_id, where)}: {diff.summary()}")
            return
        logger.write(
            diff.html(shown, f"Row diff of {table}{_describe_filter(correlation_id, where)}"), "INFO", html=True
        )
        htmllog.log_table(actual, caption=f"Actual rows of {table}", level="DEBUG")
        raise AssertionError(message or f"{table} does not contain the expected rows: {diff.summary()} (see the log)")

    # --- helpers --------------------------------------------------------------------
    def _filtered(
        self, table: str, select: str, correlation_id: str | None, where: str | None
    ) -> tuple[str, list[Any] | None]:
        table_uri(table)  # validate the name early
        conditions: list[str] = []
        params: list[Any] = []
        if correlation_id is not None:
            conditions.append(f"{self._correlation_expr(table)} = ?")
            params.append(correlation_id)
        if where:
            conditions.append(f"({where})")
        sql = f"SELECT {select} FROM {table}" + (" WHERE " + " AND ".join(conditions) if conditions else "")
        return sql, params or None

    def _correlation_expr(self, table: str) -> str:
        columns = {r["column_name"] for r in self.ctx.engine().query(f"DESCRIBE SELECT * FROM {table}")}
        if "correlation_id" in columns:
            return "correlation_id"
        if RAW_COLUMN in columns:
            # Raw Bronze keeps malformed payloads too; json_extract on them would fail the whole query.
            return f"CASE WHEN json_valid({RAW_COLUMN}) THEN json_extract_string({RAW_COLUMN}, '$.correlation_id') END"
        raise AssertionError(
            f"{table} has neither a correlation_id nor a {RAW_COLUMN} column; use where= instead. "
            f"Columns: {', '.join(sorted(columns))}"
        )


def _describe_filter(correlation_id: str | None, where: str | None) -> str:
    parts = []
    if correlation_id is not None:
        parts.append(f"correlation_id = '{correlation_id}'")
    if where:
        parts.append(where)
    return f" where {' and '.join(parts)}" if parts else ""


def _columns_of(rows: list[dict[str, Any]], keys: Any) -> list[str]:
    cols = list(keys)
    for row in rows:
        cols += [c for c in row if c not in cols]
    return cols
