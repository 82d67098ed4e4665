"""SchemaRegistryLibrary: subjects, versions and compatibility over the Confluent REST API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from contract.platform import PlatformContract
from lhkit.component import KeywordLibrary, LibraryContext

from .client import (
    CompatibilityLevel,
    IncompatibleSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaType,
    SubjectNotFound,
)
from .evolution import EvolutionKeywords, SchemaChange
from .keywords import CompatibilityKeywords, SchemaKeywords, SubjectKeywords

__all__ = [
    "CompatibilityLevel",
    "IncompatibleSchema",
    "RegistryError",
    "RegistryUnavailable",
    "SchemaChange",
    "SchemaRegistryLibrary",
    "SchemaType",
    "SubjectNotFound",
]
__version__ = "0.1.0"


class SchemaRegistryLibrary(KeywordLibrary):
    """Keywords for a Confluent-compatible schema registry (Apicurio's ``/apis/ccompat/v7`` here).

    %TOC%

    = Target =
    The registry URL is the target's ``schema_registry_url`` (``${LH_TARGET}`` from a variables
    file, else the contract file named by ``LH_CONTRACT_FILE``), resolved on first use. Override
    it on import:
    | Library | SchemaRegistryLibrary | url=http://127.0.0.1:18081/apis/ccompat/v7 |

    = Subjects =
    Topics use the TopicNameStrategy: the value schema of a topic is subject
    ``<physical topic>-value``, where the physical name carries the target's ``topic_prefix``
    (``trips-value``, or ``stg.trips-value`` with prefix ``stg.``). Keywords about a contract
    topic (`Register Topic Schema`, `Registered Schema Should Match Contract`,
    `Get Topic Subject`) take the *logical* topic name; the others take a subject. Schemas are
    given as a dictionary, JSON text or a path to a ``.json`` file.

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
    "Closed" means ``additionalProperties: false`` (as in the contract's schemas). Apicurio's
    checker answers HTTP 500 for schemas declaring ``$schema`` draft 2020-12, which this library
    reports as an error, not as "incompatible". Apicurio also answers "compatible" for a subject
    that does not exist; the library checks that the subject exists first and fails otherwise.

    = Evolution =
    `Evolve Schema` derives the next version of a schema by one change named as in Confluent's
    compatibility documentation (``add optional field``, ``add required field``,
    ``delete optional field``, ...), for tests of a subject's compatibility level.

    = Assertions =
    Getters (`List Subjects`, `List Schema Versions`, `Get Compatibility`) take AssertionEngine's
    ``assertion_operator``, ``assertion_expected`` and ``message``; with ``retry_timeout`` they
    ask again until the assertion holds:
    | Get Compatibility | trips-value | == | BACKWARD | retry_timeout=10 s |

    = Timeouts =
    Every request is bounded by the library-wide ``timeout`` given at import (default 30 s); an
    unreachable registry fails with the URL.
    | Library | SchemaRegistryLibrary | timeout=10 s |

    = Destructive keywords =
    `Delete Subject` refuses to run unless the target is a test environment.

    = Tags =
    Every keyword is tagged ``SchemaRegistry`` and one of ``Getter``, ``Assertion``, ``Setter`` or
    ``Destructive``.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        url: str | None = None,
        target: Mapping[str, Any] | PlatformContract | None = None,
        timeout: timedelta | None = None,
    ):
        """``url``: registry base URL (Confluent API root), overriding the target's.
        ``target``: a target dictionary to use instead of the current one.
        ``timeout``: the limit of every registry request (default 30 s).
        """
        ctx = LibraryContext(target, timeout, overrides={"schema_registry_url": url}, requires=("schema_registry_url",))
        super().__init__(
            ctx, [SubjectKeywords(ctx), SchemaKeywords(ctx), CompatibilityKeywords(ctx), EvolutionKeywords(ctx)]
        )
