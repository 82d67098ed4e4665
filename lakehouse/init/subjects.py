"""schema-init: register each topic's JSON Schema as ``<topic>-value`` (idempotent).

Registering an identical schema returns the existing id, so re-runs are no-ops.
The global compatibility is set to BACKWARD, Confluent's default.
"""

from __future__ import annotations

import json
import sys

import requests

from lakehouse.contracts import TOPICS
from lakehouse.settings import Settings

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def main() -> int:
    url = Settings.load().schema_registry_url
    with requests.Session() as http:
        r = http.put(f"{url}/config", json={"compatibility": "BACKWARD"}, headers=CONTENT_TYPE, timeout=10)
        r.raise_for_status()
        for topic in TOPICS:
            body = {"schemaType": "JSON", "schema": json.dumps(topic.schema())}
            r = http.post(f"{url}/subjects/{topic.subject}/versions", json=body, headers=CONTENT_TYPE, timeout=10)
            if r.status_code >= 400:
                print(f"registering {topic.subject} failed: HTTP {r.status_code} {r.text[:300]}", file=sys.stderr)
                return 1
            print(f"subject {topic.subject} -> id {r.json().get('id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
