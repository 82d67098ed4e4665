"""Target: an already-running platform, described by a contract file or environment variables.

    LH_CONTRACT_FILE=staging.json robot -V variables/external.py suites/01_foundation

The contract file is JSON in the format of ``contract.PlatformContract`` (see
docs/architecture.md): names (``topic_prefix``, ``buckets``), endpoints, credentials and,
optionally, ``services``. Without a file, ``LH_*`` variables describe the platform:

    LH_KAFKA_BOOTSTRAP=broker:9092 LH_SCHEMA_REGISTRY_URL=http://sr:8081/apis/ccompat/v7 \
    LH_S3_ENDPOINT=http://s3:9000 LH_S3_ACCESS_KEY=... LH_S3_SECRET_KEY=... \
    LH_TOPIC_PREFIX=stg. LH_BUCKET_BRONZE=stg-bronze LH_TEST_ENVIRONMENT=true robot -V variables/external.py suites

Destructive keywords refuse this target unless it is marked as a test environment. Secrets are
passed as Robot ``Secret`` values so they are never logged. The backend is always ``external``.
"""

from __future__ import annotations

import os

from contract.layout import LAYERS
from contract.platform import PlatformContract
from lhkit.target import as_variables

_FIELDS = (
    "kafka_bootstrap",
    "schema_registry_url",
    "s3_endpoint",
    "s3_region",
    "s3_access_key",
    "s3_secret_key",
    "streaming_metrics_url",
    "airflow_url",
    "airflow_user",
    "airflow_password",
    "topic_prefix",
    "prometheus_url",
    "alertmanager_url",
    "superset_url",
    "superset_user",
    "superset_password",
)


def contract_from_environment(env: os._Environ[str] | dict[str, str] = os.environ) -> PlatformContract:
    if env.get("LH_CONTRACT_FILE"):
        contract = PlatformContract.load(env["LH_CONTRACT_FILE"])
        return contract.as_external()
    values: dict[str, object] = {f: env[f"LH_{f.upper()}"] for f in _FIELDS if env.get(f"LH_{f.upper()}")}
    values["buckets"] = {layer: env.get(f"LH_BUCKET_{layer.upper()}", layer) for layer in LAYERS}
    values["name"] = env.get("LH_TARGET_NAME", "external")
    values["test_environment"] = env.get("LH_TEST_ENVIRONMENT", "false")
    values["backend"] = "external"
    return PlatformContract.from_mapping(values)


def get_variables() -> dict:
    return {"LH_TARGET": as_variables(contract_from_environment())}
