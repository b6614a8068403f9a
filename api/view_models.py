"""Response schemas of the entity views and their pages."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from projections.shapes import OfferStatus, ShipmentStatus


class _View(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    position: int = Field(description="position of the event that made this version of the view")
    updated_at: str = Field(description="time of that event (ISO 8601)")


class CampView(_View):
    """Readiness of one camp (see the readiness rules of the scenario contract)."""

    camp: str
    plan: str
    plan_id: str
    location: str
    status: Literal["ready", "at_risk", "not_ready", "closed"]
    population: int
    required_sectors: list[str]
    uncovered_sectors: list[str]
    sector_leads: dict[str, str]
    days_of_cover: dict[str, float | None]
    per_person: dict[str, float | None]
    people_per: dict[str, float | None]
    facilities: dict[str, int]
    stock: dict[str, int]
    delivered: dict[str, int]
    site_area_per_person: float | None
    congestion: str | None
    overcrowded: bool
    gaps: list[str]


class PlanMember(BaseModel):
    """A member of a plan: who, of which kind, in which roles, whether withdrawn."""

    partner: str
    name: str
    kind: str
    roles: list[str]
    withdrawn: bool


class PlanView(_View):
    """Readiness of one plan: members, money, camps, preparedness."""

    plan: str
    title: str
    crisis: str
    region: str
    status: Literal["drafted", "activated", "standing_down", "closed"]
    planning_figure: int
    tripartite: bool
    members: dict[str, int]
    member_list: list[PlanMember]
    pledged: dict[str, int]
    received: dict[str, int]
    disbursed: dict[str, int]
    pool_balance: dict[str, int]
    camps: dict[str, int]
    camp_list: list[str]
    population: int
    stockpiles: list[str]
    preparedness_days: dict[str, float | None]


class StockLevels(BaseModel):
    """Levels of one item."""

    on_hand: int
    reserved: int
    available: int


class StockpileView(_View):
    """One stockpile: levels per item, reservations per camp, plans it is committed to."""

    stockpile: str
    partner: str
    location: str
    items: dict[str, StockLevels]
    reservations: dict[str, dict[str, int]]
    plans: list[str]


class NeedTriple(BaseModel):
    """What would close one gap: the shortfall, what is on its way, and the rest."""

    shortfall: int
    committed: int
    uncommitted: int


class ShipmentView(_View):
    """One shipment: supplies on the road from a stockpile to a camp."""

    shipment: str
    stockpile: str
    camp: str
    item: str
    quantity: int
    received: int
    lost_in_transit: int
    status: ShipmentStatus
    eta: str | None
    overdue: bool


class OfferCamp(BaseModel):
    """What one camp was given of an offer."""

    accepted: int
    delivered: int


class OfferView(_View):
    """One donor offer, with expiry applied as of the query's time."""

    offer: str
    partner: str
    item: str
    plan: str | None
    quantity: int
    accepted: int
    delivered: int
    declined: int
    lapsed: int
    cancelled: int
    remaining: int
    by_camp: dict[str, OfferCamp]
    status: OfferStatus
    expires: str | None


class Page(BaseModel):
    """A page of a list: `items`, the `total` matching the filters, and the page bounds."""

    total: int
    limit: int
    offset: int


class CampPage(Page):
    """A page of camp readiness views."""

    items: list[CampView]


class PlanPage(Page):
    """A page of plan readiness views."""

    items: list[PlanView]


class StockpilePage(Page):
    """A page of stockpile views."""

    items: list[StockpileView]


class ShipmentPage(Page):
    """A page of shipment views."""

    items: list[ShipmentView]


class OfferPage(Page):
    """A page of offer views."""

    items: list[OfferView]


class NeedsReport(BaseModel):
    """Needs per camp (open camps with a shortfall) and summed per plan."""

    camps: dict[str, dict[str, NeedTriple]]
    plans: dict[str, dict[str, NeedTriple]]


class Match(BaseModel):
    """A suggestion: give `quantity` of an offer to a camp."""

    offer: str
    camp: str
    item: str
    quantity: int
    plan: str
    camp_status: str
    expires: str | None


class MatchesReport(BaseModel):
    """Suggested matches of open offers to uncommitted needs, and offers nobody needs."""

    matches: list[Match]
    not_needed: list[str]


class PipelineRow(BaseModel):
    """One item's pipeline: offered → committed → delivered → distributed, and the needs."""

    item: str
    offered: int = Field(description="remaining of the open offers the scope's camps may take")
    committed: int = Field(description="reserved + accepted (undelivered) + in_transit")
    delivered: int = Field(description="everything that reached the scope's camps")
    distributed: int = Field(description="handed out to residents: delivered − camp stock")
    reserved: int
    accepted: int = Field(description="accepted from offers, not delivered, not withdrawn")
    in_transit: int
    shortfall: int = Field(description="the open camps' needs, summed")
    uncommitted: int


class PipelineReport(BaseModel):
    """The supply pipeline of a plan or an area, per item (see docs/api.md, "Pipeline")."""

    scope: Literal["plan", "adm1", "adm2"]
    code: str
    plans: list[str]
    camps: list[str]
    items: list[PipelineRow]
    not_needed: list[str] = Field(description="open offers no camp that may take them lacks")
