"""The reference lakehouse: the system the Robot suites are proven on.

It reads ``contract`` (and ``lhcommon``) and never the toolkit. Layout mirrors the platform profiles:

* ``catalogue/``: the single service catalogue, declarations only (one module per profile:
  what ``core`` starts is ``catalogue/core.py``).
* ``provision/``: installs what each profile needs into the state directory
  (``python -m lakehouse.provision --profile core``); ``requirements.txt`` is the
  platform's own Python environment.
* ``runner/``: the lifecycle CLI (``python -m lakehouse.runner up|down|status|…``) and the
  embedded backend, driven by supervisord.
* ``services/``: prepare hooks and programs of individual services (Kafka, the registry, S3,
  PostgreSQL, Airflow).
* ``init/``: idempotent one-shot init services (topics, buckets, subjects).
* ``streaming/``: Bronze ingestion (Spark Structured Streaming); ``dbt/``: Silver and Gold;
  ``airflow/``: the DAGs.
"""
