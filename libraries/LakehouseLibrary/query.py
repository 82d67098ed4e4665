"""SQL keywords over Delta tables: Query, row counts, waiting for rows, row-level comparisons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify

from .context import LakehouseComponent
from .counts import RowCount
from .diff import compare_rows
from .engine import DEFAULT_QUERY_TIMEOUT, StorageUnavailable, TableNotFound


class QueryKeywords(LakehouseComponent):
    @keyword(tags=("Lakehouse", "Getter"))
    def query(self, sql: str, *params: Any, timeout: timedelta | None = None) -> list[dict[str, Any]]:
        """Runs ``sql`` (DuckDB dialect) and returns the rows as dictionaries.

        ``bronze.<table>``, ``silver.<table>`` and ``gold.<table>`` name the Delta tables of the
        target's layers. ``?`` placeholders take ``params`` in order. Rows are logged as an HTML
        table. Bad SQL and unknown tables fail at once with DuckDB's message. ``timeout`` (default
        60 s) interrupts a query that runs too long.

        | ${rows}= | Query | SELECT trip_id, fare FROM silver.stg_trips WHERE correlation_id = ? | ${cid} |
        | ${rows}= | Query | SELECT sum(gross_revenue) AS revenue FROM gold.agg_daily_platform_revenue |
        """
        limit = DEFAULT_QUERY_TIMEOUT if timeout is None else self.timeout(timeout)
        rows = self.engine().query(sql, list(params) if params else None, timeout=limit)
        htmllog.log_table(rows, caption=" ".join(sql.split())[:200])
        return rows

    @keyword(tags=("Lakehouse", "Getter"))
    def get_row_count(
        self,
        table: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        where: str | None = None,
        correlation_id: str | None = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Returns the number of rows of ``table`` (optionally filtered); optionally asserts it.

        ``correlation_id`` filters on the ``correlation_id`` column; ``where`` is an extra SQL
        condition. With ``retry_timeout`` the count is read again until the assertion holds.

        | ${n}= | Get Row Count | bronze.trips |
        | Get Row Count | silver.stg_trips | == | 6 | correlation_id=${cid} |
        | Get Row Count | gold.fact_trips | > | 0 | where=fare > 0 | retry_timeout=30 s |
        """
        sql, params = self._filtered(table, "count(*) AS n", correlation_id, where)
        return get_and_verify(
            lambda: int(self.engine().query(sql, params)[0]["n"]), assertion_operator, assertion_expected,
            f"Row count of {table}{_describe_filter(correlation_id, where)}", message, retry_timeout,
            verify=int_str_verify_assertion,
        )

    @keyword(tags=("Lakehouse", "Wait"))
    def wait_for_rows(
        self,
        table: str,
        correlation_id: str | None = None,
        where: str | None = None,
        count: int | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        timeout: timedelta | None = None,
        wait_for_table: bool = False,
        message: str | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until ``table`` holds the expected number of matching rows; returns the rows.

        ``count=N`` means exactly N: the wait polls until N rows match and fails at once if more
        than N do. For anything else give an AssertionEngine ``assertion_operator`` and
        ``assertion_expected``, e.g. ``>=`` and ``6`` for "at least six". With neither, it waits for
        at least one row. Filters as in `Get Row Count`. ``timeout`` defaults to the library's.

        Bad SQL fails at once; a table that does not exist fails at once too, unless
        ``wait_for_table=True`` (for tables a job has yet to create). For Bronze and DLQ rows of a
        correlation id prefer StreamingLibrary's `Wait For Bronze Rows`, which also logs lineage.

        | ${rows}= | Wait For Rows | silver.stg_trips | correlation_id=${cid} | count=6 |
        | Wait For Rows | gold.fact_trips | assertion_operator=>= | assertion_expected=1 | timeout=2 min |
        """
        engine = self.engine()
        sql, params = self._filtered(table, "count(*) AS n", correlation_id, where)
        condition = _describe_filter(correlation_id, where)
        expect = RowCount(f"row(s) in {table}{condition}", count, assertion_operator, assertion_expected, message)
        transient: tuple[type[BaseException], ...] = (StorageUnavailable,)
        if wait_for_table:
            transient += (TableNotFound,)
        found = self.wait_until(
            lambda: int(engine.query(sql, params)[0]["n"]),
            expect.reached,
            timeout=self.timeout(timeout),
            description=f"{expect.wanted} row(s) in {table}{condition}",
            describe=lambda n: f"{n} row(s)",
            transient=transient,
        )
        select, params = self._filtered(table, "*", correlation_id, where)
        rows = engine.query(select, params)
        htmllog.log_table(rows, caption=f"Rows of {table}{condition}")
        expect.verify(len(rows) if expect.count is not None else found)
        return rows

    @keyword(tags=("Lakehouse", "Assertion"))
    def table_should_contain_rows(
        self,
        table: str,
        expected_rows: list[dict[str, Any]],
        key_columns: list[str] | None = None,
        correlation_id: str | None = None,
        where: str | None = None,
        allow_extra: bool = False,
        columns: list[str] | None = None,
        message: str | None = None,
    ) -> None:
        """Compares the (filtered) rows of ``table`` with ``expected_rows`` and logs a row-level diff on failure.

        Only the columns named in ``expected_rows`` (or ``columns``) are compared; values compare as
        text/numbers, so ``"12.50"`` equals ``12.5``. With ``key_columns`` rows are aligned by
        key and differing rows are reported as *changed*; otherwise as *missing*/*unexpected*.
        Rows of the table that are not expected fail the check unless ``allow_extra=True``.

        | ${expected}= | Create List | ${{ {"trip_id": "trip-1", "status": "completed"} }} |
        | Table Should Contain Rows | silver.stg_trips | ${expected} | key_columns=${{["trip_id"]}} |
        """
        cols = list(columns) if columns else []
        sql, params = self._filtered(table, "*", correlation_id, where)
        actual = self.engine().query(sql, params)
        diff = compare_rows(expected_rows, actual, key_columns=key_columns or (), columns=cols or None)
        if allow_extra:
            diff.unexpected = []
        shown = cols or _columns_of(expected_rows, key_columns or ())
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
        self.table_uri(table)  # validate the name early
        conditions: list[str] = []
        params: list[Any] = []
        if correlation_id is not None:
            conditions.append("correlation_id = ?")
            params.append(correlation_id)
        if where:
            conditions.append(f"({where})")
        sql = f"SELECT {select} FROM {table}" + (" WHERE " + " AND ".join(conditions) if conditions else "")
        return sql, params or None


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
