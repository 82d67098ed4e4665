"""s3-init: create the medallion buckets (idempotent)."""

from __future__ import annotations

import sys

import boto3
from botocore.config import Config

from lakehouse.contracts import BUCKETS
from lakehouse.settings import Settings


def client(settings: Settings):
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name="us-east-1",
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
    )


def main() -> int:
    s3 = client(Settings.load())
    have = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket in have:
            print(f"bucket {bucket} exists")
            continue
        s3.create_bucket(Bucket=bucket)
        print(f"created bucket {bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
