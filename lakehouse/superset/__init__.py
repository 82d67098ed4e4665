"""Superset of the ``bi`` profile: its configuration template and its assets as code.

* ``superset_config.py.tmpl``: rendered by ``lakehouse.services.superset:prepare`` into the
  instance's data dir (no secret in it: Superset reads ``SUPERSET_SECRET_KEY`` from its env).
* :mod:`lakehouse.superset.assets`: the Gold database, the datasets, the charts and the
  "Operations" dashboard, generated as a Superset v1 import bundle and imported by the
  ``superset-init`` one-shot (:mod:`lakehouse.services.superset_init`).
"""
