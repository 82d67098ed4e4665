"""LakehouseLibrary: S3 objects, Delta table metadata and SQL over the Bronze/Silver/Gold layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from robotlibcore import DynamicCore

from .context import LakehouseContext
from .diff import RowDiff, compare_rows
from .engine import DeltaQueryEngine, LakehouseError, QueryError, StorageUnavailable, TableNotFound
from .objects import ObjectKeywords
from .query import QueryKeywords
from .tables import TableKeywords

__all__ = [
    "DeltaQueryEngine",
    "LakehouseError",
    "LakehouseLibrary",
    "QueryError",
    "RowDiff",
    "StorageUnavailable",
    "TableNotFound",
    "compare_rows",
]
__version__ = "0.1.0"


class LakehouseLibrary(DynamicCore):
    """Keywords for the lakehouse's storage: S3 objects, Delta tables and SQL over them.

    %TOC%

    = Target =
    The S3 endpoint and credentials come from the current target (``${LH_TARGET}``, else the
    embedded platform), resolved on first use. Credentials are never logged. Override on import:
    | Library | LakehouseLibrary | s3_endpoint=http://127.0.0.1:28403 |

    = Table names =
    Tables are named ``<layer>.<table>`` with layer ``bronze``, ``silver`` or ``gold``; the table
    lives at ``s3://<layer>/<table>`` (the buckets of ``lakehouse/contracts.py``). Keywords also
    accept a full ``s3://bucket/path`` URI. In SQL, `Query` resolves the same names, e.g.
    ``SELECT * FROM silver.trips``. Queries run in DuckDB (delta extension) and always read the
    latest committed version.

    = Correlation ids =
    ``correlation_id=`` filters on a ``correlation_id`` column; on raw Bronze tables (which keep the
    Kafka value in ``_raw_value``) it filters on the JSON field inside it instead.

    = Errors and timeouts =
    Bad SQL, unknown columns and unknown tables fail immediately with DuckDB's message; waits
    never turn them into timeouts. `Wait For Rows` polls every 0.2 s and reports the last count
    and the time waited. S3 calls time out after a few seconds when the endpoint is down.

    = Destructive keywords =
    `Delete Objects With Prefix` and `Delete Table Objects` refuse to run unless the target is a
    test environment.

    = Assertions =
    Getters accept an optional AssertionEngine operator and expected value:
    | Get Row Count | silver.trips | == | 6 | correlation_id=${cid} |
    | Get Table Version | gold.daily_revenue | >= | 1 |
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, target: Mapping[str, Any] | None = None, s3_endpoint: str | None = None):
        """``target``: a target dictionary to use instead of the current one.
        ``s3_endpoint``: override only the S3 endpoint URL.
        """
        self._ctx = LakehouseContext(target, s3_endpoint)
        self.ROBOT_LIBRARY_LISTENER = self
        super().__init__([ObjectKeywords(self._ctx), TableKeywords(self._ctx), QueryKeywords(self._ctx)])

    def close(self) -> None:
        """Listener hook: close the DuckDB connection when the library goes out of scope."""
        self._ctx.close()
