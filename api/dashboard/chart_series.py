"""The dashboard's chart series: camps' readiness over time, the windows lining up one crisis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from api.dashboard.charts import Point, readiness_timeline
from api.ports import Planner
from domain.catalog import (
    CONSUMABLES,
)

if TYPE_CHECKING:
    from api.dashboard.pages import Nav


CHART_SAMPLES = 48  # evenly spaced views between a camp's first and last time, besides changes


def camp_points(planner: Planner, camp_id: str, as_of: datetime | None) -> list[Point]:
    """A camp's view at each status change and at evenly spaced times up to `as_of`, as chart
    points (each is an as-of view: a checkpoint and a bounded refold, never the whole log)."""
    changes = planner.queries.timeline(kind="camp", entity_id=camp_id, as_of=as_of)
    current = planner.queries.view("camp", camp_id, as_of=as_of)
    if not changes or current is None:
        return []
    first = datetime.fromisoformat(changes[0]["at"])
    last = as_of or datetime.fromisoformat(current["updated_at"])
    times = {datetime.fromisoformat(change["at"]) for change in changes}
    if last > first:
        step = (last - first) / CHART_SAMPLES
        times.update(first + step * i for i in range(1, CHART_SAMPLES + 1))
    ordered = sorted(times)
    docs = planner.queries.view_series("camp", camp_id, ordered)
    return [
        Point(at, doc["status"], doc["days_of_cover"])
        for at, doc in zip(ordered, docs, strict=True)
        if doc is not None
    ]


def _chart_window(nav: Nav, points: Sequence[Point]) -> tuple[datetime, datetime]:
    start = min(p.at for p in points)
    if nav.as_of is not None:
        end = nav.as_of
    else:  # a margin after the last change, so that the current status shows
        last = max(p.at for p in points)
        end = last + max(timedelta(days=1), (last - start) / 20)
    if end - start < timedelta(days=1):
        end = start + timedelta(days=1)
    return start, end


CRISIS_GAP = timedelta(days=90)  # camps whose histories lie further apart get their own axis


def shared_windows(
    nav: Nav, series: Mapping[str, Sequence[Point]]
) -> dict[str, tuple[datetime, datetime]]:
    """One time axis for the camps of one crisis: camps whose histories overlap (or lie less
    than CRISIS_GAP apart) share a window, so that their charts line up; a store holding
    crises years apart gets one axis per crisis instead of squeezing each into a sliver."""
    spans = sorted(
        (min(p.at for p in points), max(p.at for p in points), camp_id)
        for camp_id, points in series.items()
        if points
    )
    groups: list[list[str]] = []
    group_end: datetime | None = None
    for first, last, camp_id in spans:
        if group_end is None or first > group_end + CRISIS_GAP:
            groups.append([])
            group_end = last
        groups[-1].append(camp_id)
        group_end = max(group_end, last)
    windows: dict[str, tuple[datetime, datetime]] = {}
    for group in groups:
        window = _chart_window(nav, [p for camp_id in group for p in series[camp_id]])
        windows.update(dict.fromkeys(group, window))
    return windows


def camp_chart(
    planner: Planner,
    nav: Nav,
    camp: Mapping[str, Any],
    points: Sequence[Point] | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> str | None:
    """A camp's readiness over time (status band and days of cover), if it has a history; on
    its own time axis unless given a shared `window`."""
    if points is None:
        points = camp_points(planner, camp["id"], nav.as_of)
    if not points:
        return None
    start, end = window or _chart_window(nav, points)
    return readiness_timeline(camp["camp"], points, start, end, camp["ready_days"], CONSUMABLES)
