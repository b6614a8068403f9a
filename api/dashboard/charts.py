"""Inline SVG charts made on the server: days-of-cover bars, stock bars, readiness timelines.

Shapes carry CSS classes (`st-<status>`, `series-<item>`, …) and never colours, so the palette
lives in one place (static/dashboard.css) and is checked for contrast there. Every chart has a
`<title>` and an `aria-label`, and the numbers it shows are also written as text next to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.dashboard.markup import Html, h, join
from projections.rules import days_cover_status, shown_apart

STATUS_LABELS = {
    "ready": "ready",
    "at_risk": "at risk",
    "not_ready": "not ready",
    "closed": "closed",
}


def status_label(status: str) -> str:
    """A status in words ("at_risk" -> "at risk")."""
    return STATUS_LABELS.get(status, status.replace("_", " "))


def _n(value: float) -> str:
    """A coordinate, compactly."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _days(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _cover_days(days: float, status: str, ready_days: float) -> str:
    """Days of cover in words, on the side of 1 day or the ready days its status says."""
    if status == "ready":
        return _days(days)
    limit = 1 if status == "not_ready" else ready_days
    return shown_apart(days, limit).rstrip("0").rstrip(".")


def cover_class(days: float, ready_days: float) -> str:
    """The status a number of days of cover stands for (the readiness rules' verdict)."""
    return days_cover_status(days, ready_days)


def cover_bars(
    days_of_cover: Mapping[str, float | None],
    ready_days: float,
    statuses: Mapping[str, str] | None = None,
) -> Html:
    """A table: per consumable, its days of cover as a bar against 1 day and ready_days.

    The numbers are table text (full size on any screen); each bar is a small inline SVG
    with a thin mark at 1 day and a thick dashed mark at the plan's ready days. `statuses`
    (item -> the rules' verdict on the exact figures) colours the bars; without it, the
    verdict on the rounded days shown.
    """
    bar_w, height = 360.0, 34.0
    finite = [v for v in days_of_cover.values() if v is not None]
    scale = max(2.0 * ready_days, min(max(finite, default=0.0), 4.0 * ready_days), 2.0)

    def x(days: float) -> float:
        return 1.0 + bar_w * min(max(days, 0.0), scale) / scale

    rows: list[Html] = []
    for item, days in days_of_cover.items():
        marks = h(
            '<line class="grid" x1="{}" y1="0" x2="{}" y2="{}"/>'
            '<line class="target" x1="{}" y1="0" x2="{}" y2="{}"/>',
            _n(x(1.0)),
            _n(x(1.0)),
            _n(height),
            _n(x(ready_days)),
            _n(x(ready_days)),
            _n(height),
        )
        if days is None:
            bar, text, note, css = Html(""), "no residents", "", "closed"
        else:
            css = statuses[item] if statuses else cover_class(days, ready_days)
            bar = h(
                '<rect class="bar st-{}" x="1" y="6" width="{}" height="{}"></rect>',
                css,
                _n(max(x(days) - 1.0, 2.0)),
                _n(height - 12),
            )
            note = {"not_ready": "under 1 day", "at_risk": "under ready days"}.get(css, "")
            text = f"{'▸ ' if days > scale else ''}{_cover_days(days, css, ready_days)} days"
        label = f"{item}: {text}{' ' + note if note else ''} (ready: {_days(ready_days)} days)"
        rows.append(
            h(
                '<tr data-item="{}" data-cover="{}"><th>{}</th><td>'
                '<svg class="chart cover" role="img" aria-label="{}" viewBox="0 0 {} {}" '
                'width="{}" height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
                "{}{}</svg></td><td><strong>{}</strong>{}</td></tr>",
                item,
                css,
                item.replace("_", " "),
                label,
                _n(bar_w + 2),
                _n(height),
                _n(bar_w + 2),
                _n(height),
                label,
                bar,
                marks,
                text,
                h("<br>{}", note) if note else Html(""),
            )
        )
    return h(
        '<table class="cover"><thead><tr><th>Item</th><th>Days of cover <span class="muted">'
        "(thin line: 1 day; dashed: ready, {} days)</span></th><th>Days</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        _days(ready_days),
        join(rows),
    )


