"""Schema registry (Apicurio): make sure its H2 data directory exists."""

from __future__ import annotations

from lakehouse.settings import Settings


def prepare(settings: Settings) -> None:
    (settings.data_dir / "schema-registry").mkdir(parents=True, exist_ok=True)
