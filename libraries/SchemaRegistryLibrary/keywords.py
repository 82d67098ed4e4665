"""SchemaRegistryLibrary components by area: subjects, schemas, compatibility."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from assertionengine import AssertionOperator
from robot.api import logger
from robot.api.deco import keyword

from lhkit import htmllog
from lhkit.assertions import get_and_verify, verify_list
from lhkit.component import LibraryComponent
from lhkit.target import require_test_environment

from .client import (
    CompatibilityLevel,
    RegistryClient,
    RegistryError,
    RegistryUnavailable,
    SchemaType,
    SubjectNotFound,
    schema_text,
)

AREA = "SchemaRegistry"


def _s(subject: str) -> str:
    return quote(subject, safe="")


class RegistryComponent(LibraryComponent):
    """Base of the components: the one registry client of the library instance, contract subjects."""

    @property
    def client(self) -> RegistryClient:
        return self.ctx.resource(
            "registry", lambda: RegistryClient(self.target.schema_registry_url, self.ctx.timeout), RegistryClient.close
        )

    def topic_subject(self, topic: str) -> str:
        """``<physical topic>-value`` of a contract topic (logical, table or physical name)."""
        try:
            return f"{self.target.topic_name(topic)}-value"
        except KeyError as error:
            raise ValueError(error.args[0]) from None

    def versions(self, subject: str) -> list[int]:
        return [int(v) for v in self.client.request("GET", f"/subjects/{_s(subject)}/versions")]


class SubjectKeywords(RegistryComponent):
    @keyword(tags=(AREA, "Getter"))
    def list_subjects(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[str]:
        """Returns the sorted subject names; optionally asserts the list (``contains`` / ``not contains``
        take one subject or a list), reading again for ``retry_timeout`` until the assertion holds.

        | ${subjects}= | List Subjects |
        | List Subjects | contains | trips-value |
        """
        subjects = get_and_verify(
            lambda: sorted(self.client.request("GET", "/subjects")),
            assertion_operator,
            assertion_expected,
            "Subjects",
            message,
            retry_timeout,
            verify=verify_list,
        )
        logger.info(f"{len(subjects)} subject(s): {', '.join(subjects)}")
        return subjects

    @keyword(tags=(AREA, "Getter"))
    def get_topic_subject(self, topic: str) -> str:
        """Returns the value subject of a contract topic: ``<physical topic>-value`` (TopicNameStrategy),
        e.g. ``trips-value``, or ``stg.trips-value`` on a target whose topic prefix is ``stg.``.

        | ${subject}= | Get Topic Subject | trips |
        | Subject Should Exist | ${subject} |
        """
        return self.topic_subject(topic)

    @keyword(tags=(AREA, "Assertion"))
    def subject_should_exist(self, subject: str, message: str | None = None) -> None:
        """Fails unless ``subject`` has at least one version.

        | Subject Should Exist | trips-value |
        """
        try:
            self.versions(subject)
        except SubjectNotFound:
            raise AssertionError(
                message or f"Subject '{subject}' should exist in {self.client.url} but does not"
            ) from None

    @keyword(tags=(AREA, "Assertion"))
    def subject_should_not_exist(self, subject: str, message: str | None = None) -> None:
        """Fails if ``subject`` exists.

        | Subject Should Not Exist | trips-typo-value |
        """
        try:
            self.versions(subject)
        except SubjectNotFound:
            return
        raise AssertionError(message or f"Subject '{subject}' should not exist in {self.client.url} but does")

    @keyword(tags=(AREA, "Destructive"))
    def delete_subject(self, subject: str, permanent: bool = True) -> list[int]:
        """Deletes ``subject`` (soft delete, then a permanent one unless ``permanent=False``); returns the versions.

        Destructive: test environments only.

        | Delete Subject | scratch-${cid}-value |
        """
        require_test_environment(self.target, f"delete schema subject '{subject}'")
        versions = self.client.request("DELETE", f"/subjects/{_s(subject)}")
        if permanent:
            self.client.request("DELETE", f"/subjects/{_s(subject)}", params={"permanent": "true"})
        logger.info(f"Deleted subject '{subject}' (versions {versions}{', permanently' if permanent else ''})")
        return list(versions or [])


class SchemaKeywords(RegistryComponent):
    @keyword(tags=(AREA, "Setter"))
    def register_schema(self, subject: str, schema: Any, schema_type: SchemaType = SchemaType.JSON) -> int:
        """Registers ``schema`` under ``subject`` and returns its id. Registering an identical schema
        again returns the existing id. Fails with the registry's message when the schema violates
        the subject's compatibility level.

        | ${id}= | Register Schema | scratch-${cid}-value | ${schema} |
        | ${id}= | Register Schema | scratch-${cid}-value | contract/schemas/trip_event.json |
        """
        body = {"schemaType": schema_type.value, "schema": schema_text(schema)}
        result = self.client.request("POST", f"/subjects/{_s(subject)}/versions", body=body)
        schema_id = int(result["id"])
        logger.info(f"Registered schema id {schema_id} under '{subject}'")
        return schema_id

    @keyword(tags=(AREA, "Setter"))
    def register_topic_schema(self, topic: str) -> int:
        """Registers the contract schema of ``topic`` (``contract/schemas``) under its subject
        ``<physical topic>-value``; returns the schema id.

        | ${id}= | Register Topic Schema | trips |
        """
        return self.register_schema(self.topic_subject(topic), self.target.topic(topic).schema())

    @keyword(tags=(AREA, "Getter"))
    def get_latest_schema(self, subject: str) -> dict[str, Any]:
        """Returns ``{subject, version, id, schemaType, schema}`` of the latest version; ``schema`` is parsed JSON.

        | ${latest}= | Get Latest Schema | trips-value |
        | Should Be Equal | ${latest}[schema][title] | TripEvent |
        """
        return self.get_schema_version(subject, "latest")

    @keyword(tags=(AREA, "Getter"))
    def get_schema_version(self, subject: str, version: str = "latest") -> dict[str, Any]:
        """Returns one version (number or ``latest``) of ``subject``; see `Get Latest Schema`.

        | ${v1}= | Get Schema Version | trips-value | 1 |
        """
        result = dict(self.client.request("GET", f"/subjects/{_s(subject)}/versions/{_s(str(version))}"))
        result.setdefault("schemaType", "AVRO")
        try:
            result["schema"] = json.loads(result["schema"])
        except (TypeError, ValueError):
            pass
        htmllog.log_json(result, title=f"{subject} version {result.get('version')}", level="DEBUG")
        logger.info(f"{subject}: version {result.get('version')}, id {result.get('id')}")
        return result

    @keyword(tags=(AREA, "Getter"))
    def list_schema_versions(
        self,
        subject: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[int]:
        """Returns the version numbers of ``subject``; optionally asserts them (``contains`` takes one
        version or a list), reading again for ``retry_timeout`` until the assertion holds.

        | ${versions}= | List Schema Versions | trips-value |
        | List Schema Versions | trips-value | contains | ${1} |
        """
        return get_and_verify(
            lambda: self.versions(subject),
            assertion_operator,
            assertion_expected,
            f"Versions of '{subject}'",
            message,
            retry_timeout,
            verify=verify_list,
        )

    @keyword(tags=(AREA, "Assertion"))
    def registered_schema_should_match_contract(self, topic: str, message: str | None = None) -> None:
        """Fails unless the latest schema of the topic's subject (``<physical topic>-value``) equals
        the contract's schema file (as JSON, key order ignored).

        | Registered Schema Should Match Contract | trips |
        """
        subject = self.topic_subject(topic)
        contract_topic = self.target.topic(topic)
        latest = self.get_latest_schema(subject)
        if latest["schema"] != contract_topic.schema():
            raise AssertionError(
                message
                or f"Latest schema of '{subject}' (version {latest.get('version')}) differs from the contract's "
                f"{contract_topic.schema_file}"
            )


class CompatibilityKeywords(RegistryComponent):
    @keyword(tags=(AREA, "Getter"))
    def get_compatibility(
        self,
        subject: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> str:
        """Returns the compatibility level of ``subject``, or the global one; optionally asserts it.

        | Get Compatibility | | == | BACKWARD |
        | ${level}= | Get Compatibility | trips-value |
        """
        path = f"/config/{_s(subject)}" if subject else "/config"

        def level() -> str:
            result = self.client.request("GET", path)
            return str(result.get("compatibilityLevel") or result.get("compatibility"))

        what = f"Compatibility of '{subject}'" if subject else "Global compatibility"
        return get_and_verify(level, assertion_operator, assertion_expected, what, message, retry_timeout)

    @keyword(tags=(AREA, "Setter"))
    def set_compatibility(self, level: CompatibilityLevel, subject: str | None = None) -> None:
        """Sets the compatibility level of ``subject``, or the global level when no subject is given.

        Changing the global level affects every test on the platform; prefer a subject.

        | Set Compatibility | FULL | scratch-${cid}-value |
        """
        path = f"/config/{_s(subject)}" if subject else "/config"
        self.client.request("PUT", path, body={"compatibility": level.value})
        logger.info(f"Compatibility of {repr(subject) if subject else 'the registry'} set to {level.value}")

    @keyword(tags=(AREA, "Getter"))
    def check_schema_compatibility(
        self, subject: str, schema: Any, schema_type: SchemaType = SchemaType.JSON, version: str = "latest"
    ) -> bool:
        """Returns whether ``schema`` is compatible with ``version`` of ``subject`` under the subject's level.

        Uses ``POST /compatibility/subjects/<subject>/versions/<version>``; nothing is registered.
        An unknown subject fails (Apicurio itself would answer "compatible").

        | ${ok}= | Check Schema Compatibility | trips-value | ${candidate} |
        """
        body = {"schemaType": schema_type.value, "schema": schema_text(schema)}
        # Apicurio answers is_compatible=true for a subject that does not exist (Confluent: 404),
        # which would let a typo pass every check; ask for the versions first.
        self.versions(subject)
        path = f"/compatibility/subjects/{_s(subject)}/versions/{_s(str(version))}"
        result = self.client.request("POST", path, body=body, params={"verbose": "true"})
        compatible = bool(result.get("is_compatible"))
        reasons = result.get("messages") or []
        logger.info(
            f"Schema is {'compatible' if compatible else 'NOT compatible'} with '{subject}' version {version}"
            + (f": {'; '.join(map(str, reasons))}" if reasons else "")
        )
        return compatible

    @keyword(tags=(AREA, "Assertion"))
    def schema_should_be_compatible(
        self,
        subject: str,
        schema: Any,
        schema_type: SchemaType = SchemaType.JSON,
        version: str = "latest",
        message: str | None = None,
    ) -> None:
        """Fails unless the registry judges ``schema`` compatible with ``subject`` (see `Compatibility`).

        | Schema Should Be Compatible | trips-value | ${with_optional_tip} |
        """
        if not self.check_schema_compatibility(subject, schema, schema_type, version):
            level = self._level_or_unknown(subject)
            raise AssertionError(
                message or f"Schema should be compatible with '{subject}' version {version} under {level}, but is not"
            )

    @keyword(tags=(AREA, "Assertion"))
    def schema_should_not_be_compatible(
        self,
        subject: str,
        schema: Any,
        schema_type: SchemaType = SchemaType.JSON,
        version: str = "latest",
        message: str | None = None,
    ) -> None:
        """Fails if the registry judges ``schema`` compatible with ``subject``.

        | Schema Should Not Be Compatible | trips-value | ${with_new_required_field} |
        """
        if self.check_schema_compatibility(subject, schema, schema_type, version):
            level = self._level_or_unknown(subject)
            raise AssertionError(
                message or f"Schema should NOT be compatible with '{subject}' version {version} under {level}, but is"
            )

    def _level_or_unknown(self, subject: str) -> str:
        try:
            return self.get_compatibility(subject)
        except (RegistryError, RegistryUnavailable):
            return "an unknown level"
