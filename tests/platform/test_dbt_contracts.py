"""The dbt project's enumerations must match the Kafka JSON schemas' enums (:mod:`contract.topics`).

Both the ``accepted_values`` tests in ``schema.yml`` and the filter macros in ``macros/contracts.sql``.
Upstream, Silver accepted the wrong driver statuses and profile event types (catalogue §5.6);
these tests fail on such drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from contract.topics import TOPICS, enum_values

DBT = Path(__file__).resolve().parents[2] / "lakehouse" / "dbt"

# (model, column) -> (schema file, JSON property, transform of the enum values)
CASES = {
    ("stg_trips", "event_type"): ("trip_event.json", "event_type", None),
    ("stg_trips", "trip_state"): ("trip_event.json", "event_type", lambda v: v.split(".", 1)[1]),
    ("stg_trips", "cancelled_by"): ("trip_event.json", "cancelled_by", None),
    ("stg_gps_pings", "entity_type"): ("gps_ping_event.json", "entity_type", None),
    ("stg_gps_pings", "trip_state"): ("gps_ping_event.json", "trip_state", None),
    ("stg_driver_status", "new_status"): ("driver_status_event.json", "new_status", None),
    ("stg_driver_status", "previous_status"): ("driver_status_event.json", "previous_status", None),
    ("stg_driver_status", "status_trigger"): ("driver_status_event.json", "trigger", None),
    ("stg_ratings", "rater_type"): ("rating_event.json", "rater_type", None),
    ("stg_payments", "payment_method_type"): ("payment_event.json", "payment_method_type", None),
    ("stg_driver_profiles", "event_type"): ("driver_profile_event.json", "event_type", None),
    ("stg_driver_profiles", "shift_preference"): ("driver_profile_event.json", "shift_preference", None),
    ("stg_rider_profiles", "event_type"): ("rider_profile_event.json", "event_type", None),
    ("stg_rider_profiles", "payment_method_type"): ("rider_profile_event.json", "payment_method_type", None),
}


def _accepted_values() -> dict[tuple[str, str], list[str]]:
    out = {}
    for path in DBT.joinpath("models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for col in model.get("columns", []):
                for test in col.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test:
                        out[(model["name"], col["name"])] = test["accepted_values"]["arguments"]["values"]
    return out


@pytest.mark.parametrize(("model", "column"), sorted(CASES))
def test_accepted_values_match_kafka_schema(model: str, column: str) -> None:
    schema_file, prop, transform = CASES[(model, column)]
    expected = enum_values(schema_file, prop)
    if transform:
        expected = [transform(v) for v in expected]
    seen = _accepted_values().get((model, column))
    assert seen is not None, f"{model}.{column} has no accepted_values test"
    assert sorted(seen) == sorted(expected), f"{model}.{column}: dbt accepts {seen}, schema allows {expected}"


# macro in macros/contracts.sql -> (schema file, JSON property, transform of the enum values)
MACROS = {
    "trip_states": ("trip_event.json", "event_type", lambda v: v.split(".", 1)[1]),
    "driver_statuses": ("driver_status_event.json", "new_status", None),
    "payment_method_types": ("payment_event.json", "payment_method_type", None),
}


def _macro_values(name: str) -> list[str]:
    text = DBT.joinpath("macros", "contracts.sql").read_text()
    found = re.search(r"\{%\s*macro\s+" + name + r"\(\)\s*-?%\}\s*\{\{\s*return\(\[(.*?)\]\)", text, re.S)
    assert found, f"macro {name}() not found in macros/contracts.sql"
    return re.findall(r"'([^']*)'", found.group(1))


@pytest.mark.parametrize("macro", sorted(MACROS))
def test_enum_macros_match_kafka_schema(macro: str) -> None:
    schema_file, prop, transform = MACROS[macro]
    expected = [transform(v) if transform else v for v in enum_values(schema_file, prop)]
    seen = _macro_values(macro)
    assert sorted(seen) == sorted(expected), f"{macro}(): dbt filters on {seen}, schema allows {expected}"


def test_staging_models_exist_for_every_topic() -> None:
    staging = {p.stem for p in DBT.joinpath("models", "silver", "staging").glob("stg_*.sql")}
    expected = {"stg_" + t.table for t in TOPICS}
    assert expected <= staging, f"missing staging models: {sorted(expected - staging)}"


def test_profile_has_no_literal_secret() -> None:
    text = DBT.joinpath("profiles.yml").read_text()
    assert "env_var('LH_S3_SECRET_KEY')" in text
    assert ":memory:" in text


def test_zones_seed_is_sao_paulo() -> None:
    import csv

    rows = list(csv.DictReader(DBT.joinpath("seeds", "zones.csv").open()))
    assert len(rows) == 96 and len({r["zone_id"] for r in rows}) == 96
    assert all(-24.1 < float(r["center_lat"]) < -23.3 and -46.9 < float(r["center_lon"]) < -46.3 for r in rows)
