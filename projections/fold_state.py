"""The fold's state: the shape of each entity it keeps, and the tables and touched sets its
handler mixins see (the attributes ReadinessFold sets up).

Each entity is a plain dict (checkpoints store them as JSON), typed here. Keys a later part of
the contract added, or that only some events set, are `NotRequired`; a plan's derived fields
(`DERIVED_PLAN_STATE`) are computed on loading and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import projections.shapes as shapes
from domain.site import SiteDetails

if TYPE_CHECKING:
    from projections.readiness import ViewKey
    from projections.rules import Thresholds

# An event's fields as the fold receives them: a domain event's attributes, or its stored JSON
# decoded. The handlers read them by key and trust them as the aggregate recorded them (the
# aggregate validated them); a field's type is its event class's annotation in `domain/`.
EventFields = Mapping[str, Any]
Moment = datetime | str  # an event's time: a datetime (live events) or its ISO form (decoded)


class PlanState(TypedDict):
    """What the fold keeps of a plan."""

    slug: str
    title: str
    crisis: str
    region: str | None
    planning_figure: int
    required_sectors: list[str]
    ready_days: float
    standards_profile: str
    standards_overrides: dict[str, float]
    status: str
    members: dict[str, list[str]]  # partner id -> roles
    pledged: shapes.Counts  # currency -> minor units
    received: shapes.Counts
    disbursed: shapes.Counts
    stockpiles: list[str]
    camps: list[str]
    # derived on loading (`derive_plan_state`), never stored
    standards: NotRequired[dict[str, Fraction]]
    ready_fraction: NotRequired[Fraction]
    needs_ready_days: NotRequired[Fraction]
    thresholds: NotRequired[Thresholds]


class StockpileState(TypedDict):
    """What the fold keeps of a stockpile."""

    slug: str
    partner_id: str
    location: str
    on_hand: shapes.Counts
    reserved: shapes.Counts
    reservations: dict[str, shapes.Counts]  # camp id -> item -> quantity
    plans: list[str]
    in_transit: NotRequired[shapes.Counts]


class CampState(TypedDict):
    """What the fold keeps of a camp."""

    slug: str
    plan_id: str
    location: str
    site_area_m2: float
    shelter_capacity: int
    closed: bool
    leads: dict[str, str]  # sector -> partner id
    co_leads: NotRequired[dict[str, list[str]]]
    lead_since: dict[str, str]  # sector -> ISO time
    population: shapes.Counts  # people and each vulnerable group
    stock: shapes.Counts
    delivered: shapes.Counts
    facilities: shapes.Counts
    site: NotRequired[SiteDetails]
    # what is committed to the camp (`projections.logistics.CAMP_COMMITMENTS`)
    reserved_for: NotRequired[shapes.Counts]
    in_transit: NotRequired[shapes.Counts]
    offered: NotRequired[shapes.Counts]


class ShipmentState(TypedDict):
    """What the fold keeps of a shipment."""

    slug: str
    stockpile_id: str
    camp_id: str
    item: str
    quantity: int
    received: int
    status: shapes.ShipmentStatus
    eta: str | None
    eta_us: int | None
    changed_us: int


class OfferState(TypedDict):
    """What the fold keeps of a donor offer."""

    slug: str
    partner_id: str
    item: str
    quantity: int
    plan_id: str | None
    expires: str | None
    expires_us: int | None
    accepted: int
    declined: int
    delivered: int
    by_camp: dict[str, list[int]]  # camp id -> [accepted, delivered]
    withdrawn: bool
    cancelled_remaining: int
    cancelled_undelivered: int
    changed_us: int


EntityState = (
    shapes.PartnerState | PlanState | StockpileState | CampState | ShipmentState | OfferState
)


class FoldState:
    """The tables and touched sets of a ReadinessFold, declared for its handler mixins."""

    partners: dict[str, shapes.PartnerState]
    plans: dict[str, PlanState]
    stockpiles: dict[str, StockpileState]
    camps: dict[str, CampState]
    shipments: dict[str, ShipmentState]
    offers: dict[str, OfferState]
    camp_status: dict[str, str]
    coverage: dict[str, bool]
    _camp_keys: dict[str, tuple[ViewKey, ViewKey]]
    _stockpile_keys: dict[str, tuple[ViewKey, ...]]
    partners_changed: set[str]
    lifecycle_changed: set[str]
    touched_camps: set[str]
    touched_stockpiles: set[str]
    touched: set[ViewKey]

    if TYPE_CHECKING:

        def camp_keys(self, camp_id: str) -> tuple[ViewKey, ViewKey]: ...

        def stockpile_keys(self, stockpile_id: str) -> tuple[ViewKey, ...]: ...
