"""Superset prepare hook (run by the launcher before ``superset-init`` and ``superset``): folders and config.

The config (``<data>/superset/superset_config.py``) is rendered from
``lakehouse/superset/superset_config.py.tmpl``. It holds no secret: ``SECRET_KEY`` comes from the
service's ``SUPERSET_SECRET_KEY`` env (a ``secret_env`` of the catalogue, never logged).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.settings import Settings

TEMPLATE = Path(__file__).resolve().parent.parent / "superset" / "superset_config.py.tmpl"


def home(s: Settings) -> Path:
    return s.data_dir / "superset"


def config_path(s: Settings) -> Path:
    return home(s) / "superset_config.py"


def metadata_db(s: Settings) -> Path:
    return home(s) / "superset.db"


def secret_dir(s: Settings) -> Path:
    """DuckDB's ``secret_directory``: the persistent S3 secret Superset's DuckDB connections read."""
    return home(s) / "duckdb-secrets"


def render_config(s: Settings) -> str:
    return TEMPLATE.read_text().format(metadata_db=metadata_db(s), data_dir=home(s))


def prepare(settings: Settings) -> None:
    s = settings
    for d in (home(s), secret_dir(s)):
        d.mkdir(parents=True, exist_ok=True)
    secret_dir(s).chmod(0o700)
    text = render_config(s)
    path = config_path(s)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
