"""schema-init: register each topic's JSON Schema as ``<physical topic>-value`` (idempotent).

The physical topic is the platform's ``topic_prefix`` (``LH_TOPIC_PREFIX``) + the logical name,
so subjects follow the TopicNameStrategy of the topics producers actually write to.

Registering an identical schema returns the existing id, so re-runs are no-ops.
The global compatibility is set to BACKWARD, Confluent's default.
"""

from __future__ import annotations

import json
import sys

import requests

from contract.topics import TOPICS
from lakehouse.settings import Settings

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def main() -> int:
    contract = Settings.load().contract()
    url = contract.schema_registry_url
    with requests.Session() as http:
        r = http.put(f"{url}/config", json={"compatibility": "BACKWARD"}, headers=CONTENT_TYPE, timeout=10)
        r.raise_for_status()
        for topic in TOPICS:
            subject = f"{contract.topic_name(topic.name)}-value"
            body = {"schemaType": "JSON", "schema": json.dumps(topic.schema())}
            r = http.post(f"{url}/subjects/{subject}/versions", json=body, headers=CONTENT_TYPE, timeout=10)
            if r.status_code >= 400:
                print(f"registering {subject} failed: HTTP {r.status_code} {r.text[:300]}", file=sys.stderr)
                return 1
            print(f"subject {subject} -> id {r.json().get('id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
