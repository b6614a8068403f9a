"""Typed shapes of a replay's report as JSON: `ReplayReport.as_dict()`, what `planner replay
--json` prints and `POST /scenarios/replay` answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, Required, TypedDict

from projections.shapes import Counts, Ratios


class Mismatch(TypedDict):
    """One field a check expected differently: the path, both values, whether it was missing."""

    field: str
    expected: object
    actual: object
    missing: NotRequired[bool]  # absent when the entity itself does not exist


class CheckDoc(TypedDict):
    """One check's result."""

    check: int
    line: int
    at: str
    entity: str
    slug: str
    result: str  # PASS or FAIL
    expected: Mapping[str, object]
    actual: dict[str, object]
    mismatches: list[Mismatch]


# One step applied ("with" is a keyword, hence the functional form).
TimelineEntry = TypedDict(
    "TimelineEntry",
    {"step": int, "line": int, "at": str, "do": str, "with": Mapping[str, object]},
)


class EntitySummary(TypedDict, total=False):
    """A camp's or a plan's readiness at a check time (camps and plans show different fields)."""

    status: Required[str]
    # camps
    population: int
    uncovered_sectors: list[str]
    days_of_cover: Ratios
    gaps: list[str]
    # plans
    tripartite: bool
    camps: Counts
    pool_balance: Counts


class AreaFigures(TypedDict):
    """One administrative area's figures at a check time."""

    level: str
    area: str
    sites: Counts
    people_by_status: Counts
    population: int
    uncovered: Counts


class Snapshot(TypedDict):
    """The readiness of every camp and plan (and area, when camps carry codes) at a time."""

    at: str
    entities: dict[str, EntitySummary]
    areas: NotRequired[list[AreaFigures]]


class ReplayDoc(TypedDict):
    """A replay's report."""

    scenario: str
    title: str
    file: str
    ok: bool
    until: str | None
    steps_total: int
    steps_applied: int
    events_stored: int
    timeline: list[TimelineEntry]
    readiness: list[Snapshot]
    checks: list[CheckDoc]
    passed: int
    failed: int
    error: str | None
