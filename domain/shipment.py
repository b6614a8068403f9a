"""Shipment: supplies on the road from a stockpile to a camp, until they arrive or do not."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict
from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.catalog import SHIPMENT_LOSS_REASONS
from domain.clock import iso_utc, parse_iso_utc
from domain.errors import DomainRefusal, StatusError, StockError
from domain.stockpile import require_catalog_item, require_positive_quantity


def require_later(moment: str | None, now: datetime, field: str, what: str) -> None:
    """Refuse a time (ISO 8601 UTC text) that is not strictly after the command's time."""
    if moment is not None and parse_iso_utc(moment) <= now:
        raise DomainRefusal(
            f"'{field}' ({what}) {moment} must be after the command's time {iso_utc(now)}",
            rule=f"{field} is after the command's time",
            field=field,
        )


class _Cargo(TypedDict):
    """What a shipment carries from where to where (the fields its end events repeat)."""

    stockpile_id: UUID
    camp_id: UUID
    item: str
    quantity: int


class Shipment(PlannerAggregate):
    """A quantity of one item sent from a stockpile to a camp; it ends once."""

    class Sent(PlannerAggregate.Created):
        """Stock left a stockpile for a camp (expected at `eta`, if given)."""

        slug: str
        stockpile_id: UUID
        camp_id: UUID
        item: str
        quantity: int
        eta: str | None

    # The events that end a shipment repeat where it was going and what it carried, so that a
    # fold can apply them to the camp and stockpile without the shipment's own state.

    class Delivered(PlannerAggregate.Event):
        """The shipment arrived: `received` reached the camp, `lost` did not."""

        stockpile_id: UUID
        camp_id: UUID
        item: str
        received: int
        lost: int

    class Lost(PlannerAggregate.Event):
        """Nothing of the shipment arrives."""

        stockpile_id: UUID
        camp_id: UUID
        item: str
        quantity: int
        reason: str

    class Returned(PlannerAggregate.Event):
        """The whole shipment went back on hand in its stockpile."""

        stockpile_id: UUID
        camp_id: UUID
        item: str
        quantity: int

    @classmethod
    def send(
        cls,
        *,
        id: UUID,
        slug: str,
        stockpile_id: UUID,
        camp_id: UUID,
        item: str,
        quantity: int,
        eta: str | None,
        now: datetime,
    ) -> Shipment:
        """Start a shipment; the service takes the stock out of the stockpile with it."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        require_later(eta, now, "eta", "the expected arrival")
        return cls._create(
            cls.Sent,
            id=id,
            slug=slug,
            stockpile_id=stockpile_id,
            camp_id=camp_id,
            item=item,
            quantity=quantity,
            eta=eta,
        )

    @event(Sent)
    def __init__(
        self,
        *,
        slug: str,
        stockpile_id: UUID,
        camp_id: UUID,
        item: str,
        quantity: int,
        eta: str | None,
    ) -> None:
        self.slug = slug
        self.stockpile_id = stockpile_id
        self.camp_id = camp_id
        self.item = item
        self.quantity = quantity
        self.eta = eta
        self.status = "in_transit"
        self.received = 0

    def require_in_transit(self, doing: str) -> None:
        """Refuse a second end to a shipment."""
        if self.status != "in_transit":
            raise StatusError(
                f"shipment '{self.slug}' is already {self.status.replace('_', ' ')}; "
                f"cannot {doing}",
                rule="a shipment ends once",
                field="shipment",
            )

    def deliver(self, *, quantity: int | None = None) -> int:
        """Arrive with `quantity` (default: all that was sent); return what arrived."""
        self.require_in_transit("deliver it")
        received = self.quantity if quantity is None else quantity
        if not 0 < received <= self.quantity:
            raise StockError(
                f"shipment '{self.slug}' carried {self.quantity} {self.item}; "
                f"cannot deliver {received}",
                rule="a delivery is above 0 and at most what was sent",
                field="quantity",
            )
        self._deliver(
            stockpile_id=self.stockpile_id,
            camp_id=self.camp_id,
            item=self.item,
            received=received,
            lost=self.quantity - received,
        )
        return received

    @event(Delivered)
    def _deliver(
        self, stockpile_id: UUID, camp_id: UUID, item: str, received: int, lost: int
    ) -> None:
        self.status = "delivered"
        self.received = received

    def lose(self, *, reason: str) -> None:
        """Record that nothing arrives."""
        self.require_in_transit("lose it")
        if reason not in SHIPMENT_LOSS_REASONS:
            raise DomainRefusal(
                f"loss reason must be one of {', '.join(SHIPMENT_LOSS_REASONS)}, got {reason!r}",
                field="reason",
            )
        self._lose(**self._cargo(), reason=reason)

    def _cargo(self) -> _Cargo:
        return {
            "stockpile_id": self.stockpile_id,
            "camp_id": self.camp_id,
            "item": self.item,
            "quantity": self.quantity,
        }

    @event(Lost)
    def _lose(
        self, stockpile_id: UUID, camp_id: UUID, item: str, quantity: int, reason: str
    ) -> None:
        self.status = "lost"

    def send_back(self) -> None:
        """Turn the shipment back to its stockpile (the service puts the stock on hand)."""
        self.require_in_transit("return it")
        self._send_back(**self._cargo())

    @event(Returned)
    def _send_back(self, stockpile_id: UUID, camp_id: UUID, item: str, quantity: int) -> None:
        self.status = "returned"
