"""S3 access for DAG tasks, from the ``LH_S3_*`` environment the catalogue gives Airflow.

Shared by the DAG files (they put the repository root on ``sys.path`` to import it).
"""

from __future__ import annotations

import os
from typing import Any


def storage_options() -> dict[str, str]:
    """Options for delta-rs (``deltalake``)."""
    return {
        "AWS_ENDPOINT_URL": os.environ["LH_S3_ENDPOINT"],
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": os.environ.get("LH_S3_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": os.environ["LH_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": os.environ["LH_S3_SECRET_KEY"],
    }


def filesystem() -> Any:
    """A pyarrow S3 filesystem on the same endpoint and credentials."""
    from pyarrow import fs

    scheme, _, host = os.environ["LH_S3_ENDPOINT"].partition("://")
    return fs.S3FileSystem(
        endpoint_override=host,
        scheme=scheme,
        access_key=os.environ["LH_S3_ACCESS_KEY"],
        secret_key=os.environ["LH_S3_SECRET_KEY"],
        region=os.environ.get("LH_S3_REGION", "us-east-1"),
        allow_bucket_creation=False,
    )
