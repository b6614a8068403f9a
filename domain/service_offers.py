"""The service's commands on donor offers: made, accepted, declined, delivered, withdrawn."""

from __future__ import annotations

from domain import clock
from domain.camp import Camp
from domain.errors import (
    MembershipError,
)
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service_core import CommandResult, ServiceCore, command


class OfferCommands(ServiceCore):
    """Donors' offers of goods and what the planner does with them."""

    @command
    def offer_supplies(
        self,
        *,
        offer: str,
        partner: str,
        item: str,
        quantity: int,
        plan: str | None = None,
        expires: str | None = None,
    ) -> CommandResult:
        """Record a registered, active partner's offer of goods (for one plan's camps, if named)."""
        offer_id = self._require_new("offer", offer)
        donor = self.load("partner", partner, Partner)
        donor.require_active("make offers")
        plan_id = None
        if plan is not None:
            the_plan = self.load("plan", plan, ResponsePlan)
            the_plan.require_open("receive an offer")
            plan_id = the_plan.id
        new = Offer.make(
            id=offer_id,
            slug=offer,
            partner_id=donor.id,
            item=item,
            quantity=quantity,
            plan_id=plan_id,
            expires=expires,
            now=clock.now(),
        )
        return self._commit("offer", new)

    @command
    def accept_offer(self, *, offer: str, camp: str, quantity: int) -> CommandResult:
        """Accept part of an open offer for an open camp (of the offer's plan, if it names one)."""
        gift = self.load("offer", offer, Offer)
        site = self.load("camp", camp, Camp)
        site.require_open("accept an offer for it")
        if gift.plan_id is not None and gift.plan_id != site.plan_id:
            the_plan: ResponsePlan = self.by_id(gift.plan_id)
            raise MembershipError(
                f"offer '{gift.slug}' is for plan '{the_plan.slug}'; camp '{site.slug}' "
                "belongs to another plan",
                rule="an offer for a plan goes to that plan's camps",
                field="camp",
            )
        gift.accept(camp_id=site.id, camp_slug=site.slug, quantity=quantity, now=clock.now())
        return self._commit("offer", gift)

    @command
    def decline_offer(self, *, offer: str, reason: str) -> CommandResult:
        """Decline all that remains of an offer."""
        gift = self.load("offer", offer, Offer)
        gift.decline(reason=reason, now=clock.now())
        return self._commit("offer", gift)

    @command
    def deliver_offer(self, *, offer: str, camp: str, quantity: int) -> CommandResult:
        """The donor delivers accepted goods into an open camp's stock."""
        gift = self.load("offer", offer, Offer)
        site = self.load("camp", camp, Camp)
        site.require_open("receive a donor's delivery")
        gift.deliver(camp_id=site.id, camp_slug=site.slug, quantity=quantity)
        site.receive_offer(
            offer_id=gift.id, partner_id=gift.partner_id, item=gift.item, quantity=quantity
        )
        return self._commit("offer", gift, site)

    @command
    def withdraw_offer(self, *, offer: str, reason: str = "") -> CommandResult:
        """The donor withdraws an offer: what remains and what is undelivered are cancelled."""
        gift = self.load("offer", offer, Offer)
        gift.withdraw(reason=reason, now=clock.now())
        return self._commit("offer", gift)
