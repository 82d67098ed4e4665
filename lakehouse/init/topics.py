"""kafka-init: create every domain topic with its partition count (idempotent)."""

from __future__ import annotations

import sys

from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from lakehouse.contracts import TOPICS
from lakehouse.settings import Settings


def main() -> int:
    admin = AdminClient({"bootstrap.servers": Settings.load().kafka_bootstrap, "socket.timeout.ms": 10000})
    existing = admin.list_topics(timeout=15).topics
    to_create = [
        NewTopic(t.name, num_partitions=t.partitions, replication_factor=1) for t in TOPICS if t.name not in existing
    ]
    for name, future in admin.create_topics(to_create, operation_timeout=15).items() if to_create else []:
        future.result()
        print(f"created topic {name}")
    grow = []
    for t in TOPICS:
        if t.name in existing:
            have = len(existing[t.name].partitions)
            if have > t.partitions:
                print(f"topic {t.name} has {have} partitions, more than the declared {t.partitions}", file=sys.stderr)
                return 1
            if have < t.partitions:
                grow.append(NewPartitions(t.name, t.partitions))
            else:
                print(f"topic {t.name} exists with {have} partitions")
    for name, future in admin.create_partitions(grow).items() if grow else []:
        future.result()
        print(f"grew topic {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
