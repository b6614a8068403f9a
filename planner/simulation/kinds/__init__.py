"""The registry of shock kinds: one module per kind, one line here per kind.

The order is the order of the `simulate.shocks` keys in reports, of the random draws of a
sampled run and of hypothesis's search (changing it changes which shocks a seed finds).
"""

from __future__ import annotations

from typing import Final

from planner.simulation.kind import ShockKind
from planner.simulation.kinds import (
    arrival_surge,
    delivery_delay,
    funding_shortfall,
    offer_lapse,
    offer_withdrawal,
    partner_withdrawal,
    shipment_delay,
    shipment_loss,
    supply_loss,
)

KINDS: tuple[ShockKind, ...] = (
    arrival_surge.KIND,
    delivery_delay.KIND,
    supply_loss.KIND,
    partner_withdrawal.KIND,
    funding_shortfall.KIND,
    shipment_delay.KIND,
    shipment_loss.KIND,
    offer_withdrawal.KIND,
    offer_lapse.KIND,
)


def registered() -> tuple[ShockKind, ...]:
    """The shock kinds, in registry order (read at call time: tests may add one)."""
    return KINDS


def kind_named(name: str) -> ShockKind:
    """The registered kind of this `simulate.shocks` key (KeyError if none)."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(name)


__all__: Final = ["KINDS", "kind_named", "registered"]
