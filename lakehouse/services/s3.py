"""S3 (SeaweedFS): data directory."""

from __future__ import annotations

from lakehouse.settings import Settings


def prepare(settings: Settings) -> None:
    (settings.data_dir / "s3").mkdir(parents=True, exist_ok=True)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
