"""StreamingLibrary: keywords for the Bronze ingestion job (Kafka → streaming job → Delta Bronze + DLQ)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from lhkit.component import KeywordLibrary, LibraryContext

from .bronze import BronzeKeywords
from .checkpoint import CheckpointKeywords
from .dlq import DlqKeywords
from .progress import ProgressKeywords

__all__ = ["StreamingLibrary"]
__version__ = "0.2.0"


class StreamingLibrary(KeywordLibrary):
    """Keywords for Bronze ingestion (the ``data-platform`` profile): the one home of Bronze and DLQ keywords.

    %TOC%

    = Concepts =
    The streaming job reads every domain topic and writes each record once to its Bronze table
    (``bronze.<table>``, e.g. ``bronze.gps_pings``) or, when it is not valid UTF-8 JSON matching
    its topic's schema with a key field and under the size limit, to ``bronze.dlq`` with an
    ``error_type`` (``INVALID_JSON``, ``NOT_UTF8``, ``SCHEMA_VIOLATION``, ``MISSING_KEY``,
    ``OVERSIZE``). The column layout is the contract's (``contract.layout``).

    Tables can be named by topic (``gps-pings``), table (``gps_pings``) or ``bronze.gps_pings``.
    Topics are logical names; the target's ``topic_prefix`` makes the physical name.

    = Correlation ids =
    Every Bronze and DLQ row carries the ``correlation_id`` of its payload (best effort for
    unparseable payloads). Keywords select a test's rows by it, so tests run in parallel under
    pabot.

    = Row counts =
    The same in every wait on rows here and in LakehouseLibrary:
    - ``count=N`` means *exactly* N rows: the wait polls until N rows are there and fails at once,
      naming the surplus (and duplicated event ids), when more appear.
    - ``assertion_operator`` / ``assertion_expected`` express anything else, e.g. ``>=`` ``6`` for
      "at least six".
    - With neither, the wait is for at least one row.
    Getters (`Get Bronze Row Count`, `Get Ingestion Lag`) take AssertionEngine's
    ``assertion_operator``, ``assertion_expected``, ``message`` and ``retry_timeout``.

    = Target =
    Bronze is read through LakehouseLibrary's DuckDB engine with the target's S3 settings and
    buckets; the job's ``/health``, ``/metrics.json`` and ``/commits.json`` come from the target's
    ``streaming_metrics_url``; `Delete Streaming Checkpoint` uses its ``streaming_checkpoint``.

    = Timeouts =
    Waits take a ``timeout`` (Robot time format or ``timedelta``) that defaults to the library's
    ``timeout`` import argument (60 s), poll every 0.5 s, and fail with what they expected, what
    they last saw and how long they waited.

    = Example =
    | ${cid}=    New Correlation Id
    | ${events}=    Build Trip Lifecycle    ${cid}
    | Publish Events    trips    ${events}    correlation_id=${cid}
    | ${rows}=    Wait For Bronze Rows    trips    ${cid}    count=6
    | Bronze Rows Should Be In Publish Order    ${rows}    ${events}
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        timeout: timedelta = timedelta(seconds=60),
        streaming_metrics_url: str | None = None,
    ) -> None:
        """``target``: a platform contract mapping to use instead of ``${LH_TARGET}``.
        ``timeout``: the default of every wait's ``timeout``.
        ``streaming_metrics_url``: override only the job's metrics endpoint.
        """
        ctx = LibraryContext(
            target, timeout, overrides={"streaming_metrics_url": streaming_metrics_url}, requires=("s3_endpoint",)
        )
        components = [BronzeKeywords(ctx), DlqKeywords(ctx), ProgressKeywords(ctx), CheckpointKeywords(ctx)]
        super().__init__(ctx, components)
