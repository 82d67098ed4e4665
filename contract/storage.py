"""The one builder each for talking to the platform's object store.

* :func:`delta_storage_options`: delta-rs (``deltalake``) ``storage_options``.
* :func:`duckdb_s3_secret`: a DuckDB ``CREATE SECRET`` statement (httpfs/delta extensions).
* :func:`boto3_client_kwargs`: ``boto3.client("s3", **kwargs)``.
* :func:`spark_s3a_conf`: Hadoop S3A settings for Spark.

Each takes any object with the S3 fields of :class:`contract.platform.PlatformContract`
(``s3_endpoint``, ``s3_region``, ``s3_access_key``, ``s3_secret_key``).
"""

from __future__ import annotations

from typing import Any, Protocol


class S3Access(Protocol):
    s3_endpoint: str
    s3_region: str
    s3_access_key: str
    s3_secret_key: str


def _plain(value: Any) -> str:
    """Credentials may arrive wrapped (Robot's ``Secret`` keeps its text in ``.value``)."""
    inner = getattr(value, "value", None)
    return str(inner if inner is not None and type(value).__name__ == "Secret" else value or "")


def _split(endpoint: str) -> tuple[str, str]:
    scheme, sep, host = endpoint.partition("://")
    return (scheme, host) if sep else ("https", endpoint)


def delta_storage_options(c: S3Access) -> dict[str, str]:
    scheme, _ = _split(c.s3_endpoint)
    return {
        "AWS_ENDPOINT_URL": c.s3_endpoint,
        "AWS_ALLOW_HTTP": "true" if scheme == "http" else "false",
        "AWS_REGION": c.s3_region,
        "AWS_ACCESS_KEY_ID": c.s3_access_key,
        "AWS_SECRET_ACCESS_KEY": _plain(c.s3_secret_key),
        # Path-style addressing: local S3 servers have no per-bucket DNS names.
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
    }


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_s3_secret(c: S3Access, name: str = "lakehouse_s3") -> str:
    """``CREATE OR REPLACE SECRET`` for DuckDB's httpfs and delta extensions (path-style URLs)."""
    scheme, host = _split(c.s3_endpoint)
    parts = {
        "TYPE": "s3",
        "KEY_ID": _sql_literal(c.s3_access_key),
        "SECRET": _sql_literal(_plain(c.s3_secret_key)),
        "REGION": _sql_literal(c.s3_region),
        "ENDPOINT": _sql_literal(host),
        "URL_STYLE": "'path'",
        "USE_SSL": "true" if scheme == "https" else "false",
    }
    body = ", ".join(f"{k} {v}" for k, v in parts.items())
    return f"CREATE OR REPLACE SECRET {name} ({body})"


def boto3_client_kwargs(c: S3Access) -> dict[str, Any]:
    """Arguments of ``boto3.client("s3", **kwargs)`` (add a ``config=`` for timeouts and path style)."""
    return {
        "endpoint_url": c.s3_endpoint,
        "region_name": c.s3_region,
        "aws_access_key_id": c.s3_access_key,
        "aws_secret_access_key": _plain(c.s3_secret_key),
    }


def spark_s3a_conf(c: S3Access) -> dict[str, str]:
    """``spark.hadoop.fs.s3a.*`` settings for the same endpoint and credentials."""
    scheme, _ = _split(c.s3_endpoint)
    return {
        "spark.hadoop.fs.s3a.endpoint": c.s3_endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": c.s3_region,
        "spark.hadoop.fs.s3a.access.key": c.s3_access_key,
        "spark.hadoop.fs.s3a.secret.key": _plain(c.s3_secret_key),
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "true" if scheme == "https" else "false",
    }
