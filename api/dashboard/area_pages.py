"""The dashboard's site pages at scale: sites grouped by administrative area, filters that work
without JavaScript (a GET form), a sector-coverage matrix, and an offline SVG map.

`/dashboard/areas` shows every area (adm1, then its adm2 areas) with sites and people by
status, and the sites the filters keep; `/dashboard/areas/{level}/{code}` the same for one area,
with its area view. The filters are query parameters: `area` (`adm1:CODE` or `adm2:CODE`),
`status`, `plan`, `kind`, and `page` for the site list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from api.dashboard.pages import Nav, Page, area_groups
from api.dashboard.site_map import site_map
from api.dashboard.templating import PREFIX
from api.ports import Planner
from domain.catalog import SECTORS
from domain.site import AREA_LEVELS, SITE_KINDS
from projections.areas import CAMP_STATUSES, area_views

PAGE_SIZE = 50
NO_AREA = "—"


@dataclass(frozen=True)
class SiteFilters:
    """What the site list keeps: an area, a status, a plan, a site kind; and which page."""

    area: str = ""  # "adm1:CODE" or "adm2:CODE"
    status: str = ""
    plan: str = ""
    kind: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> SiteFilters:
        """Filters from a query string; values that cannot be right are dropped."""
        area = query.get("area", "")[:120]
        level, _, code = area.partition(":")
        status = query.get("status", "")
        kind = query.get("kind", "")
        page = query.get("page", "1")
        return cls(
            area=area if level in AREA_LEVELS and code else "",
            status=status if status in CAMP_STATUSES else "",
            plan=query.get("plan", "")[:120],
            kind=kind if kind in SITE_KINDS else "",
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    def keeps(self, site: Mapping[str, object]) -> bool:
        """True if the site passes every filter."""
        level, _, code = self.area.partition(":")
        return (
            (not self.area or site.get(level) == code)
            and (not self.status or site["status"] == self.status)
            and (not self.plan or site["plan"] == self.plan)
            and (not self.kind or site.get("kind") == self.kind)
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (a new page number, or other changes)."""
        values = replace(self, **changes)
        params = {
            "area": values.area,
            "status": values.status,
            "plan": values.plan,
            "kind": values.kind,
        }
        if values.page > 1:
            params["page"] = str(values.page)
        return params


def areas_page(
    planner: Planner, nav: Nav, filters: SiteFilters, area: tuple[str, str] | None = None
) -> Page | None:
    """Every area's sites and people by status, and the filtered sites (map, coverage matrix,
    list); for one area (level, code) with its area view. None if no site carries that area."""
    if area is not None:
        filters = replace(filters, area=f"{area[0]}:{area[1]}")
    queries = planner.queries
    if nav.as_of is None:  # the areas' roll-ups, and the camps of the filtered area only
        views = queries.areas()
        level, _, code = filters.area.partition(":")
        camps = queries.views(
            "camp", adm1=code if level == "adm1" else None, adm2=code if level == "adm2" else None
        )
    else:
        camps = queries.views("camp", as_of=nav.as_of)
        views = area_views(camps)
    summary = None
    if area is not None:
        summary = next((v for v in views if (v["level"], v["area"]) == area), None)
        if summary is None:
            return None
    groups = area_groups(views, nav)
    kept = sorted((c for c in camps if filters.keeps(c)), key=_site_order)
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(filters.page, pages)
    shown = kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    sectors = _sectors(shown)
    path = nav.path
    context = {
        "summary": summary,
        "groups": groups,
        "filters": filters,
        "options": _options(camps, groups),
        "kept": len(kept),
        "unplaced": sum(1 for c in kept if c.get("lat") is None),
        "map": site_map(kept, lambda c: nav.link(f"{PREFIX}/camps/{c['id']}")),
        "sectors": sectors,
        "rows": [_row(site, sectors, nav) for site in shown],
        "page": page,
        "pages": pages,
        "previous": nav.link(path, **filters.query(page=page - 1)) if page > 1 else None,
        "next": nav.link(path, **filters.query(page=page + 1)) if page < pages else None,
        "statuses": CAMP_STATUSES,
        "kinds": SITE_KINDS,
    }
    title = "Sites by area" if area is None else f"Area {area[0]} {area[1]}"
    return Page(nav, "areas.html", title, context)


def _site_order(site: Mapping[str, Any]) -> tuple[str, str, str]:
    return (site.get("adm1") or "~", site.get("adm2") or "~", site["camp"])


def _options(
    camps: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, Any]]
) -> dict[str, list[tuple[str, str]]]:
    """The choices of the filter form."""
    areas = [
        (
            f"{g['view']['level']}:{g['view']['area']}",
            ("" if g["view"]["level"] == "adm1" else "— ") + g["view"]["area"],
        )
        for g in groups
    ]
    plans = sorted({c["plan"] for c in camps} | {p for g in groups for p in g["view"]["plans"]})
    return {"areas": areas, "plans": [(p, p) for p in plans]}


def _sectors(sites: Sequence[Mapping[str, Any]]) -> list[str]:
    """The required sectors of the sites shown, in the sector table's order."""
    required = {s for site in sites for s in site.get("required_sectors", [])}
    return [code for code in SECTORS if code in required]


def _row(site: Mapping[str, Any], sectors: Sequence[str], nav: Nav) -> dict[str, Any]:
    """One site of the list, with its cell of the coverage matrix for each sector."""
    uncovered = set(site.get("uncovered_sectors", []))
    required = set(site.get("required_sectors", []))
    leads = site.get("sector_leads", {})
    cells = []
    for sector in sectors:
        if sector not in required:
            cells.append(("not-required", "·", f"{sector} not required"))
        elif sector in uncovered:
            cells.append(("uncovered", "✗", f"{sector}: no lead that counts"))
        else:
            cells.append(
                ("covered", leads.get(sector, "✓"), f"{sector} led by {leads.get(sector)}")
            )
    return {
        "site": site,
        "link": nav.link(f"{PREFIX}/camps/{site['id']}"),
        "area": " / ".join(x for x in (site.get("adm1"), site.get("adm2")) if x) or NO_AREA,
        "cells": cells,
    }