def stock_bar(item: str, levels: Mapping[str, int]) -> Html:
    """A bar as long as what is on hand, split into reserved (grey) and available (blue)."""
    bar_w, height = 300.0, 30.0
    on_hand = max(levels.get("on_hand", 0), 0)
    reserved = min(max(levels.get("reserved", 0), 0), on_hand)
    tip = f"{item}: {on_hand:,} on hand, {reserved:,} reserved, {on_hand - reserved:,} available"
    parts: list[Html] = []
    if on_hand == 0:
        parts.append(h('<text x="0" y="{}">none on hand</text>', _n(height / 2 + 6)))
    else:
        reserved_w = bar_w * reserved / on_hand
        for css, x0, w in (
            ("reserved", 1.0, reserved_w),
            ("available", 1.0 + reserved_w, bar_w - reserved_w),
        ):
            if w > 0:
                parts.append(
                    h(
                        '<rect class="bar {}" x="{}" y="4" width="{}" height="{}"></rect>',
                        css,
                        _n(x0),
                        _n(w),
                        _n(height - 8),
                    )
                )
    return h(
        '<svg class="chart stock" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        tip,
        _n(bar_w + 2),
        _n(height),
        _n(bar_w + 2),
        _n(height),
        tip,
        join(parts),
    )


@dataclass(frozen=True)
class Point:
    """One version of a camp's view: from `at` on, this status and these days of cover."""

    at: datetime
    status: str
    days_of_cover: Mapping[str, float | None]


def _ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    span = end - start
    return [start + span * i / (count - 1) for i in range(count)]


LABEL_GAP = 22.0  # px between two labels' baselines (chart text is 18px, about 21px high)


def nice_step(top: float, count: int = 5) -> float:
    """A round step (1, 2 or 5 × 10^k) that divides 0..top into about `count` parts."""
    rough = max(top, 1e-9) / count
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def fitted_top(values: Sequence[float], ready_days: float) -> float:
    """The top of a days-of-cover axis: the largest value or the ready days with some room,
    rounded up to a step; never a fixed cap, so every value shows where it is."""
    top = max([*values, float(ready_days) * 1.25, 2.0])
    step = nice_step(top)
    return math.ceil(top / step) * step


def round_marks(top: float) -> list[float]:
    """1, 2, 5, 10, 20, 50, … below `top`: grid lines of a square-root days axis."""
    marks: list[float] = []
    power = 1.0
    while power < top:
        marks.extend(m * power for m in (1, 2, 5) if m * power < top)
        power *= 10
    return marks


