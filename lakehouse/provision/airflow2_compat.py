"""Provision the ``airflow2-compat`` profile: Airflow 2.11 for the v1 API compatibility tests."""

from lakehouse.provision.quality_orchestration import provision_airflow2 as provision

__all__ = ["provision"]
