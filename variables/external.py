"""Target: an already-running platform, described by environment variables.

    LH_KAFKA_BOOTSTRAP=broker:9092 LH_SCHEMA_REGISTRY_URL=http://sr:8081 \
    LH_S3_ENDPOINT=http://s3:9000 LH_S3_ACCESS_KEY=... LH_S3_SECRET_KEY=... \
    LH_TEST_ENVIRONMENT=true robot -V variables/external.py suites/01_foundation

Destructive keywords refuse this target unless LH_TEST_ENVIRONMENT=true.
Secrets are passed as Robot ``Secret`` values (RF 7.4+) so they are never logged.
"""

import os

from lhkit.target import as_secret as _secret


def get_variables() -> dict:
    env = os.environ
    return {
        "LH_TARGET": {
            "name": env.get("LH_TARGET_NAME", "external"),
            "backend": "external",
            "test_environment": env.get("LH_TEST_ENVIRONMENT", "false"),
            "kafka_bootstrap": env["LH_KAFKA_BOOTSTRAP"],
            "schema_registry_url": env["LH_SCHEMA_REGISTRY_URL"],
            "s3_endpoint": env["LH_S3_ENDPOINT"],
            "s3_region": env.get("LH_S3_REGION", "us-east-1"),
            "s3_access_key": env["LH_S3_ACCESS_KEY"],
            "s3_secret_key": _secret(env["LH_S3_SECRET_KEY"]),
            "streaming_metrics_url": env.get("LH_STREAMING_METRICS_URL", ""),
            "airflow_url": env.get("LH_AIRFLOW_URL", ""),
            "airflow_user": env.get("LH_AIRFLOW_USER", ""),
            "airflow_password": _secret(env.get("LH_AIRFLOW_PASSWORD", "")),
        }
    }