def spread(wanted: Sequence[float], low: float, high: float, gap: float = LABEL_GAP) -> list[float]:
    """Positions as near `wanted` (sorted ascending) as can be, each `gap` from the next,
    all within low..high (as far as they fit): labels that never overlap."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, placed[-1] + gap) if placed else max(y, low))
    overflow = (placed[-1] - high) if placed else 0.0
    if overflow > 0:  # push the stack up from the bottom, no higher than `low`
        placed = [max(y - overflow, low + i * gap) for i, y in enumerate(placed)]
    return placed


def _non_overlapping(
    labels: Sequence[tuple[float, str, str]], gap: float = LABEL_GAP
) -> list[tuple[float, str, str]]:
    """Keep labels in the order given (most important first), dropping any too near a kept one."""
    kept: list[tuple[float, str, str]] = []
    for label in labels:
        if all(abs(label[0] - other[0]) >= gap for other in kept):
            kept.append(label)
    return kept


def readiness_timeline(
    name: str,
    points: Sequence[Point],
    start: datetime,
    end: datetime,
    ready_days: float,
    items: Sequence[str],
) -> Html:
    """A camp's status band over time, and below it its days of cover per consumable (steps).

    The time axis runs from `start` to `end` (the timeline page gives every camp of a crisis
    the same, so that they line up); the days axis fits the largest value shown.
    """
    left, right, band_y, band_h = 90.0, 190.0, 8.0, 34.0
    plot_w, plot_top, plot_h = 880.0, 64.0, 200.0
    width, height = left + plot_w + right, plot_top + plot_h + 40
    if end <= start:
        end = start + timedelta(days=1)
    span = (end - start).total_seconds()
    visible = [p for p in points if p.at <= end]
    shown_values = [
        v for p in visible for item in items if (v := p.days_of_cover.get(item)) is not None
    ]
    ymax = fitted_top(shown_values, ready_days)

    def x(moment: datetime) -> float:
        offset = min(max((moment - start).total_seconds(), 0.0), span)
        return left + plot_w * offset / span

    def y(days: float) -> float:
        # square-root scale: weeks of medical kits and the few days of water around the
        # ready line both stay readable on one axis
        share = math.sqrt(min(max(days, 0.0), ymax) / ymax)
        return plot_top + plot_h * (1 - share)

    parts: list[Html] = [
        h('<text class="axis" x="0" y="{}">status</text>', _n(band_y + band_h / 2 + 6)),
        h(
            '<text class="axis" x="{}" y="{}">days of cover (square-root scale)</text>',
            _n(left + 6),
            _n(plot_top - 6),
        ),
    ]
    lines = [  # most important label first: a label too near one before it is left out
        (float(ready_days), "target", f"{_days(ready_days)} ready"),
        (0.0, "axis-line", "0"),
        (1.0, "grid", "1"),
        (ymax, "grid", _days(ymax)),
        *((mark, "grid", _days(mark)) for mark in round_marks(ymax)),
    ]
    lines = [
        line for i, line in enumerate(lines) if all(abs(line[0] - o[0]) > 1e-9 for o in lines[:i])
    ]
    labels = _non_overlapping([(y(mark), css, text) for mark, css, text in lines])
    for mark, css, _ in lines:
        parts.append(
            h(
                '<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>',
                css,
                _n(left),
                _n(y(mark)),
                _n(left + plot_w),
                _n(y(mark)),
            )
        )
    for label_y, _, text in labels:
        parts.append(
            h(
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                _n(left - 6),
                _n(label_y + 5),
                text,
            )
        )
    long_span = span >= 2 * 86400
    ticks = _ticks(start, end)
    for index, tick in enumerate(ticks):
        label = tick.strftime("%Y-%m-%d" if long_span else "%m-%d %H:%M")
        # the first and last labels stay inside the plot, clear of the labels beside it
        anchor = "start" if index == 0 else "end" if index == len(ticks) - 1 else "middle"
        parts.append(
            h(
                '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>',
                _n(x(tick)),
                _n(plot_top),
                _n(x(tick)),
                _n(plot_top + plot_h),
                _n(x(tick)),
                _n(plot_top + plot_h + 24),
                anchor,
                label,
            )
        )

    segments: list[tuple[datetime, datetime, str]] = []
    for index, point in enumerate(visible):
        until = visible[index + 1].at if index + 1 < len(visible) else end
        if segments and segments[-1][2] == point.status:
            segments[-1] = (segments[-1][0], until, point.status)
        else:
            segments.append((point.at, until, point.status))
    for begin, until, status in segments:
        parts.append(
            h(
                '<rect class="band st-{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{} from {} to {}</title></rect>",
                status,
                _n(x(begin)),
                _n(band_y),
                _n(max(x(until) - x(begin), 1.5)),
                _n(band_h),
                status_label(status),
                begin.strftime("%Y-%m-%d %H:%M"),
                until.strftime("%Y-%m-%d %H:%M"),
            )
        )

    last_values: list[tuple[float, str, float]] = []
    for item in items:
        path: list[str] = []
        pen_down = False
        for index, point in enumerate(visible):
            value = point.days_of_cover.get(item)
            if value is None:
                pen_down = False
                continue
            until = visible[index + 1].at if index + 1 < len(visible) else end
            if pen_down:
                path.append(f"V{_n(y(value))}")
            else:
                path.append(f"M{_n(x(point.at))} {_n(y(value))}")
                pen_down = True
            path.append(f"H{_n(x(until))}")
        if path:
            parts.append(
                h(
                    '<path class="series series-{}" d="{}"><title>{}</title></path>',
                    item,
                    " ".join(path),
                    f"{item}: days of cover",
                )
            )
        final = visible[-1].days_of_cover.get(item) if visible else None
        if final is not None:
            last_values.append((y(final), item, final))
    last_values.sort()
    label_ys = spread([target + 5 for target, _, _ in last_values], 12.0, plot_top + plot_h + 5)
    for label_y, (_, item, final) in zip(label_ys, last_values, strict=True):
        parts.append(
            h(
                '<text class="label-{}" x="{}" y="{}">{} {} d</text>',
                item,
                _n(left + plot_w + 8),
                _n(label_y),
                item.replace("_", " "),
                _days(final),
            )
        )
    return h(
        '<svg class="chart timeline" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" '
        'height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        f"Readiness of {name} over time",
        _n(width),
        _n(height),
        _n(width),
        _n(height),
        f"{name}: status (band) and days of cover per consumable (lines) over time",
        join(parts),
    )
