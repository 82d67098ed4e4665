"""Delta table metadata keywords (delta-rs): version, history, schema, deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, int_str_verify_assertion
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog, require_test_environment, secrets, wait_until

from .context import LibraryComponent
from .engine import StorageUnavailable, TableNotFound, delta_storage_options, table_uri


class TableKeywords(LibraryComponent):
    def _table(self, table: str) -> DeltaTable:
        _, _, uri = table_uri(table)
        try:
            return DeltaTable(uri, storage_options=delta_storage_options(self.ctx.target))
        except TableNotFoundError:
            raise TableNotFound(table, uri) from None
        except OSError as error:
            raise StorageUnavailable(secrets.mask(f"Could not open {table} ({uri}): {error}")) from None

    @keyword(tags=("delta", "Getter"))
    def get_table_version(
        self,
        table: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ) -> int:
        """Returns the latest Delta version of ``table`` (``bronze.trips`` or an ``s3://`` URI); optionally asserts it.

        | ${v}= | Get Table Version | bronze.trips |
        | Get Table Version | silver.trips | >= | 1 |
        """
        version = self._table(table).version()
        return int_str_verify_assertion(version, assertion_operator, assertion_expected, f"Version of {table}", message)

    @keyword(tags=("delta",))
    def wait_for_table_version(self, table: str, version: int, timeout: timedelta = timedelta(seconds=60)) -> int:
        """Waits until ``table`` reaches at least ``version``; returns the version seen.

        A table that does not exist yet counts as "not yet" here.

        | ${v}= | Get Table Version | silver.trips |
        | Run Dbt | ... |
        | Wait For Table Version | silver.trips | ${v + 1} |
        """

        def probe() -> int:
            try:
                return self._table(table).version()
            except TableNotFound:
                return -1

        return wait_until(
            probe,
            lambda v: v >= version,
            timeout=timeout,
            description=f"{table} to reach version {version}",
            describe=lambda v: "table does not exist" if v < 0 else f"version {v}",
            transient=(StorageUnavailable,),
        )

    @keyword(tags=("delta",))
    def get_table_history(self, table: str, limit: int = 20) -> list[dict[str, Any]]:
        """Returns the latest ``limit`` commits (newest first) and logs them as a table.

        | ${history}= | Get Table History | silver.trips | limit=5 |
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

    @keyword(tags=("delta",))
    def get_table_schema(self, table: str) -> dict[str, str]:
        """Returns ``{column: type}`` of ``table`` in Delta's type names, in column order.

        | ${schema}= | Get Table Schema | bronze.trips |
        | Dictionary Should Contain Key | ${schema} | _raw_value |
        """
        fields = self._table(table).schema().fields
        schema = {f.name: _type_name(f.type) for f in fields}
        htmllog.log_table([{"column": k, "type": v} for k, v in schema.items()], caption=f"Schema of {table}")
        return schema

    @keyword(tags=("delta", "Getter"))
    def table_exists(self, table: str) -> bool:
        """Returns whether ``table`` is a Delta table. Storage errors propagate; they are not "no".

        | ${built}= | Table Exists | gold.agg_daily_platform_revenue |
        """
        return self.ctx.engine().table_exists(table)

    @keyword(tags=("delta",))
    def table_should_exist(self, table: str, message: str | None = None) -> None:
        """Fails unless ``table`` is a Delta table.

        | Table Should Exist | bronze.trips |
        """
        if not self.ctx.engine().table_exists(table):
            raise AssertionError(message or f"Delta table {table} ({table_uri(table)[2]}) should exist but does not")

    @keyword(tags=("delta", "destructive"))
    def delete_table_objects(self, table: str) -> int:
        """Deletes every S3 object of ``table`` (data and log), so it no longer exists. Test environments only.

        Returns the number of objects deleted.

        | Delete Table Objects | silver.scratch_${suffix} |
        """
        bucket, key, uri = table_uri(table)
        if not key:
            raise ValueError(f"Refusing to delete a whole bucket ({uri})")
        require_test_environment(self.ctx.target, f"delete Delta table {table} ({uri})")
        from .objects import ObjectKeywords

        deleted = ObjectKeywords(self.ctx).delete_objects_with_prefix(bucket, f"{key}/")
        logger.info(f"Deleted Delta table {table}: {deleted} object(s)")
        return deleted


def _type_name(t: Any) -> str:
    name = getattr(t, "type", None)
    if isinstance(name, str):
        return name
    return str(t)
