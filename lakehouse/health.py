"""Readiness probes named by the catalogue.

``python -m lakehouse.health <service>`` exits 0 when the service is ready; a
Compose healthcheck calls exactly that. The embedded runner calls :func:`check`.
Each probe is bounded by a short timeout and returns ``(ok, detail)``. The kinds are
the contract's (:data:`contract.platform.PROBE_KINDS`); ``http`` may also require a
JSON field (``Probe.expect``).

The HTTP and S3 probes use the standard library (the S3 one signs its ``ListBuckets``
with SigV4 itself): every ``up`` and ``health`` call of the CLI runs them in a fresh
process, where importing requests and boto3 would cost more than the probes.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

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


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _http(probe: Probe, settings: Settings) -> tuple[bool, str]:
    status, body = _get(probe.target)
    if not probe.expect or status >= 400:
        return status < 400, f"HTTP {status} from {probe.target}"
    path, _, wanted = probe.expect.partition("=")
    value: object = json.loads(body)
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return str(value) == wanted, f"{path} is {value!r} (want {wanted!r}) at {probe.target}"


def _kafka(probe: Probe, settings: Settings) -> tuple[bool, str]:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, "socket.timeout.ms": 2000, "log_level": 0})
    meta = admin.list_topics(timeout=PROBE_TIMEOUT)
    return bool(meta.brokers), f"{len(meta.brokers)} broker(s), {len(meta.topics)} topic(s)"


def sigv4_headers(endpoint: str, region: str, access_key: str, secret_key: str,
                  now: datetime.datetime | None = None) -> dict[str, str]:
    """Headers of a SigV4-signed ``GET /`` (S3 ``ListBuckets``) with an empty body."""
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    host, payload = urlsplit(endpoint).netloc, hashlib.sha256(b"").hexdigest()
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = f"GET\n/\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{stamp}\n\n{signed}\n{payload}"
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + secret_key).encode()
    for part in (stamp[:8], region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, "
                         f"Signature={signature}",
    }


def _s3(probe: Probe, settings: Settings) -> tuple[bool, str]:
    c = settings.contract()
    status, body = _get(c.s3_endpoint + "/", sigv4_headers(c.s3_endpoint, c.s3_region, c.s3_access_key,
                                                            c.s3_secret_key))
    if status != 200:
        code = body.decode(errors="replace").partition("<Code>")[2].partition("</Code>")[0]
        return False, f"HTTP {status} {code or ''} from {c.s3_endpoint}".replace("  ", " ")
    return True, f"authenticated; {body.count(b'<Bucket>')} bucket(s)"


def _schema_registry(probe: Probe, settings: Settings) -> tuple[bool, str]:
    url = f"{settings.schema_registry_url}/subjects"
    status, body = _get(url)
    count = len(json.loads(body)) if status == 200 else "?"
    return status == 200, f"HTTP {status}; {count} subject(s)"


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
