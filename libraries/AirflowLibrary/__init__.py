"""AirflowLibrary: trigger and inspect Airflow DAG runs from Robot Framework, on Airflow 2 and 3."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from contract.platform import PlatformContract
from lhcommon import masking
from lhkit.component import KeywordLibrary, LibraryContext
from lhkit.polling import to_seconds

from .client import AirflowAuthError, AirflowClient, AirflowError, AirflowNotFound, AirflowUnreachable
from .dags import DagKeywords, DagMissing
from .runs import DagRunFailed, RunKeywords

__all__ = [
    "AirflowAuthError",
    "AirflowClient",
    "AirflowError",
    "AirflowLibrary",
    "AirflowNotFound",
    "AirflowUnreachable",
    "DagMissing",
    "DagRunFailed",
]
__version__ = "0.1.0"


class AirflowLibrary(KeywordLibrary):
    """Airflow keywords for end-to-end lakehouse tests: DAG checks, triggering, waiting, task logs and XCom.

    %TOC%

    = Target =
    The endpoint and credentials come from the current target (``airflow_url``,
    ``airflow_user``, ``airflow_password`` of ``${LH_TARGET}``, else of the contract file named by
    ``LH_CONTRACT_FILE``). Nothing connects until the first keyword runs. Override on import:
    | Library | AirflowLibrary | url=http://127.0.0.1:18082 | user=admin | password=${AF_PASSWORD} |

    = API versions =
    The library detects the server's REST API on first use with the unauthenticated version
    probes: ``/api/v2`` (Airflow 3: a JWT from ``POST /auth/token``, refreshed before it expires
    and once more on any 401) or ``/api/v1`` (Airflow 2: basic auth). `Get Airflow API Version`
    tells which. Keywords return the same shapes on both:
    - XCom values are Python objects. v2 sends JSON; v1 sends a Python repr, which is parsed
      back with ``ast.literal_eval`` (a v1 string that looks like a literal, such as ``"42"``,
      comes back as the number).
    - Import errors carry ``file_name`` (base name) besides ``filename`` (absolute on v1,
      bundle-relative on v2).
    - `Trigger Dag` sends ``logical_date: null`` on v2, where the key is required.

    = Run ids and correlation ids =
    `Trigger Dag` takes ``run_id`` so tests can make it deterministic (e.g. ``silver_${CID}``)
    and pass their correlation id in ``conf``; the lakehouse DAGs narrow their work to
    ``conf.correlation_id``, which keeps pabot workers apart.

    = Failures and timeouts =
    Waits without their own ``timeout`` use the library-wide ``timeout`` given at import
    (default 30 s), except the DAG-run waits (`Wait For Dag Run`, `Trigger Dag And Wait`), which
    wait 2 minutes by default because a run takes minutes. Every HTTP request has a timeout too
    (``request_timeout``, default: the library-wide timeout; connecting at most 5 s), so no
    keyword hangs on an unreachable server.
    | Library | AirflowLibrary | timeout=1 min | request_timeout=10 s |
    Waits poll every 0.2 s and fail with what they expected, what they last saw and how long
    they waited. `Wait For Dag Run` fails as soon as the run ends in another state and attaches
    the logs of the failed tasks to log.html.
    A missing or paused DAG is a failure (`Dag Should Exist`), never a skip. Rejected credentials
    and unreachable servers fail with a message naming the URL and user, never the password.

    = Assertions =
    Getters (`Get Task State`, `Get Dag Run State`, `Get XCom Value`, `Get Import Error Count`,
    `Get Dag Ids`) take AssertionEngine's ``assertion_operator``, ``assertion_expected`` and
    ``message``; with ``retry_timeout`` they ask again until the assertion holds:
    | Get Task State | dbt_silver | ${run_id} | dbt_build | == | success | retry_timeout=30 s |

    = Secrets =
    The password and every token are masked (``***``) in log.html, output.xml and messages.

    = Tags =
    Every keyword is tagged ``Airflow`` and one or two of ``Getter``, ``Assertion``, ``Wait`` and
    ``Setter`` (triggering, pausing).
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | PlatformContract | None = None,
        url: str | None = None,
        user: str | None = None,
        password: Any = None,
        api: Literal["v1", "v2"] | None = None,
        timeout: timedelta | None = None,
        request_timeout: timedelta | None = None,
    ):
        """``target``: a target dictionary to use instead of the current one. ``url``, ``user``,
        ``password``: override single settings of the target. ``api``: skip detection (``v1`` or ``v2``).
        ``timeout``: the default of every wait's ``timeout`` except DAG runs (default 30 s).
        ``request_timeout``: limit for each HTTP request (default: ``timeout``).
        """
        overrides = {"airflow_url": url, "airflow_user": user, "airflow_password": masking.reveal(password)}
        ctx = LibraryContext(target, timeout, overrides=overrides)
        per_request = to_seconds(request_timeout, ctx.timeout)
        super().__init__(ctx, [DagKeywords(ctx, api, per_request), RunKeywords(ctx, api, per_request)])
