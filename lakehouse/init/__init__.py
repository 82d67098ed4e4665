"""Idempotent one-shot init services (the embedded equivalent of Compose init containers)."""
