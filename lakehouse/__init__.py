"""The reference lakehouse: the system the Robot suites test.

Layout mirrors the platform profiles:

* ``catalogue/``: the single service catalogue (one module per profile).
* ``provision/``: installs what each profile needs into the state directory.
* ``runner/``: the embedded (local processes) backend, driven by supervisord.
* ``init/``: idempotent one-shot init services (topics, buckets, subjects).
* ``schemas/``: the event contracts (JSON Schema) of the rideshare domain.
"""
