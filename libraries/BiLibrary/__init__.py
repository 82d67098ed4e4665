"""BiLibrary: check what the BI layer (Apache Superset) shows, through its API and in a real browser."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from contract.platform import PlatformContract
from lhcommon import masking
from lhkit.component import KeywordLibrary, LibraryContext
from lhkit.polling import to_seconds

from .browser import BrowserKeywords
from .client import SupersetAuthError, SupersetClient, SupersetError, SupersetHttpError, SupersetUnreachable
from .keywords import AssetKeywords, ChartKeywords
from .normalize import NotFound

__all__ = [
    "BiLibrary",
    "NotFound",
    "SupersetAuthError",
    "SupersetClient",
    "SupersetError",
    "SupersetHttpError",
    "SupersetUnreachable",
]
__version__ = "0.1.0"


class BiLibrary(KeywordLibrary):
    """Superset keywords for end-to-end lakehouse tests: dashboards, charts, chart values, a real browser.

    %TOC%

    = Target =
    The endpoint and credentials come from the current target (``superset_url``,
    ``superset_user``, ``superset_password`` of ``${LH_TARGET}``, else of the contract file named by
    ``LH_CONTRACT_FILE``). Nothing connects until the first keyword runs. Override on import:
    | Library | BiLibrary | url=http://127.0.0.1:18088 | user=admin | password=${PASSWORD} |

    = Authentication and CSRF =
    The library logs in with ``POST /api/v1/security/login`` (database provider) and sends the JWT
    as ``Bearer``. Mutating calls (e.g. the dashboard permalink the browser keywords create) also
    carry the CSRF token from ``/api/v1/security/csrf_token/``, the session cookie it sets and a
    ``Referer``; Superset refuses them otherwise (400 "The CSRF token is missing"). A 401 on a later
    call logs in again once. Wrong credentials fail at once, naming the URL and user, never the password.

    = Chart values and correlation ids =
    `Get Chart Value` runs the chart's own query through Superset (``POST /api/v1/chart/data``,
    bypassing any cache), so it checks the dataset SQL, the DuckDB connection to Gold and the
    metric, as the dashboard does. The lakehouse's datasets all carry ``correlation_id``: pass
    ``where=${{{"correlation_id": $cid}}}`` to read the figure of the test's own events.
    | Get Chart Value | Completed trips | == | 1 | where=${{{"correlation_id": $cid}}} | retry_timeout=30 s |

    = Real browser =
    `Open Dashboard In Browser` logs in through the login form of the test machine's headless
    Chromium (Debian ``chromium`` + ``chromium-driver``; nothing is downloaded), opens the
    dashboard, optionally narrowed to one correlation id through its "Correlation id" filter,
    waits until every chart has rendered and embeds a screenshot in log.html. `Dashboard Should Show`
    then compares the number a chart shows with the expected one.

    = Failures and timeouts =
    A missing dashboard or chart fails naming it and listing those that exist. An unreachable
    Superset fails after ``connect_timeout`` (default 10 s) with the URL and how long the library
    tried. Every HTTP request has ``request_timeout`` (default: the library-wide ``timeout``, 30 s).
    Getters take AssertionEngine's ``assertion_operator``, ``assertion_expected`` and ``message``;
    with ``retry_timeout`` they ask again until the assertion holds.

    = Tags =
    Every keyword is tagged ``Bi`` and one of ``Getter``, ``Assertion`` and ``Setter`` (browser).
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | PlatformContract | None = None,
        url: str | None = None,
        user: str | None = None,
        password: Any = None,
        timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
        connect_timeout: timedelta | None = None,
    ):
        """``target``: a target dictionary instead of the current one. ``url``, ``user``, ``password``:
        override single settings of the target. ``timeout``: the default of every wait (30 s).
        ``request_timeout``: limit of each HTTP request (default ``timeout``). ``connect_timeout``: how
        long an unreachable server is retried before failing (default 10 s).
        """
        overrides = {"superset_url": url, "superset_user": user, "superset_password": masking.reveal(password)}
        ctx = LibraryContext(target, timeout, overrides=overrides)
        per_request = to_seconds(request_timeout, ctx.timeout)
        connect = to_seconds(connect_timeout, 10.0)
        super().__init__(
            ctx,
            [
                AssetKeywords(ctx, per_request, connect),
                ChartKeywords(ctx, per_request, connect),
                BrowserKeywords(ctx, per_request, connect),
            ],
        )
