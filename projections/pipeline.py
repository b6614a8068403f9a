"""The supply pipeline of a plan or an area, per item: offered → committed → delivered →
distributed, next to the shortfall it is meant to close (issue 16, item 4).

A pure function of the camp, stockpile and offer views at one time, so that the same code
answers now and as of any time (the views it reads apply offer expiry as of that time):

- `offered`: the `remaining` of the open offers the scope's camps could take: an offer naming
  one of the scope's plans, or naming none. An offer naming no plan is open to every plan, so
  it counts in every plan's and area's pipeline: pipelines do not add up across scopes.
- `committed` = `reserved` (held for the scope's camps in any stockpile) + `accepted`
  (accepted from offers for them and not yet delivered, unless the offer was withdrawn) +
  `in_transit` (shipments on the road to them). These are the contract's `needs.committed`
  parts, over every item and every camp of the scope, closed camps included (what is on its
  way to a closed camp is still on the road).
- `delivered`: everything that reached the scope's camps (dispatches, shipments, offers).
- `distributed`: what the camps handed out to residents = delivered − camp stock (camp stock
  rises only with deliveries and falls only with distributions).
- `shortfall`, `uncommitted`: the open camps' `needs` of the item, summed.

`not_needed` lists the open offers the scope could take of which no open camp that could use
them (its plan's camps, or every camp for an offer naming no plan) has any shortfall: decline
them early.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, NamedTuple, Protocol, TypedDict, cast

from domain.catalog import ITEMS
from projections.areas import in_area
from projections.matching import not_needed
from projections.shapes import CampView, OfferView, PlanView, StockpileView, ViewDoc

Scope = Literal["plan", "adm1", "adm2"]
SCOPES: tuple[Scope, ...] = ("plan", "adm1", "adm2")
STAGES = ("offered", "committed", "delivered", "distributed")
COMMITTED_PARTS = ("reserved", "accepted", "in_transit")
FIGURES = (*STAGES, *COMMITTED_PARTS, "shortfall", "uncommitted")


class PipelineRow(TypedDict):
    """One item's figures in a pipeline (units of the item)."""

    item: str
    offered: int
    committed: int
    delivered: int
    distributed: int
    reserved: int
    accepted: int
    in_transit: int
    shortfall: int
    uncommitted: int


class Pipeline(TypedDict):
    """The pipeline of a plan or an area: its camps, one row per item, offers nobody needs."""

    scope: str
    code: str
    plans: list[str]
    camps: list[str]
    items: list[PipelineRow]
    not_needed: list[str]


class ViewSource(Protocol):
    """Where the views come from (`ReadinessQueries`): every view of a kind, now or as of."""

    def views(self, kind: str, *, as_of: datetime | None = None) -> list[ViewDoc]:
        """Every view of a kind."""
        ...


def in_scope(camp: Mapping[str, object], scope: str, code: str) -> bool:
    """True if a camp view belongs to this plan (by slug) or this adm1/adm2 area."""
    return camp["plan"] == code if scope == "plan" else in_area(camp, scope, code)


def takes_from(offer: OfferView, plans: Iterable[str]) -> bool:
    """True if camps of these plans may take from the offer (it names one of them, or none)."""
    return offer["plan"] is None or offer["plan"] in plans


def pipeline(
    scope: str,
    code: str,
    camps: Iterable[CampView],
    stockpiles: Iterable[StockpileView],
    offers: Iterable[OfferView],
) -> Pipeline:
    """The pipeline of `code` (a plan slug, or an adm1/adm2 code) from every view at one time."""
    if scope not in SCOPES:
        raise KeyError(f"unknown pipeline scope {scope!r}; known: {', '.join(SCOPES)}")
    all_camps = list(camps)
    members = [c for c in all_camps if in_scope(c, scope, code)]
    names = {c["camp"] for c in members}
    # A plan's own offers count in its pipeline before it has camps.
    plans = [code] if scope == "plan" else sorted({c["plan"] for c in members})
    offer_list = list(offers)
    usable = [o for o in offer_list if takes_from(o, plans)]
    totals: dict[str, dict[str, int]] = {}

    def add(item: str, figure: str, value: int) -> None:
        if value:
            row = totals.setdefault(item, dict.fromkeys(FIGURES, 0))
            row[figure] += value

    for offer in usable:
        if offer["status"] == "open":
            add(offer["item"], "offered", offer["remaining"])
    for offer in offer_list:
        if offer["withdrawn"]:  # its undelivered quantities were cancelled
            continue
        for camp, taken in offer["by_camp"].items():
            if camp in names:
                add(offer["item"], "accepted", taken["accepted"] - taken["delivered"])
    for depot in stockpiles:
        for camp, held in depot["reservations"].items():
            if camp in names:
                for item, quantity in held.items():
                    add(item, "reserved", quantity)
    for camp_doc in members:
        for item, quantity in (camp_doc.get("in_transit") or {}).items():
            add(item, "in_transit", quantity)
        for item, quantity in camp_doc["delivered"].items():
            add(item, "delivered", quantity)
            add(item, "distributed", quantity - camp_doc["stock"].get(item, 0))
        for key, need in (camp_doc.get("needs") or {}).items():
            if key in ITEMS:  # facilities are built, not shipped
                add(key, "shortfall", need["shortfall"])
                add(key, "uncommitted", need["uncommitted"])
    rows = [_row(item, totals[item]) for item in ITEMS if item in totals]
    return {
        "scope": scope,
        "code": code,
        "plans": plans,
        "camps": sorted(names),
        "items": rows,
        "not_needed": not_needed(all_camps, usable),
    }


def _row(item: str, figures: Mapping[str, int]) -> PipelineRow:
    committed = sum(figures[part] for part in COMMITTED_PARTS)
    return {
        "item": item,
        "offered": figures["offered"],
        "committed": committed,
        "delivered": figures["delivered"],
        "distributed": figures["distributed"],
        "reserved": figures["reserved"],
        "accepted": figures["accepted"],
        "in_transit": figures["in_transit"],
        "shortfall": figures["shortfall"],
        "uncommitted": figures["uncommitted"],
    }


class PipelineViews(NamedTuple):
    """The views a pipeline is made of, all at one time."""

    plans: list[PlanView]
    camps: list[CampView]
    stockpiles: list[StockpileView]
    offers: list[OfferView]


def read_views(source: ViewSource, as_of: datetime | None = None) -> PipelineViews:
    """Every plan, camp, stockpile and offer view, now or as of a time."""
    return PipelineViews(
        cast(list[PlanView], source.views("plan", as_of=as_of)),
        cast(list[CampView], source.views("camp", as_of=as_of)),
        cast(list[StockpileView], source.views("stockpile", as_of=as_of)),
        cast(list[OfferView], source.views("offer", as_of=as_of)),
    )


def scoped_pipeline(views: PipelineViews, scope: str, code: str) -> Pipeline | None:
    """The pipeline of a plan or an area from these views; None if there is no such plan, or
    no camp carries the area code."""
    if scope == "plan":
        if not any(p["plan"] == code for p in views.plans):
            return None
    elif not any(in_scope(c, scope, code) for c in views.camps):
        return None
    return pipeline(scope, code, views.camps, views.stockpiles, views.offers)


def read_pipeline(
    source: ViewSource, scope: str, code: str, as_of: datetime | None = None
) -> Pipeline | None:
    """The pipeline of a plan or an area now or as of a time (None: see `scoped_pipeline`)."""
    return scoped_pipeline(read_views(source, as_of), scope, code)
