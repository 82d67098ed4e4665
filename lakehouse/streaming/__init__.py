"""Bronze ingestion: one Spark Structured Streaming query from all domain topics to Delta on S3.

* :mod:`.routing`: pure per-record validation and routing (Bronze table or DLQ), physical ↔ logical topics.
* :mod:`.app`: the Spark application (``python -m lakehouse.streaming``).
* :mod:`.metrics`: the driver's ``/health`` and ``/metrics`` HTTP endpoint.
* :mod:`.bronze_init`: the one-shot ``bronze-init`` service creating the empty tables.

Topics, the Bronze and DLQ layout, buckets and storage options come from :mod:`contract`.
"""
