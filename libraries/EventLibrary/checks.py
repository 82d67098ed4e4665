"""Contract keywords: key fields, JSON Schemas, validation of events against them."""

from __future__ import annotations

from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from contract.topics import Topic
from contract.topics import topic as _contract_topic
from lhkit.component import LibraryComponent

from .factories import TRIP_LIFECYCLE
from .validation import errors as schema_errors

AREA = "Event"


def contract_topic(name: str) -> Topic:
    """The contract topic of a logical (``gps-pings``) or table (``gps_pings``) name."""
    try:
        return _contract_topic(name)
    except KeyError as error:
        raise ValueError(error.args[0]) from None


class ContractKeywords(LibraryComponent):
    # --- contracts ------------------------------------------------------------------
    @keyword(tags=(AREA, "Getter"))
    def get_event_key(self, topic: str, event: dict[str, Any]) -> str:
        """Returns the Kafka key of ``event`` on ``topic`` (its contract key field, e.g. ``trip_id``).

        | ${key}= | Get Event Key | trips | ${event} |
        """
        field = contract_topic(topic).key_field
        if event.get(field) in (None, ""):
            raise ValueError(f"Event has no '{field}', the key field of topic '{topic}'")
        return str(event[field])

    @keyword(tags=(AREA, "Assertion"))
    def event_should_be_valid(self, topic: str, event: Any, message: str | None = None) -> None:
        """Fails unless ``event`` (dict, JSON text or bytes) satisfies ``topic``'s JSON schema.

        | Event Should Be Valid | trips | ${event} |
        """
        found = schema_errors(topic, event)
        if found:
            raise AssertionError(message or f"Event is not a valid '{topic}' event: " + "; ".join(found))

    @keyword(tags=(AREA, "Assertion"))
    def event_should_be_invalid(self, topic: str, event: Any, message: str | None = None) -> None:
        """Fails if ``event`` satisfies ``topic``'s JSON schema; logs the violations found.

        | ${bad}= | Build Malformed Payload | schema_violation | trips | ${cid} |
        | Event Should Be Invalid | trips | ${bad} |
        """
        found = schema_errors(topic, event)
        if not found:
            raise AssertionError(message or f"Event should violate the '{topic}' schema but is valid")
        logger.info(f"Schema violations ({topic}): " + "; ".join(found))

    @keyword(tags=(AREA, "Getter"))
    def get_event_schema(self, topic: str) -> dict[str, Any]:
        """Returns the JSON schema (a dict) of ``topic`` from the platform contract (``contract/schemas``).

        | ${schema}= | Get Event Schema | payments |
        """
        return contract_topic(topic).schema()

    @keyword(tags=(AREA, "Getter"))
    def get_trip_lifecycle_steps(self) -> list[str]:
        """Returns the lifecycle event types in order (``trip.requested`` … ``trip.completed``).

        | ${steps}=    Get Trip Lifecycle Steps
        """
        return [f"trip.{s}" for s in TRIP_LIFECYCLE]
