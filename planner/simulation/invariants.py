"""The domain invariants a simulation run checks after every step, on the folded state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from projections.fold_state import CampState, PlanState, StockpileState
from projections.readiness import ReadinessFold

# The entity kind of each aggregate class, by the first part of an event's qualified name.
EVENT_KIND: Final = {
    "Partner": "partner",
    "ResponsePlan": "plan",
    "Stockpile": "stockpile",
    "Camp": "camp",
}

INVARIANTS: Final = (
    "domain invariants: no negative stock, pool never overdrawn, departures never exceed population"
)


def invariant_problems(fold: ReadinessFold, touched: set[tuple[str, str]]) -> Iterator[str]:
    """The domain invariants, checked on the folded state of the entities an event touched."""
    for kind, oid in sorted(touched):
        if kind == "stockpile" and oid in fold.stockpiles:
            yield from _stockpile_problems(fold.stockpiles[oid])
        elif kind == "camp" and oid in fold.camps:
            yield from _camp_problems(fold.camps[oid])
        elif kind == "plan" and oid in fold.plans:
            yield from _plan_problems(fold.plans[oid])


def _stockpile_problems(depot: StockpileState) -> Iterator[str]:
    for item, on_hand in depot["on_hand"].items():
        reserved = depot["reserved"].get(item, 0)
        if on_hand < 0 or reserved < 0:
            yield f"negative stock of {item} at stockpile {depot['slug']}"
        elif reserved > on_hand:
            yield f"more {item} reserved than on hand at stockpile {depot['slug']}"


def _camp_problems(camp: CampState) -> Iterator[str]:
    for item, quantity in camp["stock"].items():
        if quantity < 0:
            yield f"negative stock of {item} in camp {camp['slug']}"
    for group, count in camp["population"].items():
        if count < 0:
            yield f"departures exceed the population ({group}) of camp {camp['slug']}"


def _plan_problems(plan: PlanState) -> Iterator[str]:
    for currency, received in plan["received"].items():
        if received - plan["disbursed"].get(currency, 0) < 0:
            yield f"pool of plan {plan['slug']} overdrawn in {currency}"
        if received > plan["pledged"].get(currency, 0):
            yield f"plan {plan['slug']} received more {currency} than was pledged"
    for currency, disbursed in plan["disbursed"].items():
        if disbursed > 0 and currency not in plan["received"]:
            yield f"pool of plan {plan['slug']} overdrawn in {currency}"
