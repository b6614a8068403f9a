"""Typed shapes of the read side: the readiness view documents, as the fold computes them and
the store, the queries, the API and the dashboard hand them on.

Fields the contract's Part 2 adds (sites, needs, shipments in transit) are `NotRequired`, so a
document with or without them has the same shape. Numbers read back from JSON keep their
kind: counts are `int`, ratios `float`, a missing ratio `None`.
"""

from typing import Any, Literal, NotRequired, TypedDict

# Any kind of view document as the store keeps it (decoded JSON). Code that handles every kind
# alike (store, queries, time travel) reads it by key; code that knows the kind uses its shape
# below (`CampView`, `PlanView`, ...).
ViewDoc = dict[str, Any]
Ratios = dict[str, float | None]  # item or facility -> a ratio, null when it has no meaning
Counts = dict[str, int]  # item, facility, currency, kind or status -> a whole number
# The words of `domain.catalog.SHIPMENT_STATUSES` and `OFFER_STATUSES`, as types (a unit test
# holds them equal).
ShipmentStatus = Literal["in_transit", "delivered", "lost", "returned"]
OfferStatus = Literal["open", "committed", "fulfilled", "declined", "expired", "withdrawn"]


class Need(TypedDict):
    """What would close one gap (contract Part 2, "Needs"): the shortfall, what is committed to
    it, and the rest."""

    shortfall: int
    committed: int
    uncommitted: int


Needs = dict[str, Need]  # item or facility -> its need, only keys with a shortfall above 0


class PartnerState(TypedDict):
    """What the fold keeps of a partner."""

    slug: str
    name: str
    kind: str
    withdrawn: bool


class SiteFields(TypedDict):
    """A camp's site as its views show it: name and kind always given, the rest may be null."""

    name: str
    kind: str
    adm1: str | None
    adm2: str | None
    lat: float | None
    lon: float | None


class VulnerableCounts(TypedDict):
    """How many people of a camp are in each vulnerable group."""

    under5: int
    elderly: int
    disabled: int
    pregnant_lactating: int
    unaccompanied_minors: int


class CampView(TypedDict):
    """The camp readiness view (contract: "Camp readiness view")."""

    camp: str
    id: str
    plan: str
    plan_id: str
    location: str
    status: str
    population: int
    under5: int
    elderly: int
    disabled: int
    pregnant_lactating: int
    unaccompanied_minors: int
    required_sectors: list[str]
    uncovered_sectors: list[str]
    sector_leads: dict[str, str]
    sector_co_leads: dict[str, list[str]]
    days_of_cover: Ratios
    per_person: Ratios
    people_per: Ratios
    facilities: Counts
    stock: Counts
    delivered: Counts
    site_area_m2: float
    shelter_capacity: int
    site_area_per_person: float | None
    congestion: str | None
    overcrowded: bool
    ready_days: float
    gaps: list[str]
    # Part 2
    name: NotRequired[str]
    kind: NotRequired[str]
    adm1: NotRequired[str | None]
    adm2: NotRequired[str | None]
    lat: NotRequired[float | None]
    lon: NotRequired[float | None]
    needs: NotRequired[Needs]
    in_transit: NotRequired[Counts]


class Member(TypedDict):
    """A plan member: who, of which kind, in which roles, whether withdrawn."""

    partner: str
    name: str
    kind: str
    roles: list[str]
    withdrawn: bool


class Standards(TypedDict):
    """A plan's standards profile and its overrides."""

    profile: str
    overrides: dict[str, float]


class PlanView(TypedDict):
    """The plan readiness view (contract: "Plan readiness view")."""

    plan: str
    id: str
    title: str
    crisis: str
    region: str | None
    status: str
    planning_figure: int
    required_sectors: list[str]
    ready_days: float
    standards: Standards
    tripartite: bool
    missing_kinds: list[str]
    members: Counts
    member_list: list[Member]
    pledged: Counts
    received: Counts
    disbursed: Counts
    pool_balance: Counts
    camps: Counts
    camp_list: list[str]
    population: int
    stockpiles: list[str]
    preparedness_days: dict[str, float]
    # Part 2
    needs: NotRequired[Needs]


class Levels(TypedDict):
    """An item's stock in a stockpile."""

    on_hand: int
    reserved: int
    available: int


class StockpileView(TypedDict):
    """The stockpile view (contract: "Stockpile view")."""

    stockpile: str
    id: str
    partner: str
    location: str
    items: dict[str, Levels]
    reservations: dict[str, Counts]
    plans: list[str]
    # Part 2
    in_transit: NotRequired[Counts]


class ThreeWRow(TypedDict):
    """One row of the 3W: who leads which sector where, in what role, since when."""

    partner: str
    partner_name: str
    kind: str
    role: str
    lead: str
    sector: str
    camp: str
    location: str
    plan: str
    status: str
    since: str
    # Part 2: the camp's site
    site_name: NotRequired[str]
    site_kind: NotRequired[str]
    adm1: NotRequired[str | None]
    adm2: NotRequired[str | None]
    lat: NotRequired[float | None]
    lon: NotRequired[float | None]


class WhoDoesWhatView(TypedDict):
    """The 3W rows of one camp."""

    camp: str
    id: str
    plan: str
    plan_id: str
    rows: list[ThreeWRow]


class ShipmentView(TypedDict):
    """The shipment view (contract: "Shipment view"), and what its time-dependent `overdue`
    is computed from."""

    shipment: str
    id: str
    stockpile: str
    camp: str
    plan_id: str
    item: str
    quantity: int  # sent
    received: int  # 0 until delivered
    lost_in_transit: int  # sent - received, once delivered or lost
    status: ShipmentStatus
    eta: str | None  # ISO 8601 UTC
    overdue: bool


class OfferCamp(TypedDict):
    """What a camp accepted from an offer and what was delivered to it."""

    accepted: int
    delivered: int


class OfferView(TypedDict):
    """The offer view (contract: "Offer view"), and what its time-dependent fields (`lapsed`,
    `remaining`, `status`) are computed from (`expires`, `withdrawn`, `cancelled_remaining`)."""

    offer: str
    id: str
    partner: str
    item: str
    plan: str | None
    plan_id: str | None
    quantity: int
    accepted: int
    delivered: int
    declined: int
    lapsed: int
    cancelled: int
    cancelled_remaining: int
    remaining: int
    by_camp: dict[str, OfferCamp]  # camp slug -> totals, camps in the order first accepted
    status: OfferStatus
    expires: str | None  # ISO 8601 UTC
    withdrawn: bool


# The shape of each kind of view document, for the checks that hold the fold to them.
VIEW_SHAPES: dict[str, type] = {
    "camp": CampView,
    "plan": PlanView,
    "stockpile": StockpileView,
    "3w": WhoDoesWhatView,
    "shipment": ShipmentView,
    "offer": OfferView,
}
