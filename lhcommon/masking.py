"""Secret masking shared by every library.

Secrets are registered once (by the target configuration) and replaced by
``***`` in every string the libraries log or put into failure messages. Robot's
own ``Secret`` type (RF 7.4+) is accepted wherever a credential is passed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"

# Clients that log request details (signatures, auth headers) at DEBUG. Robot
# captures the ``logging`` module into log.html, so keep them quiet.
# selenium: its remote_connection logs every WebDriver command at DEBUG, typed passwords included.
_NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "requests", "deltalake", "selenium")


def register(*values: object) -> None:
    """Remember secret values so :func:`mask` hides them (ignores short ones)."""
    with _lock:
        for value in values:
            text = reveal(value)
            if text and len(text) >= 4:
                _secrets.add(text)


def reveal(value: object) -> str:
    """The plain text of a secret: ``robot.api.types.Secret``, ``str`` or ``None``."""
    if value is None:
        return ""
    inner = getattr(value, "value", None)  # robot.api.types.Secret
    if inner is not None and type(value).__name__ == "Secret":
        return str(inner)
    return str(value)


def mask(text: Any) -> str:
    out = str(text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in out:
            out = out.replace(secret, MASK)
    return out


def quiet_client_loggers() -> None:
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
