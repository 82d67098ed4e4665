"""LakehouseLibrary: S3 objects, Delta table metadata and SQL over the Bronze/Silver/Gold layers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from lhkit.component import KeywordLibrary, LibraryContext

from .counts import RowCount
from .diff import RowDiff, compare_rows
from .engine import DeltaQueryEngine, LakehouseError, QueryError, StorageUnavailable, TableNotFound
from .lineage import LineageKeywords
from .medallion import MedallionKeywords
from .objects import ObjectKeywords
from .query import QueryKeywords
from .s3api import S3ApiKeywords
from .tables import TableKeywords

__all__ = [
    "DeltaQueryEngine",
    "LakehouseError",
    "LakehouseLibrary",
    "QueryError",
    "RowCount",
    "RowDiff",
    "StorageUnavailable",
    "TableNotFound",
    "compare_rows",
]
__version__ = "0.2.0"


class LakehouseLibrary(KeywordLibrary):
    """Keywords for the lakehouse's storage: S3 objects, Delta tables and SQL over them.

    %TOC%

    = Target =
    The S3 endpoint, credentials and layer buckets come from the target platform contract
    (``${LH_TARGET}``, set by a variables file), resolved on first use. Credentials are never
    logged. Override on import:
    | Library | LakehouseLibrary | s3_endpoint=http://127.0.0.1:28403 | timeout=2 min |

    = Table names =
    Tables are named ``<layer>.<table>`` with layer ``bronze``, ``silver`` or ``gold``; the table
    lives at ``s3://<bucket of that layer>/<table>`` (the target's ``buckets``). Keywords also
    accept a full ``s3://bucket/path`` URI. In SQL, `Query` resolves the same names, e.g.
    ``SELECT * FROM silver.stg_trips`` or ``gold.fact_trips``. Queries run in DuckDB (delta
    extension) and always read the latest committed version.

    = Domain checks =
    Keywords such as `Silver Trips Should Be Deduplicated` state what the medallion layers must
    hold for a test's events in the domain's words; the SQL stays in the library.

    = Bronze and the DLQ =
    This library reads any table. The Bronze and DLQ keywords by correlation id (with lineage,
    duplicate and publish-order checks) live in StreamingLibrary, their one home.

    = Row counts =
    Every wait on rows in LakehouseLibrary and StreamingLibrary counts the same way:
    - ``count=N`` means *exactly* N rows: the wait polls until N rows match and fails at once,
      saying how many more, when more than N do.
    - ``assertion_operator`` / ``assertion_expected`` express anything else, e.g. ``>=`` ``6``
      for "at least six".
    - With neither, the wait is for at least one row.
    | Wait For Rows | silver.stg_trips | correlation_id=${cid} | count=6 |
    | Wait For Rows | gold.fact_trips | assertion_operator=>= | assertion_expected=1 |

    = Assertions =
    Getters take AssertionEngine's ``assertion_operator``, ``assertion_expected`` and ``message``,
    and ``retry_timeout`` to read again until the assertion holds:
    | Get Row Count | silver.stg_trips | == | 6 | correlation_id=${cid} |
    | Get Table Version | gold.fact_trips | >= | 1 | retry_timeout=30 s |

    = Errors and timeouts =
    Bad SQL, unknown columns and unknown tables fail immediately with DuckDB's message; waits
    never turn them into timeouts. Waits poll every 0.2 s, default to the library's ``timeout``
    (import argument, 60 s) and report the last count and the time waited. S3 calls time out
    after a few seconds when the endpoint is down.

    = S3 API features =
    `Upload Object In Parts` (multipart upload), `Create Presigned Url` (SigV4 presigned GET),
    `List Object Pages` (``MaxKeys`` and continuation tokens) and `Get S3 Error With Credentials`
    expose single S3 API features for compatibility tests of the object store.

    = Destructive keywords =
    `Delete Objects With Prefix` and `Delete Table Objects` refuse to run unless the target is a
    test environment.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        s3_endpoint: str | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ):
        """``target``: a platform contract mapping to use instead of ``${LH_TARGET}``.
        ``s3_endpoint``: override only the S3 endpoint URL.
        ``timeout``: the default of every wait's ``timeout``.
        """
        ctx = LibraryContext(target, timeout, overrides={"s3_endpoint": s3_endpoint}, requires=("s3_endpoint",))
        super().__init__(
            ctx,
            [
                ObjectKeywords(ctx),
                S3ApiKeywords(ctx),
                TableKeywords(ctx),
                QueryKeywords(ctx),
                MedallionKeywords(ctx),
                LineageKeywords(ctx),
            ],
        )
