"""HTML logging for log.html: row tables, pretty JSON, lineage trails.

Summaries go to INFO; bulk content goes to DEBUG. Every string passes through
:func:`lhcommon.masking.mask` before it reaches the log.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from robot.api import logger

from lhcommon.masking import mask

_TABLE_STYLE = (
    "border-collapse:collapse;font-family:monospace;font-size:12px;"
)
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;"
_HEAD = _CELL + "background:#eef;position:sticky;top:0;"
MAX_CELL = 200


def _cell(value: Any) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "backslashreplace")
    elif isinstance(value, dict | list):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    text = mask(text)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return html.escape(text)


def table_html(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    caption: str = "",
    limit: int = 50,
    row_styles: Sequence[str] | None = None,
) -> str:
    """Render rows (dicts) as a scrollable HTML table with a caption."""
    cols = list(columns) if columns else _columns(rows)
    shown = rows[:limit]
    head = "".join(f'<th style="{_HEAD}">{html.escape(c)}</th>' for c in ["#", *cols])
    body = []
    for i, row in enumerate(shown):
        style = row_styles[i] if row_styles and i < len(row_styles) else ""
        cells = "".join(f'<td style="{_CELL}">{_cell(row.get(c))}</td>' for c in cols)
        body.append(f'<tr style="{style}"><td style="{_CELL}">{i + 1}</td>{cells}</tr>')
    more = f" (first {limit} shown)" if len(rows) > limit else ""
    cap = html.escape(mask(caption)) + f" ({len(rows)} row{'s' * (len(rows) != 1)}{more})"
    return (
        f'<div style="max-height:400px;overflow:auto"><table style="{_TABLE_STYLE}">'
        f'<caption style="text-align:left;font-weight:bold">{cap}</caption>'
        f"<tr>{head}</tr>{''.join(body)}</table></div>"
    )


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def log_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    caption: str = "",
    level: str = "INFO",
    limit: int = 50,
    row_styles: Sequence[str] | None = None,
) -> None:
    logger.write(table_html(rows, columns, caption=caption, limit=limit, row_styles=row_styles), level, html=True)


def json_html(value: Any, *, title: str = "") -> str:
    text = mask(json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False))
    head = f"<b>{html.escape(mask(title))}</b>" if title else ""
    return f'{head}<pre style="font-size:12px;max-height:400px;overflow:auto">{html.escape(text)}</pre>'


def log_json(value: Any, *, title: str = "", level: str = "INFO") -> None:
    logger.write(json_html(value, title=title), level, html=True)


def log_text_block(text: str, *, title: str = "", level: str = "INFO") -> None:
    """Log a block of preformatted text, e.g. the tail of a service log."""
    head = f"<b>{html.escape(mask(title))}</b>" if title else ""
    logger.write(
        f'{head}<pre style="font-size:11px;max-height:400px;overflow:auto">{html.escape(mask(text))}</pre>',
        level,
        html=True,
    )


def log_lineage(correlation_id: str, hops: Sequence[tuple[str, str]], *, level: str = "INFO") -> None:
    """Log a correlation-id lineage trail: ``[(layer, detail), …]`` in order."""
    parts = " &rarr; ".join(
        f'<span style="border:1px solid #99c;border-radius:3px;padding:1px 4px">'
        f"<b>{html.escape(layer)}</b> {html.escape(mask(detail))}</span>"
        for layer, detail in hops
    )
    logger.write(f"Lineage of <code>{html.escape(correlation_id)}</code>: {parts}", level, html=True)
