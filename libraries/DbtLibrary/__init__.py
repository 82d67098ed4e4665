"""DbtLibrary: run the platform's dbt project (Silver and Gold) from Robot Framework."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from lhkit.component import KeywordLibrary, LibraryContext
from lhkit.polling import to_seconds

from .keywords import DbtFailed, DbtKeywords
from .runner import DbtRun

__all__ = ["DbtFailed", "DbtLibrary", "DbtRun"]
__version__ = "0.2.0"


class DbtLibrary(KeywordLibrary):
    """Runs the platform's dbt project with the platform's own dbt, as a subprocess.

    %TOC%

    = What the project does =
    In the reference lakehouse, Silver models (tag ``silver``) parse the raw Kafka JSON of the
    Bronze Delta tables, type it, deduplicate on ``event_id`` and carry ``correlation_id``; Gold
    models (tag ``gold``) build dimensions, facts and aggregates. Every model is a Delta table on
    S3 under its layer's root, e.g. ``silver.stg_trips`` or ``gold.fact_trips``. Query them with
    LakehouseLibrary, e.g. ``SELECT * FROM gold.agg_daily_platform_revenue``.

    = Target =
    dbt is the platform's dependency, not the toolkit's. The target contract names it:
    ``dbt_command`` (e.g. ``["/opt/platform/venv/bin/dbt"]``), ``dbt_project_dir``,
    ``dbt_profiles_dir`` (default: the project directory) and ``dbt_lock_file``. dbt runs with
    the target's S3 settings in ``LH_S3_ENDPOINT``, ``LH_S3_REGION``, ``LH_S3_ACCESS_KEY`` and
    ``LH_S3_SECRET_KEY`` and its layer roots in ``LH_BRONZE_ROOT``, ``LH_SILVER_ROOT`` and
    ``LH_GOLD_ROOT``. The secret never appears in the log. Override on import:
    | Library | DbtLibrary | dbt_command=/opt/venv/bin/dbt | timeout=20 min |

    = Vars =
    ``bronze_root``, ``silver_root`` and ``gold_root`` move the layers, e.g. to a scratch prefix.
    Pass them per call with ``vars=`` or for every call with the library argument ``vars``:
    | Library | DbtLibrary | vars={'bronze_root': 's3://dbtdev/run1/bronze'} |

    = Serialization and scratch layers =
    A dbt run rewrites the platform's Silver/Gold tables, so concurrent runs into them (pabot
    workers, the platform's own scheduled runs) would overwrite each other. A run whose
    ``silver_root`` or ``gold_root`` is the platform's holds an exclusive ``flock`` on the target's
    ``dbt_lock_file`` (the platform's DAGs take the same file); waits longer than ``lock_timeout``
    fail and name the holder.

    A test does not need the platform's tables: `Create Dbt Scratch Layers` gives it a bucket of
    its own for Silver and Gold (and a target for LakehouseLibrary that reads them there), and
    ``correlation_id=`` narrows the Bronze rows dbt reads to the test's own. Such runs write no
    platform table, take no lock, and run in parallel with everything else; the same models run,
    so every check of them still holds.
    | ${scratch}= | Create Dbt Scratch Layers | silver-gold |
    | Build Dbt | tag:silver | vars=${scratch}[vars] | correlation_id=${cid} |

    Each library instance has its own dbt target and log directories, so workers never read each
    other's results; dbt's ``partial_parse.msgpack`` is shared between identical invocations
    (same project, vars and environment) through a cache in the temporary directory, so only the
    first run on a machine parses the whole project.

    = Results =
    Each keyword logs ``run_results.json`` as an HTML table and, for failed tests, the compiled
    SQL so the failing rows can be reproduced by hand. Keywords return a dictionary:
    ``success``, ``elapsed``, ``counts`` (status → number), ``results`` (one row per node).
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | None = None,
        vars: Mapping[str, Any] | None = None,
        timeout: timedelta = timedelta(minutes=20),
        lock_timeout: timedelta = timedelta(minutes=10),
        threads: int | None = None,
        dbt_command: str | Sequence[str] | None = None,
        project_dir: str | None = None,
        profiles_dir: str | None = None,
    ):
        """``target``: a platform contract mapping to use instead of ``${LH_TARGET}``.
        ``vars`` apply to every call (per-call ``vars`` override them). ``timeout``: the longest a
        dbt invocation may run. ``threads`` overrides the profile's thread count.
        ``dbt_command``, ``project_dir``, ``profiles_dir``: override the target's dbt installation.
        """
        command = tuple(shlex.split(dbt_command) if isinstance(dbt_command, str) else dbt_command or ())
        overrides = {"dbt_command": command or None, "dbt_project_dir": project_dir, "dbt_profiles_dir": profiles_dir}
        ctx = LibraryContext(
            target, timeout, overrides=overrides, requires=("dbt_command", "dbt_project_dir", "s3_endpoint")
        )
        super().__init__(ctx, [DbtKeywords(ctx, vars or {}, to_seconds(lock_timeout, 600.0), threads)])
