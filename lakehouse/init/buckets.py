"""s3-init: create the contract's bucket of each medallion layer (idempotent).

Bucket names come from :meth:`lakehouse.settings.Settings.contract` (``LH_BUCKET_BRONZE``,
``LH_BUCKET_SILVER``, ``LH_BUCKET_GOLD``; default: the layer's name).
"""

from __future__ import annotations

import sys
from typing import Any

import boto3
from botocore.config import Config

from contract.layout import LAYERS
from contract.storage import S3Access, boto3_client_kwargs
from lakehouse.settings import Settings


def client(settings: Settings | S3Access) -> Any:
    """A boto3 S3 client for the platform (``Settings``) or any object with the contract's S3 fields."""
    access = settings.contract() if isinstance(settings, Settings) else settings
    return boto3.client(
        "s3",
        **boto3_client_kwargs(access),
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
    )


def main() -> int:
    contract = Settings.load().contract()
    s3 = client(contract)
    have = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for layer in LAYERS:
        bucket = contract.bucket(layer)
        if bucket in have:
            print(f"{layer} bucket {bucket} exists")
            continue
        s3.create_bucket(Bucket=bucket)
        print(f"created {layer} bucket {bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
