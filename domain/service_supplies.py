"""The service's commands on stockpiles and shipments: supplies in, reserved, sent, lost."""

from __future__ import annotations

from domain import clock
from domain.camp import Camp
from domain.partner import Partner
from domain.service_core import CommandResult, ServiceCore, command
from domain.shipment import Shipment
from domain.stockpile import Stockpile


class SupplyCommands(ServiceCore):
    """Open stockpiles, move supplies through them and send shipments on the road."""

    @command
    def open_stockpile(self, *, stockpile: str, partner: str, location: str) -> CommandResult:
        """Open a depot held by an active partner."""
        stockpile_id = self._require_new("stockpile", stockpile)
        org = self.load("partner", partner, Partner)
        org.require_active("open a stockpile")
        new = Stockpile.open(id=stockpile_id, slug=stockpile, partner_id=org.id, location=location)
        return self._commit("stockpile", new)

    @command
    def receive_supplies(
        self, *, stockpile: str, item: str, quantity: int, source: str | None = None
    ) -> CommandResult:
        """Take supplies into a stockpile, optionally from a source partner."""
        depot = self.load("stockpile", stockpile, Stockpile)
        source_id = None if source is None else self.load("partner", source, Partner).id
        depot.receive(item=item, quantity=quantity, source_id=source_id)
        return self._commit("stockpile", depot)

    @command
    def reserve_supplies(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Set free stock aside for an open camp."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("have supplies reserved for it")
        depot.reserve(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        return self._commit("stockpile", depot)

    @command
    def release_reservation(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Give back (part of) a camp's reservation."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        depot.release(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        return self._commit("stockpile", depot)

    @command
    def dispatch_supplies(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Move supplies from a stockpile into an open camp's stock, atomically."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("receive supplies")
        depot.dispatch(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        site.receive_delivery(stockpile_id=depot.id, item=item, quantity=quantity)
        return self._commit("stockpile", depot, site)

    @command
    def write_off_supplies(
        self, *, stockpile: str, item: str, quantity: int, reason: str
    ) -> CommandResult:
        """Remove expired, damaged or lost free stock."""
        depot = self.load("stockpile", stockpile, Stockpile)
        depot.write_off(item=item, quantity=quantity, reason=reason)
        return self._commit("stockpile", depot)

    @command
    def send_shipment(
        self,
        *,
        shipment: str,
        stockpile: str,
        camp: str,
        item: str,
        quantity: int,
        eta: str | None = None,
    ) -> CommandResult:
        """Send supplies on the road to an open camp: they leave the stockpile now."""
        shipment_id = self._require_new("shipment", shipment)
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("have a shipment sent to it")
        new = Shipment.send(
            id=shipment_id,
            slug=shipment,
            stockpile_id=depot.id,
            camp_id=site.id,
            item=item,
            quantity=quantity,
            eta=eta,
            now=clock.now(),
        )
        depot.ship(
            shipment_id=shipment_id,
            camp_id=site.id,
            camp_slug=site.slug,
            item=item,
            quantity=quantity,
        )
        return self._commit("shipment", new, depot)

    @command
    def deliver_shipment(self, *, shipment: str, quantity: int | None = None) -> CommandResult:
        """A shipment arrives (all of it, or `quantity`; the rest counts as lost on the way)."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.require_in_transit("deliver it")
        site: Camp = self.by_id(cargo.camp_id)
        received = cargo.deliver(quantity=quantity)
        site.receive_shipment(
            shipment_id=cargo.id,
            stockpile_id=cargo.stockpile_id,
            item=cargo.item,
            quantity=received,
        )
        return self._commit("shipment", cargo, site)

    @command
    def lose_shipment(self, *, shipment: str, reason: str) -> CommandResult:
        """Nothing of a shipment arrives."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.lose(reason=reason)
        return self._commit("shipment", cargo)

    @command
    def return_shipment(self, *, shipment: str) -> CommandResult:
        """A shipment goes back, whole, on hand in its stockpile."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.send_back()
        depot: Stockpile = self.by_id(cargo.stockpile_id)
        depot.take_back(shipment_id=cargo.id, item=cargo.item, quantity=cargo.quantity)
        return self._commit("shipment", cargo, depot)
