"""A small hand-made SVG line chart of metric series, inlined in log.html (no plotting library)."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_Y = 560, 180, 56, 10, 18


def series_label(metric: dict[str, str]) -> str:
    name = metric.get("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{name}{{{labels}}}" if labels else (name or "value")


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def svg_chart(
    series: Sequence[dict[str, Any]],
    *,
    title: str,
    threshold: float | None = None,
    max_series: int = len(COLOURS),
) -> str:
    """``series``: ``[{"metric": labels, "values": [(unix time, value), ...]}]`` → an ``<svg>`` element.

    The y axis spans the data (and ``threshold``, drawn dashed); the x axis the time window.
    """
    shown = [s for s in series if s.get("values")][:max_series]
    points = [(t, v) for s in shown for t, v in s["values"] if v == v]  # drop NaN
    if not points:
        return f"<div><b>{html.escape(title)}</b>: no samples in the window</div>"
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    ys = [v for _, v in points] + ([threshold] if threshold is not None else [])
    lo, hi = min(ys), max(ys)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    span_t = (t1 - t0) or 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - 2 * PAD_Y

    def xy(t: float, v: float) -> str:
        x = PAD_LEFT + (t - t0) / span_t * plot_w
        y = PAD_Y + (hi - v) / (hi - lo) * plot_h
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 16 * len(shown)}" '
        'style="font-family:monospace;font-size:10px;background:#fff;border:1px solid #ccc">',
        f'<text x="{PAD_LEFT}" y="12" font-weight="bold">{html.escape(title[:90])}</text>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_Y}" x2="{PAD_LEFT}" y2="{HEIGHT - PAD_Y}" stroke="#999"/>',
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_Y}" x2="{WIDTH - PAD_RIGHT}" y2="{HEIGHT - PAD_Y}" stroke="#999"/>',
        f'<text x="2" y="{PAD_Y + 4}">{_fmt(hi)}</text>',
        f'<text x="2" y="{HEIGHT - PAD_Y}">{_fmt(lo)}</text>',
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}">{time.strftime("%H:%M:%S", time.gmtime(t0))}Z</text>',
        f'<text x="{WIDTH - PAD_RIGHT - 60}" y="{HEIGHT - 4}">{time.strftime("%H:%M:%S", time.gmtime(t1))}Z</text>',
    ]
    if threshold is not None:
        y = xy(t0, threshold).split(",")[1]
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{y}" x2="{WIDTH - PAD_RIGHT}" y2="{y}" stroke="#888" stroke-dasharray="4 3"/>'
        )
    for i, s in enumerate(shown):
        colour = COLOURS[i % len(COLOURS)]
        pts = " ".join(xy(t, v) for t, v in s["values"] if v == v)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>')
        last = s["values"][-1][1]
        label = html.escape(f"{series_label(s['metric'])} (last {_fmt(last)})"[:100])
        parts.append(f'<text x="{PAD_LEFT}" y="{HEIGHT + 12 + 16 * i}" fill="{colour}">{label}</text>')
    parts.append("</svg>")
    more = len([s for s in series if s.get("values")]) - len(shown)
    note = f"<div>({more} more series not drawn)</div>" if more > 0 else ""
    return "<div>" + "".join(parts) + note + "</div>"
