"""Matching open donor offers to camps' uncommitted needs: which camp should get how much.

Deterministic, per item, from the camp and offer views at one time:

1. Needs are the open camps' `needs[item].uncommitted` above 0, served in this order: camps
   `not_ready` before `at_risk` before `ready`; then lower coverage (days of cover for a
   consumable, items per person for a per-person item); then more vulnerable people; then slug.
2. Offers are the open ones (`remaining` above 0) of that item. A camp can take from an offer
   naming its plan or naming none. Among the offers a camp can take from: first those naming a
   plan (nobody else can use them), then those expiring sooner (never-expiring last), then slug.
3. Each need in turn takes what it can from its offers in that order, never more than an offer's
   `remaining` nor the need's `uncommitted`.

Taking plan-bound offers before open ones makes the total suggested the maximum any assignment
can reach (the max-flow bound): a plan's camps use up their own plan's offers before offers
other plans' camps could also use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict, cast

from domain.catalog import CONSUMABLES, VULNERABLE_GROUPS
from projections.shapes import CampView, OfferView

STATUS_ORDER = {"not_ready": 0, "at_risk": 1, "ready": 2}
_NEVER = "~"  # sorts after every ISO time


class Suggestion(TypedDict):
    """A suggested acceptance: this much of an offer for this camp."""

    offer: str
    camp: str
    item: str
    quantity: int
    plan: str
    camp_status: str
    expires: str | None


def need_order(camp: CampView, item: str) -> tuple[int, float, int, str]:
    """The order in which camps' needs for an item are served (smaller first)."""
    cover = camp["days_of_cover"] if item in CONSUMABLES else camp["per_person"]
    coverage = cover.get(item)
    vulnerable = sum(cast(int, camp.get(group, 0)) for group in VULNERABLE_GROUPS)
    return (
        STATUS_ORDER.get(camp["status"], 3),
        0.0 if coverage is None else coverage,
        -vulnerable,
        camp["camp"],
    )


def offer_order(offer: OfferView) -> tuple[bool, str, str]:
    """The order in which a camp takes from the offers it may take from (smaller first)."""
    return (offer["plan"] is None, offer["expires"] or _NEVER, offer["offer"])


def match(camps: Iterable[CampView], offers: Iterable[OfferView]) -> list[Suggestion]:
    """Suggestions `{offer, camp, item, quantity, plan}`, in the order they were made."""
    open_offers = sorted(
        (o for o in offers if o["status"] == "open" and o["remaining"] > 0), key=offer_order
    )
    left = {o["offer"]: int(o["remaining"]) for o in open_offers}
    items = sorted({o["item"] for o in open_offers})
    suggestions: list[Suggestion] = []
    camp_list = [c for c in camps if c["status"] != "closed"]
    for item in items:
        wanting = [c for c in camp_list if _uncommitted(c, item) > 0]
        for camp in sorted(wanting, key=lambda c: need_order(c, item)):
            wanted = int(camp["needs"][item]["uncommitted"])
            for offer in open_offers:
                if wanted == 0:
                    break
                if offer["item"] != item or offer["plan"] not in (None, camp["plan"]):
                    continue
                quantity = min(wanted, left[offer["offer"]])
                if quantity <= 0:
                    continue
                left[offer["offer"]] -= quantity
                wanted -= quantity
                suggestions.append(
                    {
                        "offer": offer["offer"],
                        "camp": camp["camp"],
                        "item": item,
                        "quantity": quantity,
                        "plan": camp["plan"],
                        "camp_status": camp["status"],
                        "expires": offer["expires"],
                    }
                )
    return suggestions


def _uncommitted(camp: CampView, item: str) -> int:
    need = camp["needs"].get(item)
    return 0 if need is None else need["uncommitted"]


def not_needed(camps: Iterable[CampView], offers: Iterable[OfferView]) -> list[str]:
    """Open offers no open camp that may take from them has a shortfall of: decline them early.

    An offer naming a plan serves that plan's camps only; one naming none serves every camp."""
    short: dict[str, set[str]] = {}  # item -> the plans of the open camps short of it
    for camp in camps:
        if camp["status"] != "closed":
            for key in camp["needs"]:
                short.setdefault(key, set()).add(camp["plan"])
    return sorted(
        o["offer"]
        for o in offers
        if o["status"] == "open"
        and o["remaining"] > 0
        and not (short.get(o["item"]) and (o["plan"] is None or o["plan"] in short[o["item"]]))
    )
