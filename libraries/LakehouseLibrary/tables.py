"""Delta table metadata keywords (delta-rs): version, history, schema, deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError
from robot.api import logger
from robot.api.deco import keyword

from lhcommon import masking as secrets
from lhkit import htmllog
from lhkit.assertions import get_and_verify
from lhkit.polling import wait_until
from lhkit.target import require_test_environment

from .context import LakehouseComponent
from .engine import StorageUnavailable, TableNotFound, storage_options


class TableKeywords(LakehouseComponent):
    def _table(self, table: str) -> DeltaTable:
        _, _, uri = self.table_uri(table)
        try:
            return DeltaTable(uri, storage_options=storage_options(self.target))
        except TableNotFoundError:
            raise TableNotFound(table, uri) from None
        except OSError as error:
            raise StorageUnavailable(secrets.mask(f"Could not open {table} ({uri}): {error}")) from None

    @keyword(tags=("Lakehouse", "Getter"))
    def get_table_version(
        self,
        table: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> int:
        """Returns the latest Delta version of ``table`` (``bronze.trips`` or an ``s3://`` URI); optionally asserts it.

        With ``retry_timeout`` the version is read again until the assertion holds.

        | ${v}= | Get Table Version | bronze.trips |
        | Get Table Version | silver.stg_trips | >= | 1 | retry_timeout=30 s |
        """
        return get_and_verify(
            lambda: self._table(table).version(), assertion_operator, assertion_expected, f"Version of {table}",
            message, retry_timeout, verify=int_str_verify_assertion,
        )

    @keyword(tags=("Lakehouse", "Wait"))
    def wait_for_table_version(self, table: str, version: int, timeout: timedelta | None = None) -> int:
        """Waits until ``table`` reaches at least ``version``; returns the version seen.

        A table that does not exist yet counts as "not yet" here. ``timeout`` defaults to the
        library's ``timeout``.

        | ${v}= | Get Table Version | silver.stg_trips |
        | Build Dbt | stg_trips |
        | Wait For Table Version | silver.stg_trips | ${v + 1} |
        """

        def probe() -> int:
            try:
                return self._table(table).version()
            except TableNotFound:
                return -1

        return wait_until(
            probe,
            lambda v: v >= version,
            timeout=self.timeout(timeout),
            description=f"{table} to reach version {version}",
            describe=lambda v: "table does not exist" if v < 0 else f"version {v}",
            transient=(StorageUnavailable,),
        )

    @keyword(tags=("Lakehouse", "Getter"))
    def get_table_history(self, table: str, limit: int = 20) -> list[dict[str, Any]]:
        """Returns the latest ``limit`` commits (newest first) and logs them as a table.

        | ${history}= | Get Table History | silver.stg_trips | limit=5 |
        | Should Be Equal | ${history}[0][operation] | WRITE |
        """
        history = self._table(table).history(limit)
        rows = [
            {
                "version": h.get("version"),
                "timestamp": h.get("timestamp"),
                "operation": h.get("operation"),
                "operationParameters": h.get("operationParameters"),
                "operationMetrics": h.get("operationMetrics"),
            }
            for h in history
        ]
        htmllog.log_table(rows, caption=f"History of {table}")
        return [dict(h) for h in history]

    @keyword(tags=("Lakehouse", "Getter"))
    def get_table_schema(self, table: str) -> dict[str, str]:
        """Returns ``{column: type}`` of ``table`` in Delta's type names, in column order.

        | ${schema}= | Get Table Schema | bronze.trips |
        | Dictionary Should Contain Key | ${schema} | _raw_value |
        """
        fields = self._table(table).schema().fields
        schema = {f.name: _type_name(f.type) for f in fields}
        htmllog.log_table([{"column": k, "type": v} for k, v in schema.items()], caption=f"Schema of {table}")
        return schema

    @keyword(tags=("Lakehouse", "Getter"))
    def table_exists(self, table: str) -> bool:
        """Returns whether ``table`` is a Delta table. Storage errors propagate; they are not "no".

        | ${built}= | Table Exists | gold.agg_daily_platform_revenue |
        """
        return self.engine().table_exists(table)

    @keyword(tags=("Lakehouse", "Assertion"))
    def table_should_exist(self, table: str, message: str | None = None) -> None:
        """Fails unless ``table`` is a Delta table.

        | Table Should Exist | bronze.trips |
        """
        if not self.engine().table_exists(table):
            uri = self.table_uri(table)[2]
            raise AssertionError(message or f"Delta table {table} ({uri}) should exist but does not")

    @keyword(tags=("Lakehouse", "Destructive"))
    def delete_table_objects(self, table: str) -> int:
        """Deletes every S3 object of ``table`` (data and log), so it no longer exists. Test environments only.

        Returns the number of objects deleted.

        | Delete Table Objects | silver.scratch_${suffix} |
        """
        bucket, key, uri = self.table_uri(table)
        if not key:
            raise ValueError(f"Refusing to delete a whole bucket ({uri})")
        require_test_environment(self.target, f"delete Delta table {table} ({uri})")
        from .objects import ObjectKeywords

        deleted = ObjectKeywords(self.ctx).delete_objects_with_prefix(bucket, f"{key}/")
        logger.info(f"Deleted Delta table {table}: {deleted} object(s)")
        return deleted


def _type_name(t: Any) -> str:
    name = getattr(t, "type", None)
    if isinstance(name, str):
        return name
    return str(t)
