"""The DuckDB instance Superset reads Gold through, kept alive in each Superset process.

Superset opens a new SQLAlchemy connection per query (``NullPool``). On a plain ``duckdb:///:memory:``
each one is a new DuckDB instance that LOADs the 80 MB delta extension again: 0.8-1.4 s per chart
query on this machine. A named in-memory database (``:memory:lakehouse``) is shared by every
connection of the process while one stays open, so one is kept open here
(:func:`keep_alive`) with the extensions loaded; Superset's connections then find them loaded and
the query alone is left (tens of ms). DuckDB refuses a second connection whose config differs, and
Superset adds a user agent of its own to the config, so ``superset_config.py`` installs
:func:`connection_mutator`, which pins the config and opens the keeper (once, at the first query)
with exactly the config duckdb-engine will pass.
"""

from __future__ import annotations

import threading
from typing import Any

DATABASE = ":memory:lakehouse"
SQLALCHEMY_URI = f"duckdb:///{DATABASE}"
USER_AGENT = "lakehouse-superset"
MEMORY_LIMIT = "512MB"
_keeper: Any = None
_lock = threading.Lock()


def connect_config(secret_dir: str) -> dict[str, Any]:
    """What the Superset database passes as ``connect_args.config`` (no secret: a directory)."""
    return {
        "custom_user_agent": USER_AGENT,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "secret_directory": secret_dir,
        # Inside the superset service's budget (DuckDB's default is 80 % of the machine's RAM).
        "memory_limit": MEMORY_LIMIT,
        "threads": 2,
    }


def keep_alive(config: dict[str, Any], preload: list[str]) -> Any:
    """Open (once per process) the connection that keeps the shared instance and its extensions loaded.

    ``config`` is the one Superset's connections pass to duckdb-engine; ``preload`` their
    ``preload_extensions`` (quoted file paths)."""
    global _keeper
    with _lock:
        if _keeper is None:
            import duckdb
            import duckdb_engine
            import sqlalchemy

            final = dict(config)
            # duckdb-engine prefixes its own user agent (duckdb_engine/__init__.py, connect()).
            final["custom_user_agent"] = (
                f"duckdb_engine/{duckdb_engine.__version__}(sqlalchemy/{sqlalchemy.__version__}) "
                f"{config.get('custom_user_agent', '')}"
            ).rstrip()
            con = duckdb.connect(DATABASE, config=final)
            for extension in preload:
                con.execute(f"LOAD {extension}")
            _keeper = con
    return _keeper


def connection_mutator(uri: Any, params: dict[str, Any], *_: Any, **__: Any) -> tuple[Any, dict[str, Any]]:
    """Superset's ``DB_CONNECTION_MUTATOR``: for the Gold database, pin the DuckDB config (Superset
    adds a per-request user agent, and DuckDB refuses a second connection whose config differs)
    and make sure the process's keeper connection is open. Other databases pass unchanged."""
    if getattr(uri, "drivername", "") != "duckdb" or getattr(uri, "database", None) != DATABASE:
        return uri, params
    connect_args = dict(params.get("connect_args") or {})
    config = {**dict(connect_args.get("config") or {}), "custom_user_agent": USER_AGENT}
    connect_args["config"] = config
    keep_alive(config, list(connect_args.get("preload_extensions") or []))
    return uri, {**params, "connect_args": connect_args}


def extension_files() -> dict[str, str]:
    """The extension binaries of the ``duckdb-extension-*`` wheels installed beside duckdb."""
    from pathlib import Path

    import duckdb

    out = {}
    for name in ("httpfs", "delta"):
        module = __import__(f"duckdb_extension_{name}")
        path = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
        if not path.exists():
            raise RuntimeError(f"DuckDB extension {name} for v{duckdb.__version__} not found at {path}")
        out[name] = str(path)
    return out
