"""Stockpile: a depot of supplies held by a partner at a location."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.catalog import ITEMS, MAX_WHOLE_NUMBER, WRITE_OFF_REASONS
from domain.errors import DomainRefusal, StockError, require_within_bound


def require_catalog_item(item: str, unit: str | None = None) -> None:
    """Refuse items outside the catalog, and quantities given in another unit."""
    if item not in ITEMS:
        raise DomainRefusal(
            f"unknown item {item!r}; the catalog has {', '.join(ITEMS)}",
            rule="items must be in the catalog",
            field="item",
        )
    if unit is not None and unit != ITEMS[item].unit:
        raise DomainRefusal(
            f"{item} is counted in {ITEMS[item].unit}, not {unit}",
            rule="quantities are in the item's catalog unit",
            field="unit",
        )


def require_positive_quantity(quantity: int) -> None:
    """Refuse zero, negative and unstorably large quantities."""
    if not 0 < quantity <= MAX_WHOLE_NUMBER:
        raise StockError(
            f"quantity must be from 1 to {MAX_WHOLE_NUMBER}, got {quantity}", field="quantity"
        )


class Stockpile(PlannerAggregate):
    """Supplies on hand, some reserved for camps; reserved ≤ on hand, both never negative."""

    class Opened(PlannerAggregate.Created):
        """A partner opened a depot at a location."""

        slug: str
        partner_id: UUID
        location: str

    class SuppliesReceived(PlannerAggregate.Event):
        """Supplies came in (donated by a source partner, or bought)."""

        item: str
        quantity: int
        source_id: UUID | None

    class SuppliesReserved(PlannerAggregate.Event):
        """Free stock was set aside for a camp."""

        camp_id: UUID
        item: str
        quantity: int

    class ReservationReleased(PlannerAggregate.Event):
        """Stock set aside for a camp became free again."""

        camp_id: UUID
        item: str
        quantity: int

    class SuppliesDispatched(PlannerAggregate.Event):
        """Supplies left for a camp: `from_reservation` of them from its reservation."""

        camp_id: UUID
        item: str
        quantity: int
        from_reservation: int

    class SuppliesShipped(PlannerAggregate.Event):
        """Supplies left on a shipment to a camp: `from_reservation` of them reserved for it."""

        shipment_id: UUID
        camp_id: UUID
        item: str
        quantity: int
        from_reservation: int

    class ShipmentReturned(PlannerAggregate.Event):
        """A shipment came back: its quantity is on hand again (not reserved)."""

        shipment_id: UUID
        item: str
        quantity: int

    class SuppliesWrittenOff(PlannerAggregate.Event):
        """Free stock was lost, damaged or expired."""

        item: str
        quantity: int
        reason: str

    @classmethod
    def open(cls, *, id: UUID, slug: str, partner_id: UUID, location: str) -> Stockpile:
        """Open a depot."""
        return cls._create(cls.Opened, id=id, slug=slug, partner_id=partner_id, location=location)

    @event(Opened)
    def __init__(self, *, slug: str, partner_id: UUID, location: str) -> None:
        self.slug = slug
        self.partner_id = partner_id
        self.location = location
        self.on_hand: dict[str, int] = defaultdict(int)
        self.reserved: dict[str, int] = defaultdict(int)
        self.reservations: dict[tuple[UUID, str], int] = defaultdict(int)

    def available(self, item: str) -> int:
        """On hand and not reserved."""
        return self.on_hand[item] - self.reserved[item]

    def receive(
        self, *, item: str, quantity: int, source_id: UUID | None = None, unit: str | None = None
    ) -> None:
        """Take supplies into stock."""
        require_catalog_item(item, unit)
        require_positive_quantity(quantity)
        require_within_bound(
            self.on_hand[item], quantity, f"stock of {item} in '{self.slug}'", "quantity"
        )
        self._receive(item=item, quantity=quantity, source_id=source_id)

    @event(SuppliesReceived)
    def _receive(self, item: str, quantity: int, source_id: UUID | None) -> None:
        self.on_hand[item] += quantity

    def reserve(self, *, camp_id: UUID, camp_slug: str, item: str, quantity: int) -> None:
        """Set free stock aside for a camp."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        if quantity > self.available(item):
            raise StockError(
                f"stockpile '{self.slug}' cannot reserve {quantity} {item} for camp "
                f"'{camp_slug}': only {self.available(item)} available "
                f"(on hand {self.on_hand[item]}, reserved {self.reserved[item]})",
                rule="reserved never exceeds on hand",
                field="quantity",
            )
        self._reserve(camp_id=camp_id, item=item, quantity=quantity)

    @event(SuppliesReserved)
    def _reserve(self, camp_id: UUID, item: str, quantity: int) -> None:
        self.reserved[item] += quantity
        self.reservations[(camp_id, item)] += quantity

    def release(self, *, camp_id: UUID, camp_slug: str, item: str, quantity: int) -> None:
        """Give back (part of) a camp's reservation."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        held = self.reservations[(camp_id, item)]
        if quantity > held:
            raise StockError(
                f"stockpile '{self.slug}' holds {held} {item} reserved for camp '{camp_slug}'; "
                f"cannot release {quantity}",
                rule="reserved never goes below zero",
                field="quantity",
            )
        self._release(camp_id=camp_id, item=item, quantity=quantity)

    @event(ReservationReleased)
    def _release(self, camp_id: UUID, item: str, quantity: int) -> None:
        self.reserved[item] -= quantity
        self.reservations[(camp_id, item)] -= quantity

    def dispatch(self, *, camp_id: UUID, camp_slug: str, item: str, quantity: int) -> None:
        """Send supplies to a camp: its reservation first, then free stock."""
        taken = self._take_for(camp_id, camp_slug, item, quantity, "dispatch", "a dispatch")
        self._dispatch(camp_id=camp_id, item=item, quantity=quantity, from_reservation=taken)

    def _take_for(
        self, camp_id: UUID, camp_slug: str, item: str, quantity: int, doing: str, what: str
    ) -> int:
        """Check what may leave for a camp; return how much of it comes from its reservation."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        held = self.reservations[(camp_id, item)]
        may_take = held + self.available(item)
        if quantity > may_take:
            raise StockError(
                f"stockpile '{self.slug}' cannot {doing} {quantity} {item} to camp "
                f"'{camp_slug}': at most {may_take} (reserved for it {held}, "
                f"free {self.available(item)})",
                rule=f"{what} never exceeds what it may take",
                field="quantity",
            )
        return min(held, quantity)

    @event(SuppliesDispatched)
    def _dispatch(self, camp_id: UUID, item: str, quantity: int, from_reservation: int) -> None:
        self.on_hand[item] -= quantity
        self.reserved[item] -= from_reservation
        self.reservations[(camp_id, item)] -= from_reservation

    def ship(
        self, *, shipment_id: UUID, camp_id: UUID, camp_slug: str, item: str, quantity: int
    ) -> None:
        """Send supplies on a shipment to a camp, with the same limits as a dispatch."""
        taken = self._take_for(camp_id, camp_slug, item, quantity, "ship", "a shipment")
        self._ship(
            shipment_id=shipment_id,
            camp_id=camp_id,
            item=item,
            quantity=quantity,
            from_reservation=taken,
        )

    @event(SuppliesShipped)
    def _ship(
        self, shipment_id: UUID, camp_id: UUID, item: str, quantity: int, from_reservation: int
    ) -> None:
        self.on_hand[item] -= quantity
        self.reserved[item] -= from_reservation
        self.reservations[(camp_id, item)] -= from_reservation

    def take_back(self, *, shipment_id: UUID, item: str, quantity: int) -> None:
        """Put a returned shipment back on hand."""
        require_positive_quantity(quantity)
        self._take_back(shipment_id=shipment_id, item=item, quantity=quantity)

    @event(ShipmentReturned)
    def _take_back(self, shipment_id: UUID, item: str, quantity: int) -> None:
        self.on_hand[item] += quantity

    def write_off(self, *, item: str, quantity: int, reason: str) -> None:
        """Remove expired, damaged or lost free stock."""
        require_catalog_item(item)
        require_positive_quantity(quantity)
        if reason not in WRITE_OFF_REASONS:
            raise DomainRefusal(
                f"write-off reason must be one of {', '.join(WRITE_OFF_REASONS)}, got {reason!r}",
                field="reason",
            )
        if quantity > self.available(item):
            raise StockError(
                f"stockpile '{self.slug}' cannot write off {quantity} {item}: only "
                f"{self.available(item)} free (on hand {self.on_hand[item]}, "
                f"reserved {self.reserved[item]}); release reservations first",
                rule="a write-off never exceeds free stock",
                field="quantity",
            )
        self._write_off(item=item, quantity=quantity, reason=reason)

    @event(SuppliesWrittenOff)
    def _write_off(self, item: str, quantity: int, reason: str) -> None:
        self.on_hand[item] -= quantity
