"""What the dbt project must repeat from :mod:`contract`, kept equal to it.

dbt cannot import Python, so a few contract facts appear again in its files: the typed
empty Bronze row, the zones seed, the service-area bounds, the layer-root defaults and
the Bronze sources. Each test fails, naming the file, when its copy drifts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from contract.layout import LAYERS, sql_null_row
from contract.platform import PlatformContract
from contract.topics import TOPICS
from contract.zones import LAT_RANGE, LON_RANGE, ZONES_CSV

DBT = Path(__file__).resolve().parents[2] / "lakehouse" / "dbt"


def _project() -> dict:
    return yaml.safe_load(DBT.joinpath("dbt_project.yml").read_text())


def _squash(sql: str) -> str:
    return " ".join(sql.split())


def test_empty_bronze_row_in_the_macro_is_the_contract_layout() -> None:
    text = DBT.joinpath("macros", "bronze.sql").read_text()
    found = re.search(r"\(select\s+(null::.*?)\s+where false\)", text, re.S)
    assert found, "macros/bronze.sql: no '(select null::… where false)' row in bronze_scan()"
    assert _squash(found.group(1)) == sql_null_row(), (
        f"macros/bronze.sql: the empty Bronze row differs from contract.layout.sql_null_row():\n"
        f"  dbt:      {_squash(found.group(1))}\n  contract: {sql_null_row()}"
    )


def test_zones_seed_is_a_byte_identical_copy_of_the_contract_zones() -> None:
    seed = DBT / "seeds" / "zones.csv"
    assert seed.read_bytes() == ZONES_CSV.read_bytes(), f"{seed} differs from {ZONES_CSV}: copy the contract's file"


def test_service_area_bounds_are_the_contracts() -> None:
    v = _project()["vars"]
    seen = ((v["sp_lat_min"], v["sp_lat_max"]), (v["sp_lon_min"], v["sp_lon_max"]))
    expected = (LAT_RANGE, LON_RANGE)
    assert seen == expected, f"dbt_project.yml sp_lat/sp_lon bounds {seen}, contract.zones {expected}"


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_roots_come_from_the_environment_with_the_contracts_default(layer: str) -> None:
    default = PlatformContract().layer_root(layer)
    expected = f"env_var('LH_{layer.upper()}_ROOT', '{default}')"
    var = _project()["vars"][f"{layer}_root"]
    assert expected in var, f"dbt_project.yml vars.{layer}_root is {var!r}, expected it to use {expected}"
    if layer != "bronze":
        root = _project()["models"]["lakehouse"][layer]["+location_root"]
        assert f"var('{layer}_root', {expected})" in root, f"dbt_project.yml models.{layer}.+location_root: {root!r}"


def test_bronze_sources_are_the_contracts_topic_tables() -> None:
    sources = yaml.safe_load(DBT.joinpath("models", "sources.yml").read_text())["sources"]
    bronze = next(s for s in sources if s["name"] == "bronze")
    assert [t["name"] for t in bronze["tables"]] == [t.table for t in TOPICS]


def test_s3_region_comes_from_the_environment_without_a_literal() -> None:
    profile = DBT.joinpath("profiles.yml").read_text()
    assert "s3_region: \"{{ env_var('LH_S3_REGION') }}\"" in profile
    assert PlatformContract().s3_region not in profile
