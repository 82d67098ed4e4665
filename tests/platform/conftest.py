"""The reference lakehouse's own tests, run in its environment (``<platform python> -m pytest tests/platform``).

Unit tests of its runner, catalogue, streaming routing and dbt guards, and tests of the runner
on isolated throw-away instances. They may import ``lakehouse``; the toolkit's tests may not.
"""
