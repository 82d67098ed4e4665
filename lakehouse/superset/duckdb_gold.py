"""The DuckDB instance Superset reads Gold through, kept alive in each Superset process.

Superset opens a new SQLAlchemy connection per query (``NullPool``). On a plain ``duckdb:///:memory:``
each one is a new DuckDB instance that LOADs the 80 MB delta extension again: 0.8-1.4 s per chart
query on this machine. A named in-memory database (``:memory:lakehouse``) is shared by every
connection of the process while one stays open, so ``superset_config.py`` opens one here
(:func:`keep_alive`) with the extensions loaded; Superset's connections then find them loaded and
the query alone is left (tens of ms). DuckDB refuses a second connection whose config differs, so
both sides use :func:`connect_config` (duckdb-engine prefixes its own user agent, reproduced here).
"""

from __future__ import annotations

from typing import Any

DATABASE = ":memory:lakehouse"
SQLALCHEMY_URI = f"duckdb:///{DATABASE}"
USER_AGENT = "lakehouse-superset"
_keeper: Any = None


def connect_config(secret_dir: str) -> dict[str, Any]:
    """What the Superset database passes as ``connect_args.config`` (no secret: a directory)."""
    return {
        "custom_user_agent": USER_AGENT,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "secret_directory": secret_dir,
    }


def keep_alive(secret_dir: str, extension_files: dict[str, str]) -> Any:
    """Open (once per process) the connection that keeps the shared instance and its extensions loaded."""
    global _keeper
    if _keeper is None:
        import duckdb
        import duckdb_engine
        import sqlalchemy

        config = connect_config(secret_dir)
        # duckdb-engine's own prefix (duckdb_engine/__init__.py, connect()).
        config["custom_user_agent"] = (
            f"duckdb_engine/{duckdb_engine.__version__}(sqlalchemy/{sqlalchemy.__version__}) {USER_AGENT}"
        )
        con = duckdb.connect(DATABASE, config=config)
        for name in ("httpfs", "delta"):
            con.execute(f"LOAD '{extension_files[name]}'")
        _keeper = con
    return _keeper


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
