"""Offer withdrawals: up to `max_offers` donors withdraw their offers, each at a time of its own
(the remaining and every accepted, undelivered quantity are cancelled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from planner.simulation.kinds.partner_withdrawal import PartnerWithdrawalKind


@dataclass(frozen=True, order=True)
class OfferWithdrawal:
    """At `at`, `offer` is withdrawn."""

    at: datetime
    offer: str


class OfferWithdrawalKind(PartnerWithdrawalKind):
    """offer_withdrawal: up to `max_offers` withdraw_offer steps per run."""

    name = "offer_withdrawal"
    keys = ("max_offers", "resolution", "offers")
    field = "offer_withdrawals"
    empty_reason = "no offer to withdraw (of the offers named)"
    adds = ("withdraw_offer",)
    added_note = "shock: offer withdrawal"
    entity = "offer"
    creates = "offer_supplies"
    count_key = "max_offers"

    def part(self, at: datetime, slug: str) -> Any:
        """The withdrawal of offer `slug` at `at`."""
        return OfferWithdrawal(at, slug)

    def fine_label(self, slug: str) -> str:
        """The correlation label of one offer's withdrawal."""
        return f"withdrawal of offer {slug}"


KIND: Final = OfferWithdrawalKind()
