"""Camp: a site under a plan, its sector leads, residents, stock and facilities."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.camp_rules import (
    ARRIVAL_REFUSAL,
    POPULATION_FIELDS,
    add_population,
    checked_co_leads,
    current_lead,
    departure_counts,
    no_co_leads_in_v1,
    population_counts,
    require_a_change,
    require_camp_open,
    require_facility_count,
    require_in_stock,
    require_known_sector,
    require_no_lead,
    require_site_figures,
)
from domain.catalog import FACILITIES
from domain.errors import require_within_bound
from domain.site import DEFAULT_SITE_KIND, Site
from domain.stockpile import require_catalog_item, require_positive_quantity


class Camp(PlannerAggregate):
    """A camp; overcrowding is allowed here and flagged by the readiness views."""

    class Established(PlannerAggregate.Created):
        """A camp site was set up under a plan."""

        slug: str
        plan_id: UUID
        location: str
        site_area_m2: float
        shelter_capacity: int

    class SiteDescribed(PlannerAggregate.Event):
        """The site's name, kind, administrative areas or coordinates were given.

        Recorded right after `Established` only when any was given, so that a camp without
        them is stored exactly as before these details existed.
        """

        name: str | None
        kind: str | None
        adm1: str | None
        adm2: str | None
        lat: float | None
        lon: float | None

    class SectorAssigned(PlannerAggregate.Event):
        """A partner took the lead of a sector that had none (with co-leads, if any)."""

        sector: str
        partner_id: UUID
        co_lead_ids: list[UUID]

        class_version = 2
        upcast_v1_v2 = staticmethod(no_co_leads_in_v1)

    class SectorReassigned(PlannerAggregate.Event):
        """The lead of a sector changed hands (a handover), with its co-leads."""

        sector: str
        partner_id: UUID
        previous_id: UUID
        co_lead_ids: list[UUID]

        class_version = 2
        upcast_v1_v2 = staticmethod(no_co_leads_in_v1)

    class SectorReleased(PlannerAggregate.Event):
        """A sector lost its lead."""

        sector: str
        previous_id: UUID

    class ArrivalsRegistered(PlannerAggregate.Event):
        """People arrived, with the vulnerable groups among them."""

        people: int
        under5: int
        elderly: int
        disabled: int
        pregnant_lactating: int
        unaccompanied_minors: int

    class DeparturesRegistered(PlannerAggregate.Event):
        """People left, with the vulnerable groups among them."""

        people: int
        under5: int
        elderly: int
        disabled: int
        pregnant_lactating: int
        unaccompanied_minors: int

    class SuppliesDelivered(PlannerAggregate.Event):
        """Supplies dispatched from a stockpile arrived in camp stock."""

        stockpile_id: UUID
        item: str
        quantity: int

    class ShipmentReceived(PlannerAggregate.Event):
        """A shipment from a stockpile arrived in camp stock."""

        shipment_id: UUID
        stockpile_id: UUID
        item: str
        quantity: int

    class OfferReceived(PlannerAggregate.Event):
        """A donor delivered goods of an accepted offer into camp stock."""

        offer_id: UUID
        partner_id: UUID
        item: str
        quantity: int

    class SuppliesDistributed(PlannerAggregate.Event):
        """Camp stock was handed out to residents."""

        item: str
        quantity: int

    class FacilitiesBuilt(PlannerAggregate.Event):
        """Facilities (latrines, taps, …) were built."""

        facility: str
        count: int

    class Closed(PlannerAggregate.Event):
        """The camp closed; nothing changes in it any more."""

    @classmethod
    def establish(
        cls,
        *,
        id: UUID,
        slug: str,
        plan_id: UUID,
        location: str,
        site_area_m2: float,
        shelter_capacity: int,
        site: Site | None = None,
    ) -> Camp:
        """Set up a camp after checking its site figures and its site details."""
        require_site_figures(site_area_m2, shelter_capacity, site)
        camp = cls._create(
            cls.Established,
            id=id,
            slug=slug,
            plan_id=plan_id,
            location=location,
            site_area_m2=site_area_m2,
            shelter_capacity=shelter_capacity,
        )
        if site is not None and site.given:
            camp._describe_site(**site.details())
        return camp

    @event(Established)
    def __init__(
        self, *, slug: str, plan_id: UUID, location: str, site_area_m2: float, shelter_capacity: int
    ) -> None:
        self.slug = slug
        self.plan_id = plan_id
        self.location = location
        self.site_area_m2 = site_area_m2
        self.shelter_capacity = shelter_capacity
        self.closed = False
        self.leads: dict[str, UUID] = {}
        self.co_leads: dict[str, list[UUID]] = {}
        self.population: dict[str, int] = dict.fromkeys(POPULATION_FIELDS, 0)
        self.stock: dict[str, int] = defaultdict(int)
        self.delivered: dict[str, int] = defaultdict(int)
        self.facilities: dict[str, int] = dict.fromkeys(FACILITIES, 0)
        self.site = Site(name=slug, kind=DEFAULT_SITE_KIND)

    @event(SiteDescribed)
    def _describe_site(
        self,
        name: str | None,
        kind: str | None,
        adm1: str | None,
        adm2: str | None,
        lat: float | None,
        lon: float | None,
    ) -> None:
        self.site = Site(
            name=name or self.slug,
            kind=kind or DEFAULT_SITE_KIND,
            adm1=adm1,
            adm2=adm2,
            lat=lat,
            lon=lon,
        )

    def require_open(self, doing: str) -> None:
        """Refuse any change to a closed camp."""
        require_camp_open(self.slug, self.closed, f"cannot {doing}")

    # -- sectors -------------------------------------------------------------------------------

    def assign_sector(
        self,
        *,
        sector: str,
        partner_id: UUID,
        partner_slug: str,
        co_lead_ids: list[UUID] | None = None,
    ) -> None:
        """Give a sector with no lead to an eligible partner (checked by the service)."""
        self._require_sector(sector, "assign a sector lead")
        require_no_lead(self.slug, sector, self.leads)
        co_leads = checked_co_leads(partner_id, partner_slug, co_lead_ids)
        self._assign_sector(sector=sector, partner_id=partner_id, co_lead_ids=co_leads)

    @event(SectorAssigned)
    def _assign_sector(self, sector: str, partner_id: UUID, co_lead_ids: list[UUID]) -> None:
        self.leads[sector] = partner_id
        self.co_leads[sector] = list(co_lead_ids)

    def reassign_sector(
        self,
        *,
        sector: str,
        partner_id: UUID,
        partner_slug: str,
        co_lead_ids: list[UUID] | None = None,
    ) -> None:
        """Hand a led sector over to another eligible partner (co-leads are given anew)."""
        self._require_sector(sector, "reassign a sector lead")
        previous = current_lead(self.slug, sector, self.leads, "hand over; use assign_sector")
        co_leads = checked_co_leads(partner_id, partner_slug, co_lead_ids)
        same = previous == partner_id and co_leads == self.co_leads.get(sector, [])
        require_a_change(same, self.slug, sector, partner_slug)
        self._reassign_sector(
            sector=sector, partner_id=partner_id, previous_id=previous, co_lead_ids=co_leads
        )

    @event(SectorReassigned)
    def _reassign_sector(
        self, sector: str, partner_id: UUID, previous_id: UUID, co_lead_ids: list[UUID]
    ) -> None:
        self.leads[sector] = partner_id
        self.co_leads[sector] = list(co_lead_ids)

    def release_sector(self, *, sector: str) -> None:
        """Leave a sector without a lead."""
        self._require_sector(sector, "release a sector")
        previous = current_lead(self.slug, sector, self.leads, "release")
        self._release_sector(sector=sector, previous_id=previous)

    @event(SectorReleased)
    def _release_sector(self, sector: str, previous_id: UUID) -> None:
        del self.leads[sector]
        self.co_leads.pop(sector, None)

    def _require_sector(self, sector: str, doing: str) -> None:
        self.require_open(doing)
        require_known_sector(sector)

    # -- population ----------------------------------------------------------------------------

    def register_arrivals(self, *, people: int, **groups: int) -> None:
        """Register arrivals; each vulnerable group is a subset of `people`."""
        self.require_open("register arrivals")
        counts = population_counts(people, groups)
        require_within_bound(
            self.population["people"], people, f"the population of camp '{self.slug}'", "people"
        )
        self._register_arrivals(**counts)

    @event(ArrivalsRegistered)
    def _register_arrivals(
        self,
        people: int,
        under5: int,
        elderly: int,
        disabled: int,
        pregnant_lactating: int,
        unaccompanied_minors: int,
    ) -> None:
        counts = (people, under5, elderly, disabled, pregnant_lactating, unaccompanied_minors)
        add_population(self.population, +1, counts)

    def register_departures(self, *, people: int, **groups: int) -> None:
        """Register departures; never more than are registered, in total or in any group."""
        self.require_open("register departures")
        counts = departure_counts(self.slug, self.population, population_counts(people, groups))
        self._register_departures(**counts)

    @event(DeparturesRegistered)
    def _register_departures(
        self,
        people: int,
        under5: int,
        elderly: int,
        disabled: int,
        pregnant_lactating: int,
        unaccompanied_minors: int,
    ) -> None:
        counts = (people, under5, elderly, disabled, pregnant_lactating, unaccompanied_minors)
        add_population(self.population, -1, counts)

    # -- stock and facilities ------------------------------------------------------------------

    def receive_delivery(self, *, stockpile_id: UUID, item: str, quantity: int) -> None:
        """Take a dispatch from a stockpile into camp stock."""
        self.require_open("receive supplies")
        require_catalog_item(item)
        require_positive_quantity(quantity)
        require_within_bound(
            self.delivered[item], quantity, f"{item} delivered to camp '{self.slug}'", "quantity"
        )
        self._receive_delivery(stockpile_id=stockpile_id, item=item, quantity=quantity)

    @event(SuppliesDelivered)
    def _receive_delivery(self, stockpile_id: UUID, item: str, quantity: int) -> None:
        self.stock[item] += quantity
        self.delivered[item] += quantity

    def receive_shipment(
        self, *, shipment_id: UUID, stockpile_id: UUID, item: str, quantity: int
    ) -> None:
        """Take an arriving shipment into camp stock."""
        require_camp_open(self.slug, self.closed, ARRIVAL_REFUSAL.format(item=item))
        require_positive_quantity(quantity)
        self._receive_shipment(
            shipment_id=shipment_id, stockpile_id=stockpile_id, item=item, quantity=quantity
        )

    @event(ShipmentReceived)
    def _receive_shipment(
        self, shipment_id: UUID, stockpile_id: UUID, item: str, quantity: int
    ) -> None:
        self.stock[item] += quantity
        self.delivered[item] += quantity

    def receive_offer(self, *, offer_id: UUID, partner_id: UUID, item: str, quantity: int) -> None:
        """Take a donor's delivery of accepted goods into camp stock."""
        self.require_open("receive a donor's delivery")
        require_positive_quantity(quantity)
        self._receive_offer(offer_id=offer_id, partner_id=partner_id, item=item, quantity=quantity)

    @event(OfferReceived)
    def _receive_offer(self, offer_id: UUID, partner_id: UUID, item: str, quantity: int) -> None:
        self.stock[item] += quantity
        self.delivered[item] += quantity

    def distribute(self, *, item: str, quantity: int) -> None:
        """Hand camp stock out to residents; never more than the camp holds."""
        self.require_open("distribute supplies")
        require_catalog_item(item)
        require_positive_quantity(quantity)
        require_in_stock(self.slug, self.stock, item, quantity)
        self._distribute(item=item, quantity=quantity)

    @event(SuppliesDistributed)
    def _distribute(self, item: str, quantity: int) -> None:
        self.stock[item] -= quantity

    def build_facilities(self, *, facility: str, count: int) -> None:
        """Record facilities built."""
        self.require_open("build facilities")
        require_facility_count(facility, count)
        require_within_bound(
            self.facilities[facility], count, f"{facility}s in camp '{self.slug}'", "count"
        )
        self._build_facilities(facility=facility, count=count)

    @event(FacilitiesBuilt)
    def _build_facilities(self, facility: str, count: int) -> None:
        self.facilities[facility] += count

    def close(self) -> None:
        """Close the camp."""
        self.require_open("close it again")
        self._close()

    @event(Closed)
    def _close(self) -> None:
        self.closed = True
