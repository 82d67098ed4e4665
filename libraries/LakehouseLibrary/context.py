"""The LakehouseLibrary component base: the shared S3 client and query engine of one library instance."""

from __future__ import annotations

from typing import Any

from lhkit.component import LibraryComponent

from .engine import DeltaQueryEngine, s3_client, table_uri


class LakehouseComponent(LibraryComponent):
    """A LakehouseLibrary component: the target's S3 client and DuckDB engine, built once per library."""

    def s3(self) -> Any:
        return self.ctx.resource("s3", lambda: s3_client(self.target))

    def engine(self) -> DeltaQueryEngine:
        return self.ctx.resource("engine", lambda: DeltaQueryEngine(self.target), close=DeltaQueryEngine.close)

    def table_uri(self, table: str) -> tuple[str, str, str]:
        """``(bucket, key, uri)`` of ``<layer>.<table>`` (or an ``s3://`` URI) on the target."""
        return table_uri(table, self.target)
