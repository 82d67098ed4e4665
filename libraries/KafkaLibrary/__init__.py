"""KafkaLibrary: topics, publishing and marks-based consumption for Robot Framework."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from robotlibcore import DynamicCore

from lhkit.target import Target

from .consumer import ConsumerKeywords, MessageFilter
from .context import PRODUCER_DEFAULTS, KafkaContext, KafkaUnavailable, UnknownTopic
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


class KafkaLibrary(DynamicCore):
    """Kafka keywords for end-to-end lakehouse tests: topic admin, fast publishing, and waiting for messages.

    %TOC%

    = Target =
    The broker comes from the current target (``${LH_TARGET}`` from a variables file, else the
    embedded platform of this checkout). It is resolved on first use, so importing the library
    never connects. Override it on import:
    | Library | KafkaLibrary | bootstrap=127.0.0.1:29092 |

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
    longer. Waits poll every 0.2 s and fail with what they expected, what they last saw and how
    long they waited. An unknown topic fails at once, naming the topic and the existing ones.

    = Destructive keywords =
    `Delete Topic` and `Recreate Topic` refuse to run unless the target is marked as a test
    environment.

    = Assertions =
    Getters such as `Get Topic Partitions` and `Get Message Count Since Mark` accept an optional
    AssertionEngine operator and expected value:
    | Get Topic Partitions | gps-pings | == | 8 |
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, target: Mapping[str, Any] | None = None, bootstrap: str | None = None):
        """``target``: a target dictionary (as ``${LH_TARGET}``) to use instead of the current one.
        ``bootstrap``: override only the Kafka bootstrap servers (``host:port``).
        """
        self._ctx = KafkaContext(Target.from_mapping(target) if target else None, bootstrap)
        self.ROBOT_LIBRARY_LISTENER = self
        super().__init__([TopicKeywords(self._ctx), ProducerKeywords(self._ctx), ConsumerKeywords(self._ctx)])

    def close(self) -> None:
        """Listener hook: flush the producer when the library goes out of scope."""
        self._ctx.close()
