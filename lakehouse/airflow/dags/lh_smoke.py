"""``lh_smoke``: one task returning a dict. Used to measure trigger-to-success latency and as a warm-up run."""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.11 (airflow2-compat): no Task SDK
    from airflow.decorators import dag, task


@dag(
    dag_id="lh_smoke",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    tags=["lakehouse", "smoke"],
    doc_md=__doc__,
)
def lh_smoke():
    @task
    def say(params: dict | None = None) -> dict:
        return {"answer": 42, "echo": (params or {}).get("echo")}

    say()


lh_smoke()
