"""Readiness probes run by the toolkit against a target's own endpoints (never the embedded settings).

Each probe is bounded by a short timeout and returns ``(ok, detail)``; a failing probe is a
state reported as detail, not an exception.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import requests

from contract.platform import PlatformContract, Probe
from contract.storage import boto3_client_kwargs
from lhcommon.masking import mask

PROBE_TIMEOUT = 2.0


def check(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    try:
        run = _PROBES[probe.kind]
    except KeyError:
        return False, f"probe '{probe.kind}' cannot be run from the toolkit"
    try:
        return run(probe, target)
    except Exception as error:  # a probe failing is a state, reported as detail
        return False, mask(f"{type(error).__name__}: {error}")


def _tcp(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    host, _, port = probe.target.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT):
        return True, f"port {probe.target} open"


def _http(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    r = requests.get(probe.target, timeout=PROBE_TIMEOUT)
    return r.status_code < 400, f"HTTP {r.status_code} from {probe.target}"


def _kafka(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": target.kafka_bootstrap, "socket.timeout.ms": 2000, "log_level": 0})
    meta = admin.list_topics(timeout=PROBE_TIMEOUT)
    return bool(meta.brokers), f"{len(meta.brokers)} broker(s) at {target.kafka_bootstrap}, {len(meta.topics)} topic(s)"


def _s3(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=PROBE_TIMEOUT,
        read_timeout=PROBE_TIMEOUT,
        retries={"max_attempts": 1},
        s3={"addressing_style": "path"},
    )
    client = boto3.client("s3", config=config, **boto3_client_kwargs(target))
    buckets = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    missing = [b for b in target.buckets.values() if b not in buckets]
    if missing:
        return False, f"authenticated at {target.s3_endpoint}, but bucket(s) missing: {', '.join(missing)}"
    return True, f"authenticated at {target.s3_endpoint}; {len(buckets)} bucket(s)"


def _schema_registry(probe: Probe, target: PlatformContract) -> tuple[bool, str]:
    r = requests.get(f"{target.schema_registry_url.rstrip('/')}/subjects", timeout=PROBE_TIMEOUT)
    return r.status_code == 200, f"HTTP {r.status_code} from {target.schema_registry_url}" + (
        f"; {len(r.json())} subject(s)" if r.ok else ""
    )


_PROBES: dict[str, Callable[[Probe, PlatformContract], tuple[bool, str]]] = {
    "tcp": _tcp,
    "http": _http,
    "kafka": _kafka,
    "s3": _s3,
    "schema_registry": _schema_registry,
}
