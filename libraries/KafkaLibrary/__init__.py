"""KafkaLibrary: topics, publishing and marks-based consumption for Robot Framework."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from contract.platform import PlatformContract
from lhkit.component import KeywordLibrary, LibraryContext

from .consumer import ConsumerKeywords, MessageFilter
from .context import PRODUCER_DEFAULTS, KafkaUnavailable, UnknownTopic
from .producer import CORRELATION_HEADER, DeliveryFailed, ProducerKeywords
from .topics import TopicKeywords

__all__ = [
    "CORRELATION_HEADER",
    "PRODUCER_DEFAULTS",
    "DeliveryFailed",
    "KafkaLibrary",
    "KafkaUnavailable",
    "MessageFilter",
    "UnknownTopic",
]
__version__ = "0.1.0"


class KafkaLibrary(KeywordLibrary):
    """Kafka keywords for end-to-end lakehouse tests: topic admin, fast publishing, and waiting for messages.

    %TOC%

    = Target =
    The broker comes from the current target (``${LH_TARGET}`` from a variables file, else the
    contract file named by ``LH_CONTRACT_FILE``). It is resolved on first use, so importing the
    library never connects. Override it on import:
    | Library | KafkaLibrary | bootstrap=127.0.0.1:29092 |

    = Topic names =
    Keywords take *logical* topic names (``trips``, ``gps-pings``): the names of the platform
    contract. The library maps them to the broker's physical names with the target's
    ``topic_prefix`` (``stg.`` + ``trips`` = ``stg.trips``). An already physical name is accepted
    too, and a name that is not a contract topic (``scratch-${cid}``) is used as given. Results
    (marks, message records, `List Topics`) carry physical names.

    = Correlation ids =
    Publishing keywords put the test's correlation id into the JSON payload (``correlation_id``
    field) **and** a ``correlation_id`` header, so both the streaming job and raw consumers can
    trace a test's messages. `Wait For Messages Since Mark` matches either.

    = Marks =
    A mark is a plain dictionary of end offsets per partition returned by `Mark Topic Position`.
    Take a mark before acting, then wait for what the action should produce:
    | ${mark}= | Mark Topic Position | trips |
    | Publish Events | trips | ${events} | correlation_id=${cid} |
    | ${msgs}= | Wait For Messages Since Mark | ${mark} | correlation_id=${cid} | count=6 |
    The library keeps no state between keywords; marks live in your variables, which keeps pabot
    workers and tests independent.

    = Timeouts =
    Every keyword has a ``timeout`` (Robot time format, e.g. ``30 s``); no network call waits
    longer. Without one, the library-wide ``timeout`` given at import applies (default 30 s):
    | Library | KafkaLibrary | timeout=1 min |
    Waits poll every 0.2 s and fail with what they expected, what they last saw and how long
    they waited. An unknown topic fails at once, naming the topic and the existing ones.

    = Destructive keywords =
    `Delete Topic` and `Recreate Topic` refuse to run unless the target is marked as a test
    environment.

    = Assertions =
    Getters such as `Get Topic Partitions`, `List Topics` and `Get Message Count Since Mark` take
    AssertionEngine's ``assertion_operator``, ``assertion_expected`` and ``message``, and with
    ``retry_timeout`` read again until the assertion holds:
    | Get Topic Partitions | gps-pings | == | 8 |
    | Get Message Count Since Mark | ${mark} | == | 6 | correlation_id=${cid} | retry_timeout=30 s |

    = Tags =
    Every keyword is tagged ``Kafka`` and one of ``Getter``, ``Assertion``, ``Wait``, ``Setter``
    (publishing and topic changes) or ``Destructive``.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(
        self,
        target: Mapping[str, Any] | PlatformContract | None = None,
        bootstrap: str | None = None,
        timeout: timedelta | None = None,
    ):
        """``target``: a target dictionary (as ``${LH_TARGET}``) to use instead of the current one.
        ``bootstrap``: override only the Kafka bootstrap servers (``host:port``).
        ``timeout``: the default of every keyword's ``timeout`` (default 30 s).
        """
        ctx = LibraryContext(target, timeout, overrides={"kafka_bootstrap": bootstrap}, requires=("kafka_bootstrap",))
        super().__init__(ctx, [TopicKeywords(ctx), ProducerKeywords(ctx), ConsumerKeywords(ctx)])
