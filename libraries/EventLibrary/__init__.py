"""EventLibrary: deterministic, schema-valid rideshare events and deliberately broken payloads."""

from __future__ import annotations

from lhkit.component import KeywordLibrary, LibraryContext

from .builders import BuilderKeywords
from .checks import ContractKeywords
from .factories import EventFactory
from .malformed import Malformation

__all__ = ["EventFactory", "EventLibrary", "Malformation"]
__version__ = "0.1.0"


class EventLibrary(KeywordLibrary):
    """Builds rideshare events that satisfy the JSON Schemas of the platform contract (``contract/schemas``).

    = Correlation ids =
    Every test starts with `New Correlation Id` and passes the id to every builder. Each event
    carries it in ``correlation_id``; KafkaLibrary also puts it in a ``correlation_id`` header, and
    the Bronze/Silver/Gold keywords find a test's rows by it. Ids embed the pabot pool id, the
    process id and a random part, so parallel workers never collide.

    = Determinism =
    Builders are seeded from the correlation id (or an explicit ``seed``), so the same id gives the
    same trip ids, amounts and event ids. Timestamps start at ``start`` (default: now, UTC); pass
    ``start`` too for fully reproducible events.

    = Topics and zones =
    Events are *logical*: builders and contract keywords take the contract's topic names
    (``trips``, ``gps-pings``; the Bronze table names ``gps_pings`` work too). KafkaLibrary maps
    them to the target's physical topics when publishing. Zone ids (``pickup_zone_id``,
    ``dropoff_zone_id``, ``zone_id``, ``preferred_zones``) are drawn from the contract's zone
    reference data (``contract/zones.csv``), the file the dbt ``zones`` seed copies, so every
    built trip joins a ``gold.dim_zones`` row.

    | =Topic=         | =Key field= | =Builder=                    |
    | trips           | trip_id     | `Build Trip Lifecycle`, `Build Trip Event` |
    | gps-pings       | entity_id   | `Build Gps Pings`            |
    | driver-status   | driver_id   | `Build Driver Status Events` |
    | surge-updates   | zone_id     | `Build Surge Update Event`   |
    | ratings         | trip_id     | `Build Rating Events`        |
    | payments        | trip_id     | `Build Payment Event`        |
    | driver-profiles | driver_id   | `Build Driver Profile Event` |
    | rider-profiles  | rider_id    | `Build Rider Profile Event`  |

    `Build Malformed Payload` returns bytes a correct pipeline must reject (for DLQ tests).

    = Target =
    The library needs no target and no connection: it builds and checks events offline.

    = Tags =
    Every keyword is tagged ``Events``; the contract keywords also ``Getter`` or ``Assertion``.

    Example:
    | ${cid}=       | `New Correlation Id` |
    | ${events}=    | `Build Trip Lifecycle` | ${cid} |
    | Publish Events | trips | ${events} | key_field=trip_id | correlation_id=${cid} |
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self) -> None:
        ctx = LibraryContext()
        super().__init__(ctx, [BuilderKeywords(ctx), ContractKeywords(ctx)])
