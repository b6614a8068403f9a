"""The Camp aggregate's checks: site figures, sector leads, population counts, stock, facilities.

Each raises the named refusal the contract gives (with `rule` and `field`); the aggregate calls
them before recording an event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from uuid import UUID

from domain.catalog import FACILITIES, SECTORS, VULNERABLE_GROUPS
from domain.errors import DomainRefusal, PopulationError, SectorError, StatusError, StockError
from domain.site import Site

_GROUPS = frozenset(VULNERABLE_GROUPS)
POPULATION_FIELDS = ("people", *VULNERABLE_GROUPS)
ARRIVAL_REFUSAL = "a shipment of {item} to a closed camp can only be lost or returned"


def add_population(population: dict[str, int], sign: int, counts: tuple[int, ...]) -> None:
    """Add (sign +1) or take away (-1) counts given in the order of `POPULATION_FIELDS`."""
    for group, count in zip(POPULATION_FIELDS, counts, strict=True):
        population[group] += sign * count


def require_camp_open(slug: str, closed: bool, refusal: str) -> None:
    """Refuse any change to a closed camp, saying what cannot be done."""
    if closed:
        raise StatusError(
            f"camp '{slug}' is closed; {refusal}",
            rule="nothing changes in a closed camp",
            field="camp",
        )


def require_a_change(same: bool, slug: str, sector: str, partner_slug: str) -> None:
    """Refuse a handover that leaves the lead and its co-leads as they are."""
    if same:
        raise SectorError(
            f"partner '{partner_slug}' already leads {sector} in camp '{slug}'",
            rule="exactly one lead per sector",
            field="partner",
        )


def no_co_leads_in_v1(state: dict[str, object]) -> None:
    """Upcast a sector lead event of version 1, which had no co-leads."""
    state["co_lead_ids"] = []


def require_site_figures(site_area_m2: float, shelter_capacity: int, site: Site | None) -> None:
    """Refuse a site area that is not a finite number above 0, a negative capacity, bad details."""
    if not (site_area_m2 > 0 and math.isfinite(site_area_m2)):
        raise DomainRefusal(
            f"site area must be a finite number above 0 m², got {site_area_m2}",
            field="site_area_m2",
        )
    if shelter_capacity < 0:
        raise DomainRefusal(
            f"shelter capacity cannot be negative, got {shelter_capacity}",
            field="shelter_capacity",
        )
    if site is not None:
        site.validate()


def require_known_sector(sector: str) -> None:
    """Refuse a cluster code outside the catalog."""
    if sector not in SECTORS:
        raise SectorError(
            f"unknown cluster code {sector!r}; known: {', '.join(SECTORS)}", field="sector"
        )


def require_no_lead(camp: str, sector: str, leads: Mapping[str, UUID]) -> None:
    """Refuse to assign a sector that already has a lead."""
    if sector in leads:
        raise SectorError(
            f"sector {sector} of camp '{camp}' already has a lead; "
            "use reassign_sector to hand it over",
            rule="exactly one lead per sector",
            field="sector",
        )


def current_lead(camp: str, sector: str, leads: Mapping[str, UUID], to: str) -> UUID:
    """The sector's lead, or a refusal saying there is none `to` hand over or release."""
    previous = leads.get(sector)
    if previous is None:
        raise SectorError(
            f"sector {sector} of camp '{camp}' has no lead to {to}",
            rule="exactly one lead per sector",
            field="sector",
        )
    return previous


def departure_counts(
    camp: str, population: Mapping[str, int], counts: dict[str, int]
) -> dict[str, int]:
    """Departures never more than are registered; the group departures a short breakdown implies."""
    for name, value in counts.items():
        if value > population[name]:
            raise PopulationError(
                f"camp '{camp}' cannot register {value} departures of {name}: "
                f"only {population[name]} registered",
                field=name,
            )
    # A group can never outnumber the people who remain: when the breakdown given is
    # short ("everyone left", without one), the missing group departures are implied.
    remaining = population["people"] - counts["people"]
    for group in VULNERABLE_GROUPS:
        counts[group] = max(counts[group], population[group] - remaining)
    return counts


def require_in_stock(camp: str, stock: Mapping[str, int], item: str, quantity: int) -> None:
    """Refuse to distribute more than the camp holds."""
    if quantity > stock[item]:
        raise StockError(
            f"camp '{camp}' cannot distribute {quantity} {item}: its stock holds {stock[item]}",
            rule="distributions never exceed camp stock",
            field="quantity",
        )


def require_facility_count(facility: str, count: int) -> None:
    """Refuse a facility outside the catalog or a count not above 0."""
    if facility not in FACILITIES:
        raise DomainRefusal(
            f"unknown facility {facility!r}; known: {', '.join(FACILITIES)}", field="facility"
        )
    if count <= 0:
        raise DomainRefusal(f"count must be above 0, got {count}", field="count")


def checked_co_leads(lead_id: UUID, lead_slug: str, co_lead_ids: list[UUID] | None) -> list[UUID]:
    """The co-leads, refused if the lead is among them or one is named twice."""
    co_leads = list(co_lead_ids or [])
    if lead_id in co_leads:
        raise SectorError(
            f"partner '{lead_slug}' cannot be both lead and co-lead of a sector",
            rule="exactly one lead per sector",
            field="co_leads",
        )
    if len(set(co_leads)) != len(co_leads):
        raise SectorError("a co-lead is named twice", field="co_leads")
    return co_leads


def population_counts(people: int, groups: dict[str, int]) -> dict[str, int]:
    """People and every vulnerable group (0 when not given), each between 0 and people."""
    unknown = groups.keys() - _GROUPS
    if unknown:
        raise DomainRefusal(f"unknown population group(s) {sorted(unknown)}", field="people")
    if people <= 0:
        raise PopulationError(f"people must be above 0, got {people}", field="people")
    counts = {"people": people}
    for group in VULNERABLE_GROUPS:
        value = groups.get(group, 0)
        if value < 0 or value > people:
            raise PopulationError(
                f"{group} must be between 0 and people ({people}), got {value}", field=group
            )
        counts[group] = value
    return counts
