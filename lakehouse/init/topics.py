"""kafka-init: create every domain topic with its partition count (idempotent).

Topics are created under their physical names: the platform's ``topic_prefix``
(``LH_TOPIC_PREFIX``) + the contract's logical name.
"""

from __future__ import annotations

import sys

from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from contract.topics import TOPICS
from lakehouse.settings import Settings


def main() -> int:
    contract = Settings.load().contract()
    admin = AdminClient({"bootstrap.servers": contract.kafka_bootstrap, "socket.timeout.ms": 10000})
    existing = admin.list_topics(timeout=15).topics
    declared = {contract.topic_name(t.name): t.partitions for t in TOPICS}
    to_create = [
        NewTopic(name, num_partitions=n, replication_factor=1) for name, n in declared.items() if name not in existing
    ]
    for name, future in admin.create_topics(to_create, operation_timeout=15).items() if to_create else []:
        future.result()
        print(f"created topic {name}")
    grow = []
    for name, partitions in declared.items():
        if name in existing:
            have = len(existing[name].partitions)
            if have > partitions:
                print(f"topic {name} has {have} partitions, more than the declared {partitions}", file=sys.stderr)
                return 1
            if have < partitions:
                grow.append(NewPartitions(name, partitions))
            else:
                print(f"topic {name} exists with {have} partitions")
    for name, future in admin.create_partitions(grow).items() if grow else []:
        future.result()
        print(f"grew topic {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
