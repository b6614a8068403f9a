"""The replay report's per-area summary: sites and people by status, uncovered sectors, per
administrative area (adm1, then its adm2 areas), at each check time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from planner.report_shapes import AreaFigures, ReplayDoc
from projections.areas import area_views


def area_summary(camp_views: Iterable[Mapping[str, object]]) -> list[AreaFigures]:
    """One line of figures per area the camps carry (an empty list when none carries a code)."""
    return [
        {
            "level": view["level"],
            "area": view["area"],
            "sites": view["camps"],
            "people_by_status": view["people_by_status"],
            "population": view["population"],
            "uncovered": view["uncovered"],
        }
        for view in area_views(camp_views)
    ]


def area_section(data: ReplayDoc) -> list[str]:
    """The replay report's section (planner.report.SUMMARY_SECTIONS): the areas at each check
    time, when some camp carries an area code."""
    lines: list[str] = []
    for snapshot in data["readiness"]:
        if snapshot.get("areas"):
            lines.append(f"-- areas at {snapshot['at']}")
            lines.extend(format_area_summary(snapshot["areas"]))
    return lines


def format_area_summary(summary: Iterable[AreaFigures]) -> list[str]:
    """The summary as report lines, adm2 areas indented under their adm1."""
    lines = []
    for area in summary:
        indent = "   " if area["level"] == "adm1" else "     "
        sites = area["sites"]
        people = area["people_by_status"]
        uncovered = ", ".join(f"{s} {n}" for s, n in area["uncovered"].items()) or "none"
        lines.append(
            f"{indent}{area['level']} {area['area']}: sites ready {sites['ready']}, "
            f"at risk {sites['at_risk']}, not ready {sites['not_ready']}, "
            f"closed {sites['closed']}; people {area['population']:,} "
            f"(ready {people['ready']:,}, at risk {people['at_risk']:,}, "
            f"not ready {people['not_ready']:,}); uncovered: {uncovered}"
        )
    return lines
