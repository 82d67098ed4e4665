"""SchemaRegistryLibrary: subjects, versions and compatibility over the Confluent REST API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword, library

import lhkit
from lakehouse import contracts
from lhkit import htmllog, require_test_environment, to_seconds
from lhkit.assertions import verify_list
from lhkit.target import Target

from .client import (
    CompatibilityLevel,
    IncompatibleSchema,
    RegistryClient,
    RegistryError,
    RegistryUnavailable,
    SchemaType,
    SubjectNotFound,
    schema_text,
)

__all__ = [
    "CompatibilityLevel",
    "IncompatibleSchema",
    "RegistryError",
    "RegistryUnavailable",
    "SchemaRegistryLibrary",
    "SchemaType",
    "SubjectNotFound",
]
__version__ = "0.1.0"


def _s(subject: str) -> str:
    return quote(subject, safe="")


@library(scope="GLOBAL", version=__version__, auto_keywords=False, doc_format="ROBOT", listener=None)
class SchemaRegistryLibrary:
    """Keywords for a Confluent-compatible schema registry (Apicurio's ``/apis/ccompat/v7`` here).

    %TOC%

    = Target =
    The registry URL is the target's ``schema_registry_url`` (``${LH_TARGET}``, else the embedded
    platform), resolved on first use. Override it on import:
    | Library | SchemaRegistryLibrary | url=http://127.0.0.1:18081/apis/ccompat/v7 |

    = Subjects =
    Topics use the TopicNameStrategy: the value schema of topic ``trips`` is subject
    ``trips-value``. Schemas are given as a dictionary, JSON text or a path to a ``.json`` file.

    = Compatibility =
    `Schema Should Be Compatible` asks the registry (``POST /compatibility/subjects/<s>/versions/latest``)
    without registering anything. Observed on Apicurio 3.3.3 with JSON Schema (the integration
    tests pin this down):
    | =Change=                                   | =BACKWARD, closed model= | =BACKWARD, open model= |
    | add an optional property                   | compatible   | incompatible |
    | add a required property                    | incompatible | incompatible |
    | remove a required property                 | incompatible | incompatible |
    | change a property's type                   | incompatible | incompatible |
    | make a required property optional          | compatible   | compatible   |
    "Closed" means ``additionalProperties: false`` (as in the lakehouse contracts). Apicurio's
    checker answers HTTP 500 for schemas declaring ``$schema`` draft 2020-12, which this library
    reports as an error, not as "incompatible". Apicurio also answers "compatible" for a subject
    that does not exist; the library checks that the subject exists first and fails otherwise.

    = Timeouts =
    Every request has a ``timeout`` (default 10 s); an unreachable registry fails with the URL.

    = Destructive keywords =
    `Delete Subject` refuses to run unless the target is a test environment.
    """

    def __init__(
        self,
        url: str | None = None,
        target: Mapping[str, Any] | None = None,
        timeout: timedelta = timedelta(seconds=10),
    ):
        """``url``: registry base URL (Confluent API root). ``target``: a target dictionary.
        ``timeout``: per-request timeout.
        """
        self._url_arg = url
        self._target_arg = target
        self._timeout = to_seconds(timeout, 10.0)
        self._target: Target | None = None
        self._client: RegistryClient | None = None

    # --- plumbing -------------------------------------------------------------------
    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = Target.from_mapping(self._target_arg) if self._target_arg else lhkit.current()
        return self._target

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            url = self._url_arg or self.target.schema_registry_url
            if not url:
                raise ValueError(f"Target '{self.target.name}' has no schema_registry_url")
            self._client = RegistryClient(url, self._timeout)
        return self._client

    # --- subjects -------------------------------------------------------------------
    @keyword(tags=("subjects", "Getter"))
    def list_subjects(
        self,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ) -> list[str]:
        """Returns the sorted subject names; optionally asserts the list.

        | ${subjects}= | List Subjects |
        | List Subjects | contains | trips-value |
        """
        subjects = sorted(self.client.request("GET", "/subjects"))
        logger.info(f"{len(subjects)} subject(s): {', '.join(subjects)}")
        return verify_list(subjects, assertion_operator, assertion_expected, "Subjects", message)

    @keyword(tags=("subjects",))
    def subject_should_exist(self, subject: str, message: str | None = None) -> None:
        """Fails unless ``subject`` has at least one version.

        | Subject Should Exist | trips-value |
        """
        try:
            self.client.request("GET", f"/subjects/{_s(subject)}/versions")
        except SubjectNotFound:
            raise AssertionError(
                message or f"Subject '{subject}' should exist in {self.client.url} but does not"
            ) from None

    @keyword(tags=("subjects",))
    def subject_should_not_exist(self, subject: str, message: str | None = None) -> None:
        """Fails if ``subject`` exists.

        | Subject Should Not Exist | trips-typo-value |
        """
        try:
            self.client.request("GET", f"/subjects/{_s(subject)}/versions")
        except SubjectNotFound:
            return
        raise AssertionError(message or f"Subject '{subject}' should not exist in {self.client.url} but does")

    @keyword(tags=("subjects", "destructive"))
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

    # --- schemas --------------------------------------------------------------------
    @keyword(tags=("schemas",))
    def register_schema(self, subject: str, schema: Any, schema_type: SchemaType = SchemaType.JSON) -> int:
        """Registers ``schema`` under ``subject`` and returns its id. Registering an identical schema
        again returns the existing id. Fails with the registry's message when the schema violates
        the subject's compatibility level.

        | ${id}= | Register Schema | scratch-${cid}-value | ${schema} |
        | ${id}= | Register Schema | scratch-${cid}-value | lakehouse/schemas/trip_event.json |
        """
        body = {"schemaType": schema_type.value, "schema": schema_text(schema)}
        result = self.client.request("POST", f"/subjects/{_s(subject)}/versions", body=body)
        schema_id = int(result["id"])
        logger.info(f"Registered schema id {schema_id} under '{subject}'")
        return schema_id

    @keyword(tags=("schemas",))
    def register_topic_schema(self, topic: str) -> int:
        """Registers the contract schema of ``topic`` (``lakehouse/schemas``) under ``<topic>-value``.

        | ${id}= | Register Topic Schema | trips |
        """
        t = contracts.topic(topic)
        return self.register_schema(t.subject, t.schema())

    @keyword(tags=("schemas", "Getter"))
    def get_latest_schema(self, subject: str) -> dict[str, Any]:
        """Returns ``{subject, version, id, schemaType, schema}`` of the latest version; ``schema`` is parsed JSON.

        | ${latest}= | Get Latest Schema | trips-value |
        | Should Be Equal | ${latest}[schema][title] | TripEvent |
        """
        return self.get_schema_version(subject, "latest")

    @keyword(tags=("schemas", "Getter"))
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

    @keyword(tags=("schemas", "Getter"))
    def list_schema_versions(
        self,
        subject: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ) -> list[int]:
        """Returns the version numbers of ``subject``; optionally asserts them.

        | ${versions}= | List Schema Versions | trips-value |
        | List Schema Versions | trips-value | contains | ${1} |
        """
        versions = [int(v) for v in self.client.request("GET", f"/subjects/{_s(subject)}/versions")]
        return verify_list(versions, assertion_operator, assertion_expected, f"Versions of '{subject}'", message)

    @keyword(tags=("schemas",))
    def registered_schema_should_match_contract(self, topic: str, message: str | None = None) -> None:
        """Fails unless the latest schema of ``<topic>-value`` equals the contract file (as JSON, key order ignored).

        | Registered Schema Should Match Contract | trips |
        """
        t = contracts.topic(topic)
        latest = self.get_latest_schema(t.subject)
        if latest["schema"] != t.schema():
            raise AssertionError(
                message
                or f"Latest schema of '{t.subject}' (version {latest.get('version')}) differs from {t.schema_file}"
            )

    # --- compatibility --------------------------------------------------------------
    @keyword(tags=("compatibility", "Getter"))
    def get_compatibility(
        self,
        subject: str | None = None,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
    ) -> str:
        """Returns the compatibility level of ``subject``, or the global one; optionally asserts it.

        | Get Compatibility | | == | BACKWARD |
        | ${level}= | Get Compatibility | trips-value |
        """
        path = f"/config/{_s(subject)}" if subject else "/config"
        result = self.client.request("GET", path)
        level = str(result.get("compatibilityLevel") or result.get("compatibility"))
        what = f"Compatibility of '{subject}'" if subject else "Global compatibility"
        return verify_assertion(level, assertion_operator, assertion_expected, what, message)

    @keyword(tags=("compatibility",))
    def set_compatibility(self, level: CompatibilityLevel, subject: str | None = None) -> None:
        """Sets the compatibility level of ``subject``, or the global level when no subject is given.

        Changing the global level affects every test on the platform; prefer a subject.

        | Set Compatibility | FULL | scratch-${cid}-value |
        """
        path = f"/config/{_s(subject)}" if subject else "/config"
        self.client.request("PUT", path, body={"compatibility": level.value})
        logger.info(f"Compatibility of {repr(subject) if subject else 'the registry'} set to {level.value}")

    @keyword(tags=("compatibility",))
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
        self.client.request("GET", f"/subjects/{_s(subject)}/versions")
        path = f"/compatibility/subjects/{_s(subject)}/versions/{_s(str(version))}"
        result = self.client.request("POST", path, body=body, params={"verbose": "true"})
        compatible = bool(result.get("is_compatible"))
        reasons = result.get("messages") or []
        logger.info(
            f"Schema is {'compatible' if compatible else 'NOT compatible'} with '{subject}' version {version}"
            + (f": {'; '.join(map(str, reasons))}" if reasons else "")
        )
        return compatible

    @keyword(tags=("compatibility", "assertion"))
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

    @keyword(tags=("compatibility", "assertion"))
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
