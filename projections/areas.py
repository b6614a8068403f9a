"""Area views: every camp carrying an administrative area code, rolled up (contract Part 2).

An area view is a pure sum of its camps' readiness views, so that the same function serves the
materialised views (now), time travel (as of any time) and scenario checks, and an area always
equals the sum of its camps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.catalog import SECTORS, VULNERABLE_GROUPS
from domain.site import AREA_LEVELS

CAMP_STATUSES = ("ready", "at_risk", "not_ready", "closed")
OPEN_STATUSES = ("ready", "at_risk", "not_ready")
NEED_PARTS = ("shortfall", "committed", "uncommitted")


def in_area(doc: Mapping[str, Any], level: str, code: str) -> bool:
    """True if a camp view carries this code at this level (an adm2 matches on adm2 alone)."""
    return doc.get(level) == code


def area_view(level: str, code: str, camps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The area view of `code` at `level` (adm1 or adm2) from the views of its camps."""
    if level not in AREA_LEVELS:
        raise KeyError(f"unknown area level {level!r}; known: {', '.join(AREA_LEVELS)}")
    members = [doc for doc in camps if in_area(doc, level, code)]
    by_status = dict.fromkeys(CAMP_STATUSES, 0)
    people_by_status = dict.fromkeys(OPEN_STATUSES, 0)
    population = dict.fromkeys(("population", *VULNERABLE_GROUPS), 0)
    uncovered: dict[str, int] = {}
    needs: dict[str, dict[str, int]] = {}
    for doc in members:
        status = doc["status"]
        by_status[status] += 1
        if status == "closed":
            continue  # a closed camp's people are no longer there
        people_by_status[status] += doc["population"]
        for key in population:
            population[key] += doc[key]
        for sector in doc["uncovered_sectors"]:
            uncovered[sector] = uncovered.get(sector, 0) + 1
        _add_needs(needs, doc.get("needs") or {})
    return {
        "area": code,
        "level": level,
        "adm1": _parent(level, code, members),
        "camps": by_status,
        **population,
        "people_by_status": people_by_status,
        "uncovered": {s: uncovered[s] for s in sorted(uncovered, key=_sector_order)},
        "needs": {
            key: dict(parts) for key, parts in sorted(needs.items()) if parts["shortfall"] > 0
        },
        "camp_list": sorted(doc["camp"] for doc in members),
        "plans": sorted({doc["plan"] for doc in members}),
    }


def _add_needs(totals: dict[str, dict[str, int]], needs: Mapping[str, Any]) -> None:
    """Add one camp's `needs` entries, each part summed separately (contract Part 2 readings)."""
    for key, parts in needs.items():
        sums = totals.setdefault(key, dict.fromkeys(NEED_PARTS, 0))
        for part in NEED_PARTS:
            sums[part] += parts.get(part, 0)


def _parent(level: str, code: str, members: list[Mapping[str, Any]]) -> str | None:
    """The adm1 code of an area (itself for an adm1 area; its camps' first for an adm2)."""
    if level == "adm1":
        return code
    return next((doc["adm1"] for doc in members if doc.get("adm1")), None)


def _sector_order(sector: str) -> tuple[int, str]:
    order = list(SECTORS)
    return (order.index(sector) if sector in SECTORS else len(order), sector)


def area_codes(camps: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str | None]]:
    """Every area code the camps carry, by level: adm1 code → None, adm2 code → its adm1."""
    codes: dict[str, dict[str, str | None]] = {level: {} for level in AREA_LEVELS}
    for doc in camps:
        if doc.get("adm1"):
            codes["adm1"].setdefault(doc["adm1"], None)
        if doc.get("adm2"):
            codes["adm2"].setdefault(doc["adm2"], doc.get("adm1"))
    return {level: dict(sorted(found.items())) for level, found in codes.items()}


def area_views(camps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The view of every area the camps carry: adm1 areas, each followed by its adm2 areas."""
    docs = list(camps)
    members: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for doc in docs:  # each camp once: O(camps), not O(areas × camps)
        for level in AREA_LEVELS:
            code = doc.get(level)
            if code:
                members.setdefault((level, code), []).append(doc)
    codes = area_codes(docs)
    views: list[dict[str, Any]] = []
    for adm1 in codes["adm1"]:
        views.append(area_view("adm1", adm1, members[("adm1", adm1)]))
        for adm2, parent in codes["adm2"].items():
            if parent == adm1:
                views.append(area_view("adm2", adm2, members[("adm2", adm2)]))
    return views
