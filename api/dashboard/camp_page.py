"""The dashboard's camp page: its sectors, supplies, facilities and chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.dashboard.chart_series import camp_chart
from api.dashboard.charts import cover_bars
from api.dashboard.pages import FACILITY_LABELS, GROUP_LABELS, SWATCHES, Nav, Page
from api.ports import Planner
from domain.catalog import (
    DEFAULT_PROFILE,
    FACILITIES,
    MIN_SITE_AREA_PER_PERSON_M2,
    PER_PERSON_ITEMS,
    SECTORS,
    VULNERABLE_GROUPS,
)
from projections.rules import READY, Thresholds, cover_status, facility_verdict, thresholds_for


def _sector_cells(camp: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each required sector, then any other sector with a lead: covered or not, and by whom."""
    leads = camp.get("sector_leads", {})
    required = list(camp.get("required_sectors", []))
    uncovered = set(camp.get("uncovered_sectors", []))
    cells = []
    for sector in required + sorted(s for s in leads if s not in required):
        lead = leads.get(sector)
        if sector in uncovered:
            state = "uncovered"
            text = "uncovered" if lead is None else f"uncovered ({lead} withdrew)"
        else:
            state, text = "covered", f"lead: {lead}"
        cells.append(
            {
                "code": sector,
                "name": SECTORS.get(sector, ""),
                "state": state,
                "text": text,
                "required": sector in required,
            }
        )
    return cells


def _facility_rows(camp: Mapping[str, Any], thresholds: Thresholds) -> list[dict[str, Any]]:
    """Each facility: built, people per unit, the standard and the rules' verdict."""
    rows = []
    for facility in FACILITIES:
        limit = thresholds.standards[facility]
        count = camp["facilities"].get(facility, 0)
        status, verdict = facility_verdict(camp["population"], count, limit)
        rows.append(
            {
                "label": FACILITY_LABELS[facility],
                "count": count,
                "ratio": camp["people_per"].get(facility),
                "limit": float(limit),
                "status": status,
                "verdict": verdict,
            }
        )
    return rows


def _cover(
    camp: Mapping[str, Any], thresholds: Thresholds
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Each consumable's days of cover, unrounded (the view's 4 decimals would show 0.99996 days
    as 1), and its status by the rules on the exact stock."""
    pop = camp["population"]
    days: dict[str, float | None] = {}
    statuses: dict[str, str] = {}
    for item, num, den in thresholds.needs:
        if not pop:
            days[item] = None
            continue
        held, needed = camp["stock"].get(item, 0) * den, pop * num
        days[item] = held / needed
        status = cover_status(held, needed, thresholds.ready_num, thresholds.ready_den)
        statuses[item] = status or READY
    return days, statuses


def camp_page(planner: Planner, nav: Nav, camp_id: str) -> Page | None:
    """One camp: people, sector leads, days of cover, facilities, congestion, gaps in words."""
    camp = planner.queries.view("camp", camp_id, as_of=nav.as_of)
    if camp is None:
        return None
    plan = planner.queries.view("plan", camp["plan_id"], as_of=nav.as_of) or {}
    standards = plan.get("standards") or {}
    thresholds = thresholds_for(
        standards.get("profile", DEFAULT_PROFILE),
        standards.get("overrides") or {},
        camp["ready_days"],
    )
    days_of_cover, cover_statuses = _cover(camp, thresholds)
    cover = cover_bars(days_of_cover, camp["ready_days"], cover_statuses)
    context = {
        "camp": camp,
        "groups": [(GROUP_LABELS[g], camp[g]) for g in VULNERABLE_GROUPS],
        "sectors": _sector_cells(camp),
        "cover": cover,
        "facilities": _facility_rows(camp, thresholds),
        "per_person": [(item, camp["per_person"].get(item)) for item in PER_PERSON_ITEMS],
        "site_area_standard": MIN_SITE_AREA_PER_PERSON_M2,
        "swatches": SWATCHES,
        "chart": camp_chart(planner, nav, camp) or "",
    }
    return Page(nav, "camp.html", f"Camp {camp['camp']}", context)
