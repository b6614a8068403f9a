"""Area views: every camp carrying an administrative area code, rolled up (contract Part 2).

An area view is a sum of its camps' shares (`CampShare`: status, people, uncovered sectors and
needs, taken from the camp's readiness view). `AreaTotals` keeps that sum; the same class serves
the pure fold (`area_view`, `area_views`: time travel and scenario checks) and the roll-ups the
projector keeps up camp by camp (`projections.area_rollup`), which take a camp's old share out
and put its new one in. So an area always equals the sum of its camps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.catalog import SECTORS, VULNERABLE_GROUPS
from domain.site import AREA_LEVELS

CAMP_STATUSES = ("ready", "at_risk", "not_ready", "closed")
OPEN_STATUSES = ("ready", "at_risk", "not_ready")
NEED_PARTS = ("shortfall", "committed", "uncommitted")
PEOPLE_KEYS = ("population", *VULNERABLE_GROUPS)
_SECTOR_ORDER = {code: index for index, code in enumerate(SECTORS)}

AreaKey = tuple[str, str]  # (level, code)


@dataclass(frozen=True)
class CampShare:
    """What one camp adds to the views of the areas it carries."""

    camp_id: str
    slug: str
    plan: str
    adm1: str | None
    adm2: str | None
    status: str
    people: tuple[int, ...]  # PEOPLE_KEYS, in order
    uncovered: tuple[str, ...]
    needs: tuple[tuple[str, int, int, int], ...]  # (key, shortfall, committed, uncommitted)

    def areas(self) -> list[AreaKey]:
        """The areas this camp counts in."""
        return [
            (level, code)
            for level, code in (("adm1", self.adm1), ("adm2", self.adm2))
            if code is not None
        ]


def camp_share(doc: Mapping[str, Any]) -> CampShare:
    """A camp's share of its areas' views, from its readiness view."""
    needs = doc.get("needs") or {}
    return CampShare(
        camp_id=doc["id"],
        slug=doc["camp"],
        plan=doc["plan"],
        adm1=doc.get("adm1") or None,
        adm2=doc.get("adm2") or None,
        status=doc["status"],
        people=tuple(doc[key] for key in PEOPLE_KEYS),
        uncovered=tuple(doc["uncovered_sectors"]),
        needs=tuple(
            (key, *(parts.get(part, 0) for part in NEED_PARTS))
            for key, parts in sorted(needs.items())
        ),
    )


class AreaTotals:
    """The running sums of one area's view over the camps in it."""

    def __init__(self) -> None:
        self.members: dict[str, tuple[str, str | None]] = {}  # camp id → (slug, adm1)
        self.plans: dict[str, int] = {}  # plan slug → camps of it in the area
        self.camps = dict.fromkeys(CAMP_STATUSES, 0)
        self.people_by_status = dict.fromkeys(OPEN_STATUSES, 0)
        self.people = dict.fromkeys(PEOPLE_KEYS, 0)
        self.uncovered: dict[str, int] = {}
        self.needs: dict[str, list[int]] = {}

    def add(self, share: CampShare, sign: int = 1) -> None:
        """Count a camp in (sign 1) or take it out again (sign -1)."""
        if sign > 0:
            self.members[share.camp_id] = (share.slug, share.adm1)
        else:
            self.members.pop(share.camp_id, None)
        bump(self.plans, share.plan, sign)
        self.camps[share.status] += sign
        if share.status == "closed":
            return  # a closed camp's people are no longer there
        self.people_by_status[share.status] += sign * share.people[0]
        for key, value in zip(PEOPLE_KEYS, share.people, strict=True):
            self.people[key] += sign * value
        for sector in share.uncovered:
            bump(self.uncovered, sector, sign)
        for key, *parts in share.needs:
            sums = self.needs.setdefault(key, [0, 0, 0])
            for index, value in enumerate(parts):
                sums[index] += sign * value
            if not any(sums):
                del self.needs[key]

    def parent(self, level: str, code: str) -> str | None:
        """The adm1 code of the area: itself for an adm1 area; for an adm2 area, that of its
        first camp by slug."""
        if level == "adm1":
            return code
        if not self.members:
            return None
        first = min(self.members, key=lambda camp_id: (self.members[camp_id][0], camp_id))
        return self.members[first][1]

    def view(self, level: str, code: str) -> dict[str, Any]:
        """The area view (contract Part 2, "Area views")."""
        return {
            "area": code,
            "level": level,
            "adm1": self.parent(level, code),
            "camps": dict(self.camps),
            **self.people,
            "people_by_status": dict(self.people_by_status),
            "uncovered": {s: self.uncovered[s] for s in sorted(self.uncovered, key=_sector_order)},
            "needs": {
                key: dict(zip(NEED_PARTS, parts, strict=True))
                for key, parts in sorted(self.needs.items())
                if parts[0] > 0
            },
            "camp_list": sorted(slug for slug, _ in self.members.values()),
            "plans": sorted(self.plans),
        }


def bump(counts: dict[str, int], key: str, delta: int) -> None:
    """Change a count (or a total); a count of 0 leaves no entry."""
    value = counts.get(key, 0) + delta
    if value:
        counts[key] = value
    else:
        counts.pop(key, None)


def _sector_order(sector: str) -> tuple[int, str]:
    return (_SECTOR_ORDER.get(sector, len(_SECTOR_ORDER)), sector)


def in_area(doc: Mapping[str, Any], level: str, code: str) -> bool:
    """True if a camp view carries this code at this level (an adm2 matches on adm2 alone)."""
    return doc.get(level) == code


def area_view(level: str, code: str, camps: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """The area view of `code` at `level` (adm1 or adm2) from the views of its camps."""
    if level not in AREA_LEVELS:
        raise KeyError(f"unknown area level {level!r}; known: {', '.join(AREA_LEVELS)}")
    totals = AreaTotals()
    for doc in camps:
        if in_area(doc, level, code):
            totals.add(camp_share(doc))
    return totals.view(level, code)


def sum_areas(camps: Iterable[Mapping[str, object]]) -> dict[AreaKey, AreaTotals]:
    """The totals of every area the camps carry (each camp read once)."""
    totals: dict[AreaKey, AreaTotals] = {}
    for doc in camps:
        share = camp_share(doc)
        for key in share.areas():
            totals.setdefault(key, AreaTotals()).add(share)
    return totals


def area_views(camps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The view of every area the camps carry: adm1 areas, each followed by its adm2 areas."""
    totals = sum_areas(camps)
    return in_area_order([totals[key].view(*key) for key in totals])


def in_area_order(views: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """Area views in listing order: adm1 areas by code, each followed by its adm2 areas (also
    when the adm1 area itself is not among the views)."""
    groups: dict[str, tuple[list[dict[str, object]], list[dict[str, object]]]] = {}
    for view in views:
        adm1 = str(view["adm1"] or "")
        heads, members = groups.setdefault(adm1, ([], []))
        (heads if view["level"] == "adm1" else members).append(view)
    ordered: list[dict[str, object]] = []
    for adm1 in sorted(groups):
        heads, members = groups[adm1]
        ordered += heads
        ordered += sorted(members, key=lambda v: str(v["area"]))
    return ordered
