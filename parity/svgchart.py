"""A small hand-written SVG line chart (one polyline and one circle per value), with no dependency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["line_chart"]

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 40, 64
MAX_X_LABELS = 12
COLOURS = {
    "Implemented": "#2e7d32",
    "Partial": "#ef6c00",
    "Designed": "#1565c0",
    "Planned": "#757575",
    "Exception": "#6a1b9a",
}
FALLBACK = ("#00838f", "#c62828", "#4e342e", "#ad1457", "#558b2f")


def _nice_step(top: int) -> int:
    """A 1/2/5 x 10^n step giving at most five gridlines."""
    if top <= 5:
        return 1
    magnitude = int(10 ** math.floor(math.log10(top / 5)))
    return next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= 5)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    tooltips: Sequence[str] = (),
) -> str:
    """x: one slot per label; y: counts. A None value is a gap (no point, the line is broken)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for points in series.values() for v in points if v is not None]
    step = _nice_step(max(values, default=0))
    top = max(step, math.ceil(max(values, default=0) / step) * step)

    def x(index: int) -> float:
        return LEFT + (plot_w / 2 if len(labels) < 2 else index * plot_w / (len(labels) - 1))

    def y(value: int) -> float:
        return TOP + plot_h - value * plot_h / top

    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">'
        ),
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="{TOP - 16}" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, top + 1, step):
        out.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{LEFT + plot_w}" y2="{y(tick):.1f}" stroke="#e0e0e0"/>'
        )
        out.append(f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#424242"/>'
    )
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            lx, ly = x(index), TOP + plot_h + 14
            out.append(
                f'<text x="{lx:.1f}" y="{ly}" text-anchor="end" '
                f'transform="rotate(-35 {lx:.1f} {ly})">{escape(label)}</text>'
            )
    spare = iter(FALLBACK * (len(series) // len(FALLBACK) + 1))
    for number, (name, points) in enumerate(series.items()):
        colour = COLOURS.get(name) or next(spare)
        runs: list[list[str]] = [[]]
        for index, value in enumerate(points):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(index):.1f},{y(value):.1f}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
                )
        for index, value in enumerate(points):
            if value is None:
                continue
            tip = tooltips[index] if index < len(tooltips) else labels[index]
            out.append(
                f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(f'{tip}: {name} = {value}')}</title></circle>"
            )
        legend_y = TOP + 10 + number * 20
        out.append(
            f'<rect x="{WIDTH - RIGHT + 16}" y="{legend_y - 9}" width="12" height="12" fill="{colour}"/>'
        )
        out.append(f'<text x="{WIDTH - RIGHT + 34}" y="{legend_y + 1}">{escape(name or "(empty)")}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
