"""The zone reference data: São Paulo districts with their centres.

``zones.csv`` beside this module is the one source. The dbt project's seed
(``lakehouse/dbt/seeds/zones.csv``) is a copy a unit test keeps identical, and
test-data factories draw zone ids from here, so every generated trip joins a zone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ZONES_CSV = Path(__file__).resolve().parent / "zones.csv"
# The service area: events outside it are anomalies in Silver.
LAT_RANGE = (-23.8, -23.3)
LON_RANGE = (-46.9, -46.3)


@dataclass(frozen=True)
class Zone:
    zone_id: str
    name: str
    subprefecture: str
    center_lat: float
    center_lon: float


@cache
def zones() -> tuple[Zone, ...]:
    with ZONES_CSV.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Zone(r["zone_id"], r["name"], r["subprefecture"], float(r["center_lat"]), float(r["center_lon"]))
            for r in csv.DictReader(handle)
        )


def zone_ids() -> tuple[str, ...]:
    return tuple(z.zone_id for z in zones())
