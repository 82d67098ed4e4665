"""Readiness probes named by the catalogue.

``python -m lakehouse.health <service>`` exits 0 when the service is ready; a
Compose healthcheck calls exactly that. The embedded runner calls :func:`check`.
Each probe is bounded by a short timeout and returns ``(ok, detail)``. The kinds are
the contract's (:data:`contract.platform.PROBE_KINDS`); ``http`` may also require a
JSON field (``Probe.expect``).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable

import requests

from lakehouse.catalogue.base import Probe
from lakehouse.settings import Settings

PROBE_TIMEOUT = 2.0


def check(probe: Probe, settings: Settings) -> tuple[bool, str]:
    try:
        run = _PROBES[probe.kind]
    except KeyError:
        raise ValueError(f"Probe kind '{probe.kind}' cannot be checked from outside the process") from None
    try:
        return run(probe, settings)
    except Exception as error:  # a probe failing is a state, reported as detail
        return False, f"{type(error).__name__}: {error}"


def _tcp(probe: Probe, settings: Settings) -> tuple[bool, str]:
    host, _, port = probe.target.rpartition(":")
    with socket.create_connection((host or settings.host, int(port)), timeout=PROBE_TIMEOUT):
        return True, f"port {probe.target} open"


def _http(probe: Probe, settings: Settings) -> tuple[bool, str]:
    r = requests.get(probe.target, timeout=PROBE_TIMEOUT)
    if not probe.expect or r.status_code >= 400:
        return r.status_code < 400, f"HTTP {r.status_code} from {probe.target}"
    path, _, wanted = probe.expect.partition("=")
    value: object = r.json()
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return str(value) == wanted, f"{path} is {value!r} (want {wanted!r}) at {probe.target}"


def _kafka(probe: Probe, settings: Settings) -> tuple[bool, str]:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, "socket.timeout.ms": 2000, "log_level": 0})
    meta = admin.list_topics(timeout=PROBE_TIMEOUT)
    return bool(meta.brokers), f"{len(meta.brokers)} broker(s), {len(meta.topics)} topic(s)"


def _s3(probe: Probe, settings: Settings) -> tuple[bool, str]:
    import boto3
    from botocore.config import Config

    from contract.storage import boto3_client_kwargs

    config = Config(connect_timeout=PROBE_TIMEOUT, read_timeout=PROBE_TIMEOUT, retries={"max_attempts": 1},
                    s3={"addressing_style": "path"})
    s3 = boto3.client("s3", config=config, **boto3_client_kwargs(settings.contract()))
    buckets = s3.list_buckets().get("Buckets", [])
    return True, f"authenticated; {len(buckets)} bucket(s)"


def _schema_registry(probe: Probe, settings: Settings) -> tuple[bool, str]:
    r = requests.get(f"{settings.schema_registry_url}/subjects", timeout=PROBE_TIMEOUT)
    return r.status_code == 200, f"HTTP {r.status_code}; {len(r.json()) if r.ok else '?'} subject(s)"


_PROBES: dict[str, Callable[[Probe, Settings], tuple[bool, str]]] = {
    "tcp": _tcp,
    "http": _http,
    "kafka": _kafka,
    "s3": _s3,
    "schema_registry": _schema_registry,
}


def main(argv: list[str]) -> int:
    from lakehouse.catalogue import all_services

    settings = Settings.load()
    service = all_services(settings)[argv[0]]
    if service.probe.kind == "exited_ok":
        return 0
    ok, detail = check(service.probe, settings)
    print(detail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
