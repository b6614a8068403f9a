"""The service's commands on camps: sites, sector leads, people, stock and facilities."""

from __future__ import annotations

from domain.camp import Camp
from domain.errors import (
    MembershipError,
    SectorError,
)
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service_core import CommandResult, ServiceCore, command
from domain.site import Site


class CampCommands(ServiceCore):
    """Establish and close camps; give sectors leads; count people, stock and facilities."""

    @command
    def establish_camp(
        self,
        *,
        camp: str,
        plan: str,
        location: str,
        site_area_m2: float,
        shelter_capacity: int,
        name: str | None = None,
        kind: str | None = None,
        adm1: str | None = None,
        adm2: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> CommandResult:
        """Set up a camp under an open plan, with its site details if given."""
        camp_id = self._require_new("camp", camp)
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.require_open("establish a camp")
        new = Camp.establish(
            id=camp_id,
            slug=camp,
            plan_id=the_plan.id,
            location=location,
            site_area_m2=site_area_m2,
            shelter_capacity=shelter_capacity,
            site=Site(
                name=name,
                kind=kind,
                adm1=adm1,
                adm2=adm2,
                lat=None if lat is None else float(lat),
                lon=None if lon is None else float(lon),
            ),
        )
        return self._commit("camp", new)

    @command
    def assign_sector(
        self, *, camp: str, sector: str, partner: str, co_leads: list[str] | None = None
    ) -> CommandResult:
        """Give a sector without a lead to an eligible partner (and eligible co-leads)."""
        site, org = self._eligible_lead(camp, sector, partner)
        others = [self._eligible_lead(camp, sector, slug)[1].id for slug in co_leads or []]
        site.assign_sector(
            sector=sector, partner_id=org.id, partner_slug=org.slug, co_lead_ids=others
        )
        return self._commit("camp", site)

    @command
    def reassign_sector(
        self, *, camp: str, sector: str, partner: str, co_leads: list[str] | None = None
    ) -> CommandResult:
        """Hand a sector's lead over to another eligible partner (co-leads are given anew)."""
        site, org = self._eligible_lead(camp, sector, partner)
        others = [self._eligible_lead(camp, sector, slug)[1].id for slug in co_leads or []]
        site.reassign_sector(
            sector=sector, partner_id=org.id, partner_slug=org.slug, co_lead_ids=others
        )
        return self._commit("camp", site)

    def _eligible_lead(self, camp: str, sector: str, partner: str) -> tuple[Camp, Partner]:
        site = self.load("camp", camp, Camp)
        org = self.load("partner", partner, Partner)
        site.require_open("change sector leads")
        org.require_active(f"lead {sector}")
        if not org.can_lead(sector):
            raise SectorError(
                f"partner '{org.slug}' did not declare sector {sector} "
                f"(it declared {', '.join(org.sectors or [])})",
                rule="a partner leads only sectors it declared",
                field="sector",
            )
        the_plan: ResponsePlan = self.by_id(site.plan_id)
        if not the_plan.is_member(org.id):
            raise MembershipError(
                f"partner '{org.slug}' is not a member of plan '{the_plan.slug}' "
                f"that camp '{site.slug}' belongs to; it must join the plan first",
                rule="a lead must be an active member of the camp's plan",
                field="partner",
            )
        return site, org

    @command
    def release_sector(self, *, camp: str, sector: str) -> CommandResult:
        """Leave a sector without a lead."""
        site = self.load("camp", camp, Camp)
        site.release_sector(sector=sector)
        return self._commit("camp", site)

    @command
    def register_arrivals(self, *, camp: str, people: int, **groups: int) -> CommandResult:
        """Register people arriving in a camp."""
        site = self.load("camp", camp, Camp)
        site.register_arrivals(people=people, **groups)
        return self._commit("camp", site)

    @command
    def register_departures(self, *, camp: str, people: int, **groups: int) -> CommandResult:
        """Register people leaving a camp."""
        site = self.load("camp", camp, Camp)
        site.register_departures(people=people, **groups)
        return self._commit("camp", site)

    @command
    def distribute_supplies(self, *, camp: str, item: str, quantity: int) -> CommandResult:
        """Hand camp stock out to residents."""
        site = self.load("camp", camp, Camp)
        site.distribute(item=item, quantity=quantity)
        return self._commit("camp", site)

    @command
    def build_facilities(self, *, camp: str, facility: str, count: int) -> CommandResult:
        """Record facilities built in a camp."""
        site = self.load("camp", camp, Camp)
        site.build_facilities(facility=facility, count=count)
        return self._commit("camp", site)

    @command
    def close_camp(self, *, camp: str) -> CommandResult:
        """Close a camp."""
        site = self.load("camp", camp, Camp)
        site.close()
        return self._commit("camp", site)
