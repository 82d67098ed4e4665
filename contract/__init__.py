"""The platform contract: the facts a lakehouse and its tests must agree on.

Both sides read this package and nothing else crosses between them: the
reference lakehouse (``lakehouse/``) builds its topics, tables and services from
it, and the keyword libraries (``libraries/``) test any lakehouse described by it.

* :mod:`contract.topics`: the event topics, partition counts, key fields, JSON Schemas.
* :mod:`contract.layout`: the medallion layers, the Bronze and DLQ column layout.
* :mod:`contract.platform`: one platform instance: names (topic prefix, buckets),
  endpoints, credentials, services; loaded from and written to a JSON file.
* :mod:`contract.storage`: the one builder each of delta-rs storage options,
  the DuckDB S3 secret and boto3 client arguments.
* :mod:`contract.zones`: the zone reference data (the dbt seed is a guarded copy).

Pure: the standard library only, plus pyarrow where a schema needs it.
"""

from contract.layout import DLQ_TABLE, ERROR_TYPES, LAYERS, PARTITION_COLUMN
from contract.platform import PROFILES, PlatformContract, Probe, ServiceInfo, closure
from contract.topics import TOPICS, Topic, load_schema, topic

__all__ = [
    "DLQ_TABLE",
    "ERROR_TYPES",
    "LAYERS",
    "PARTITION_COLUMN",
    "PROFILES",
    "TOPICS",
    "PlatformContract",
    "Probe",
    "ServiceInfo",
    "Topic",
    "closure",
    "load_schema",
    "topic",
]
