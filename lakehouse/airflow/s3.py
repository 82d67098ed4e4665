"""What DAG tasks know of the platform, from the ``LH_*`` environment the service catalogue gives Airflow.

* S3 access: ``LH_S3_ENDPOINT``, ``LH_S3_REGION``, ``LH_S3_ACCESS_KEY``, ``LH_S3_SECRET_KEY``.
* Layer roots: ``LH_BRONZE_ROOT``, ``LH_SILVER_ROOT``, ``LH_GOLD_ROOT`` (``s3://<bucket>``).
* The platform's dbt: ``LH_DBT_EXECUTABLE``, ``LH_DBT_PROJECT_DIR``, ``LH_DBT_LOCK_FILE``, and
  ``LH_STATE_DIR`` for dbt's target and log directories (read by ``dbt_dags``).

Storage options come from the contract's one builder (:mod:`contract.storage`). The DAG
files import this module as ``lakehouse.airflow.s3``: Airflow runs with the repository
root on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
from typing import Any

from contract.layout import LAYERS
from contract.platform import PlatformContract
from contract.storage import delta_storage_options


def env(name: str) -> str:
    """A variable the catalogue must set; its absence fails the task with the variable's name."""
    try:
        return os.environ[name]
    except KeyError:
        raise RuntimeError(f"{name} is not set: the service catalogue passes it to Airflow") from None


def s3_access() -> PlatformContract:
    """The platform's S3 endpoint and credentials, as the fields the :mod:`contract.storage` builders read."""
    return PlatformContract(
        s3_endpoint=env("LH_S3_ENDPOINT"),
        s3_region=env("LH_S3_REGION"),
        s3_access_key=env("LH_S3_ACCESS_KEY"),
        s3_secret_key=env("LH_S3_SECRET_KEY"),
    )


def layer_root(layer: str) -> str:
    """``LH_<LAYER>_ROOT``, e.g. ``s3://bronze``, without a trailing slash."""
    if layer not in LAYERS:
        raise ValueError(f"Unknown layer '{layer}'. Known: {', '.join(LAYERS)}")
    return env(f"LH_{layer.upper()}_ROOT").rstrip("/")


def storage_options() -> dict[str, str]:
    """Options for delta-rs (``deltalake``)."""
    return delta_storage_options(s3_access())


def filesystem() -> Any:
    """A pyarrow S3 filesystem on the same endpoint and credentials."""
    from pyarrow import fs

    access = s3_access()
    scheme, _, host = access.s3_endpoint.partition("://")
    return fs.S3FileSystem(
        endpoint_override=host,
        scheme=scheme,
        access_key=access.s3_access_key,
        secret_key=access.s3_secret_key,
        region=access.s3_region,
        allow_bucket_creation=False,
    )
