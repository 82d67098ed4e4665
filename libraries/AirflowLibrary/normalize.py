"""Pure helpers that absorb the differences between Airflow's ``/api/v1`` (2.x) and ``/api/v2`` (3.x).

No I/O here, so all of it is unit-tested without a server.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import time
from collections.abc import Mapping
from typing import Any, Literal

ApiVersion = Literal["v1", "v2"]

TERMINAL_RUN_STATES = frozenset({"success", "failed"})
RUN_STATES = frozenset({"queued", "running", "success", "failed"})
# Task states that mean "this task broke the run"; their logs are attached on failure.
FAILED_TASK_STATES = frozenset({"failed", "upstream_failed", "up_for_retry"})


def parse_xcom_value(value: Any, api: ApiVersion) -> Any:
    """The XCom ``value`` as a Python object.

    ``/api/v2`` returns native JSON. ``/api/v1`` returns ``str(value)``, i.e. a Python
    repr for dicts/lists/numbers (``"{'answer': 42}"``); it is parsed with
    :func:`ast.literal_eval`. A v1 value that is not a literal (a plain string such as
    ``hello``) is returned unchanged. Caveat: a v1 string that looks like a literal
    (``"42"``) cannot be told apart from the number 42.
    """
    if api == "v2" or not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def trigger_body(
    api: ApiVersion, run_id: str, conf: Mapping[str, Any] | None, note: str | None = None
) -> dict[str, Any]:
    """Body of ``POST /dags/{id}/dagRuns``. v2 requires the ``logical_date`` key (null is fine)."""
    body: dict[str, Any] = {"dag_run_id": run_id, "conf": dict(conf or {})}
    if api == "v2":
        body["logical_date"] = None
    if note:
        body["note"] = note
    return body


def normalize_import_error(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One import error with the same keys on v1 and v2.

    ``filename`` is what the server reported (v1: absolute path; v2: relative to its
    bundle); ``file_name`` is the base name, comparable across versions.
    """
    filename = str(raw.get("filename") or "")
    return {
        "filename": filename,
        "file_name": filename.rsplit("/", 1)[-1],
        "bundle_name": raw.get("bundle_name"),
        "stack_trace": str(raw.get("stack_trace") or ""),
        "timestamp": raw.get("timestamp"),
    }


def normalize_task_instance(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "task_id": raw.get("task_id"),
        "state": raw.get("state"),
        "try_number": raw.get("try_number"),
        "map_index": raw.get("map_index", -1),
        "start_date": raw.get("start_date"),
        "end_date": raw.get("end_date"),
        "duration": raw.get("duration"),
        "operator": raw.get("operator") or raw.get("operator_name"),
    }


_UNSAFE = re.compile(r"[^A-Za-z0-9_.~:+-]+")


def make_run_id(dag_id: str, scope: str | None, unique: str) -> str:
    """A readable run id: ``lh__<scope>__<unique>``; ``scope`` is e.g. the Robot test name.

    Only characters Airflow accepts in run ids, and at most 250 of them.
    """
    parts = ["lh", _UNSAFE.sub("_", scope or dag_id).strip("_")[:120] or dag_id, _UNSAFE.sub("_", unique)]
    return "__".join(parts)[:250]


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (epoch seconds) of a JWT, read without verifying it; None if absent/unreadable."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
        exp = claims.get("exp")
        return float(exp) if exp is not None else None
    except (IndexError, ValueError, TypeError):
        return None


def token_needs_refresh(token: str | None, now: float | None = None, margin: float = 60.0) -> bool:
    """True when there is no token or it expires within ``margin`` seconds."""
    if not token:
        return True
    exp = jwt_expiry(token)
    if exp is None:
        return False  # opaque token: rely on 401 handling
    return (now if now is not None else time.time()) >= exp - margin


def detect_api(v2_status: int | None, v1_status: int | None) -> ApiVersion | None:
    """Which API a server speaks, from the status codes of the unauthenticated version probes."""
    if v2_status == 200:
        return "v2"
    if v1_status == 200:
        return "v1"
    return None


def error_detail(body: Any) -> str:
    """A short, human message out of an Airflow error body (v1 problem+json, v2 FastAPI ``detail``)."""
    if isinstance(body, Mapping):
        for key in ("detail", "title", "message"):
            value = body.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value, default=str)[:500]
        return json.dumps(body, default=str)[:500]
    text = str(body or "").strip()
    if text.lstrip().startswith("<"):
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        return f"HTML page{': ' + title.group(1).strip() if title else ''}"
    return text[:500]


_LOG_SKIP_KEYS = frozenset(
    {
        "timestamp",
        "event",
        "level",
        "logger",
        "filename",
        "lineno",
        "error_detail",
        "dag_id",
        "run_id",
        "task_id",
        "map_index",
        "try_number",
        "ti_id",
    }
)


def format_log_content(content: Any) -> str:
    """Plain text out of a v2 structured task log (``{"content": [...]}``); strings pass through."""
    if isinstance(content, Mapping):
        content = content.get("content", "")
    if isinstance(content, str):
        return content
    lines: list[str] = []
    for item in content or []:
        if not isinstance(item, Mapping):
            lines.append(str(item))
            continue
        head = " ".join(str(p) for p in (item.get("timestamp"), (item.get("level") or "").upper() or None) if p)
        extra = {k: v for k, v in item.items() if k not in _LOG_SKIP_KEYS}
        tail = " " + " ".join(f"{k}={v}" for k, v in extra.items()) if extra else ""
        lines.append(f"{head + ' ' if head else ''}{item.get('event', '')}{tail}")
        for error in item.get("error_detail") or []:
            lines.append("Traceback (most recent call last):")
            for frame in error.get("frames") or []:
                lines.append(f'  File "{frame.get("filename")}", line {frame.get("lineno")}, in {frame.get("name")}')
            lines.append(f"{error.get('exc_type')}: {error.get('exc_value')}")
    return "\n".join(lines)
