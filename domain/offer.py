"""Offer: a donor's goods, accepted for camps in parts, delivered by the donor, or not."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.catalog import OFFER_DECLINE_REASONS
from domain.clock import parse_iso_utc
from domain.errors import DomainRefusal, StatusError
from domain.shipment import require_later
from domain.stockpile import require_catalog_item, require_positive_quantity


class OfferError(DomainRefusal):
    """An offer is accepted, declined or delivered beyond what it holds."""

    rule = "offered quantities are conserved"


class Offer(PlannerAggregate):
    """Goods a partner offers; what is not accepted lapses at `expires`, if given."""

    class Made(PlannerAggregate.Created):
        """A partner offered a quantity of an item (for one plan's camps, if `plan_id`)."""

        slug: str
        partner_id: UUID
        item: str
        quantity: int
        plan_id: UUID | None
        expires: str | None

    # Acceptances, deliveries and withdrawals repeat the item (and a withdrawal what it cancels
    # per camp), so that a fold can apply them to camps without the offer's own state.

    class Accepted(PlannerAggregate.Event):
        """A coordinator accepted part of the offer for a camp."""

        camp_id: UUID
        item: str
        quantity: int

    class Declined(PlannerAggregate.Event):
        """A coordinator declined all that remained of the offer."""

        quantity: int
        reason: str

    class Delivered(PlannerAggregate.Event):
        """The donor delivered accepted goods to a camp."""

        camp_id: UUID
        item: str
        quantity: int

    class Withdrawn(PlannerAggregate.Event):
        """The donor withdrew: `remaining` and the accepted `undelivered` are cancelled
        (`undelivered_at[i]` of it at camp `camp_ids[i]`)."""

        reason: str
        item: str
        remaining: int
        undelivered: int
        camp_ids: list[UUID]
        undelivered_at: list[int]

    @classmethod
    def make(
        cls,
        *,
        id: UUID,
        slug: str,
        partner_id: UUID,
        item: str,
        quantity: int,
        plan_id: UUID | None,
        expires: str | None,
        now: datetime,
    ) -> Offer:
        """Record an offer after checking its item, quantity and expiry."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        require_later(expires, now, "expires", "the offer's expiry")
        return cls._create(
            cls.Made,
            id=id,
            slug=slug,
            partner_id=partner_id,
            item=item,
            quantity=quantity,
            plan_id=plan_id,
            expires=expires,
        )

    @event(Made)
    def __init__(
        self,
        *,
        slug: str,
        partner_id: UUID,
        item: str,
        quantity: int,
        plan_id: UUID | None,
        expires: str | None,
    ) -> None:
        self.slug = slug
        self.partner_id = partner_id
        self.item = item
        self.quantity = quantity
        self.plan_id = plan_id
        self.expires = expires
        self.accepted = 0
        self.declined = 0
        self.withdrawn = False
        self.by_camp: dict[UUID, list[int]] = {}  # camp → [accepted, delivered]

    def expired(self, now: datetime) -> bool:
        """True from the offer's expiry on (expiry takes effect before commands at that time)."""
        return self.expires is not None and parse_iso_utc(self.expires) <= now

    def remaining(self, now: datetime) -> int:
        """What may still be accepted or declined at this time."""
        if self.withdrawn or self.expired(now):
            return 0
        return self.quantity - self.accepted - self.declined

    def undelivered(self, camp_id: UUID) -> int:
        """Accepted for a camp and not yet delivered (0 once withdrawn)."""
        if self.withdrawn:
            return 0
        accepted, delivered = self.by_camp.get(camp_id, (0, 0))
        return accepted - delivered

    def _require_open(self, doing: str, now: datetime) -> None:
        if self.withdrawn:
            raise StatusError(
                f"offer '{self.slug}' was withdrawn; cannot {doing}",
                rule="a withdrawn offer takes no commands",
                field="offer",
            )
        if self.expired(now):
            raise StatusError(
                f"offer '{self.slug}' expired at {self.expires}; cannot {doing}",
                rule="an expired offer can no longer be accepted",
                field="offer",
            )

    def accept(self, *, camp_id: UUID, camp_slug: str, quantity: int, now: datetime) -> None:
        """Accept part of the remaining quantity for a camp (its plan checked by the service)."""
        self._require_open(f"accept it for camp '{camp_slug}'", now)
        require_positive_quantity(quantity)
        remaining = self.remaining(now)
        if quantity > remaining:
            raise OfferError(
                f"offer '{self.slug}' has {remaining} {self.item} remaining; "
                f"cannot accept {quantity} for camp '{camp_slug}'",
                rule="an acceptance never exceeds what remains of the offer",
                field="quantity",
            )
        self._accept(camp_id=camp_id, item=self.item, quantity=quantity)

    @event(Accepted)
    def _accept(self, camp_id: UUID, item: str, quantity: int) -> None:
        self.accepted += quantity
        self.by_camp.setdefault(camp_id, [0, 0])[0] += quantity

    def decline(self, *, reason: str, now: datetime) -> None:
        """Decline the whole remaining quantity."""
        if reason not in OFFER_DECLINE_REASONS:
            raise DomainRefusal(
                f"decline reason must be one of {', '.join(OFFER_DECLINE_REASONS)}, got {reason!r}",
                field="reason",
            )
        self._require_open("decline it", now)
        remaining = self.remaining(now)
        if remaining <= 0:
            raise OfferError(
                f"offer '{self.slug}' has nothing remaining to decline",
                rule="a decline needs a remaining quantity above 0",
                field="offer",
            )
        self._decline(quantity=remaining, reason=reason)

    @event(Declined)
    def _decline(self, quantity: int, reason: str) -> None:
        self.declined += quantity

    def deliver(self, *, camp_id: UUID, camp_slug: str, quantity: int) -> None:
        """Deliver accepted goods to a camp: at most its accepted, undelivered quantity."""
        if self.withdrawn:
            raise StatusError(
                f"offer '{self.slug}' was withdrawn; what it had not delivered was cancelled",
                rule="a withdrawn offer takes no commands",
                field="offer",
            )
        require_positive_quantity(quantity)
        undelivered = self.undelivered(camp_id)
        if quantity > undelivered:
            raise OfferError(
                f"offer '{self.slug}' has {undelivered} {self.item} accepted and not yet "
                f"delivered for camp '{camp_slug}'; cannot deliver {quantity}",
                rule="a delivery never exceeds what was accepted for the camp",
                field="quantity",
            )
        self._deliver(camp_id=camp_id, item=self.item, quantity=quantity)

    @event(Delivered)
    def _deliver(self, camp_id: UUID, item: str, quantity: int) -> None:
        self.by_camp[camp_id][1] += quantity

    def withdraw(self, *, reason: str, now: datetime) -> None:
        """The donor withdraws: cancel the remaining and the accepted, undelivered quantities."""
        if self.withdrawn:
            raise StatusError(
                f"offer '{self.slug}' was already withdrawn",
                rule="an offer is withdrawn once",
                field="offer",
            )
        open_camps = [(c, a - d) for c, (a, d) in self.by_camp.items() if a > d]
        self._withdraw(
            reason=reason,
            item=self.item,
            remaining=self.remaining(now),
            undelivered=sum(quantity for _, quantity in open_camps),
            camp_ids=[camp_id for camp_id, _ in open_camps],
            undelivered_at=[quantity for _, quantity in open_camps],
        )

    @event(Withdrawn)
    def _withdraw(
        self,
        reason: str,
        item: str,
        remaining: int,
        undelivered: int,
        camp_ids: list[UUID],
        undelivered_at: list[int],
    ) -> None:
        self.withdrawn = True


__all__ = ["Offer", "OfferError"]
