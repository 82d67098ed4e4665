"""bronze-init: create the 8 Bronze tables and the DLQ table, empty, before streaming starts.

Created with delta-rs from the contract's layout (:func:`contract.layout.arrow_schema`),
partitioned by ``_ingestion_date``, under the contract's Bronze bucket (``LH_BUCKET_BRONZE``),
so queries work before the first event arrives.
Existing tables are checked, not touched: a schema that differs from the declared
one is an error (the streaming job would fail on its first append otherwise).
Runs strictly before ``bronze-streaming`` (single writer per table).
"""

from __future__ import annotations

import sys

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from contract.layout import PARTITION_COLUMN, arrow_schema, bronze_tables
from contract.platform import PlatformContract
from contract.storage import delta_storage_options
from lakehouse.settings import Settings

# The streaming job checkpoints, compacts, cleans the log and vacuums in its own background thread
# (lakehouse.streaming.delta_writer.Maintenance); these retentions decide what its cleanup removes:
# commits older than a day (behind a checkpoint) and files that compaction replaced an hour ago.
TABLE_PROPERTIES = {
    "delta.logRetentionDuration": "interval 1 days",
    "delta.deletedFileRetentionDuration": "interval 1 hours",
}


def _columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in schema]


def ensure_table(contract: PlatformContract, table: str) -> str:
    """Create ``table`` if missing; return what was done."""
    uri = contract.table_uri(table)
    schema = arrow_schema(table)
    options = delta_storage_options(contract)
    try:
        existing = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        DeltaTable.create(
            uri,
            schema=schema,
            partition_by=[PARTITION_COLUMN],
            name=table,
            description=f"Bronze {table}: raw Kafka records with metadata, written by bronze-streaming",
            configuration=TABLE_PROPERTIES,
            storage_options=options,
        )
        return f"created {uri}"
    have = _columns(pa.schema(existing.schema().to_arrow()))
    want = _columns(schema)
    if have != want or existing.metadata().partition_columns != [PARTITION_COLUMN]:
        raise SystemExit(
            f"{uri} exists with a different layout.\n  expected: {want} partitioned by [{PARTITION_COLUMN}]\n"
            f"  found:    {have} partitioned by {existing.metadata().partition_columns}"
        )
    return f"{uri} exists (version {existing.version()})"


def main() -> int:
    contract = Settings.load().contract()
    for table in bronze_tables():
        print(ensure_table(contract, table), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
