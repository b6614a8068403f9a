"""Request and response schemas, named for what they are.

The command request bodies are generated from the contract's command table
(`domain.commands.COMMANDS`): one model per command (`JoinPlanRequest`, `DispatchSuppliesRequest`,
…) without the arguments the URL path carries, with `extra="forbid"`, strict types, whole
numbers greater than 0 for quantities and amounts, and enumerations (`Literal`) for partner
kinds, plan roles, cluster codes, items, currencies, facilities and write-off reasons, so that
anything else is refused with 422 and a message naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
)

from domain.catalog import (
    CURRENCIES,
    FACILITIES,
    ITEMS,
    MAX_NUMBER,
    MAX_SLUG_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WHOLE_NUMBER,
    SECTORS,
    STANDARD_KEYS,
    STANDARDS_PROFILES,
)
from domain.commands import (
    COMMANDS,
    ENTITY_KINDS,
    SLUG_PATTERN,
    TEXT_PATTERN,
    Arg,
    CommandSpec,
)

MAX_WHOLE: Final = MAX_WHOLE_NUMBER  # exact in every JSON reader

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=MAX_SLUG_LENGTH, strict=True),
]
Text = Annotated[
    str, StringConstraints(pattern=TEXT_PATTERN, min_length=1, max_length=MAX_TEXT_LENGTH)
]


def _whole_float(value: Any) -> Any:
    """A whole-number float (5.0) is an integer in JSON Schema: take it as one."""
    if type(value) is float and value.is_integer() and abs(value) <= MAX_WHOLE:
        return int(value)
    return value


# The constraints before the validator: so the JSON schema says exclusiveMinimum/maximum.
PositiveInt = Annotated[int, Field(gt=0, le=MAX_WHOLE, strict=True), BeforeValidator(_whole_float)]
NonNegativeInt = Annotated[
    int, Field(ge=0, le=MAX_WHOLE, strict=True), BeforeValidator(_whole_float)
]
PositiveNumber = Annotated[float, Field(gt=0, le=MAX_NUMBER, allow_inf_nan=False)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=100)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# A time with an offset, as ISO 8601 text; the command table checks and normalises it to UTC.
Time = Annotated[
    str,
    StringConstraints(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
        max_length=40,
    ),
]
if TYPE_CHECKING:  # the enumerations are built from the catalog at run time
    Sector = str
    Item = str
    Currency = str
    Facility = str
    StandardsProfile = str
    StandardKey = str
else:
    Sector = Literal[tuple(SECTORS)]
    Item = Literal[tuple(ITEMS)]
    Currency = Literal[tuple(CURRENCIES)]
    Facility = Literal[FACILITIES]
    StandardsProfile = Literal[tuple(STANDARDS_PROFILES)]
    StandardKey = Literal[STANDARD_KEYS]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists a cluster code twice")
    return values


Sectors = Annotated[
    list[Sector],
    Field(max_length=len(SECTORS), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_unique),
]

# -- command requests ---------------------------------------------------------------------------

# Arguments carried by the URL path (e.g. POST /plans/{plan}/join): the entity the command acts
# on, and the sector for the per-sector camp commands. Commands creating an entity take its
# slug in the body (POST /plans with {"plan": "…"}).
PATH_ARGS: Final[Mapping[str, tuple[str, ...]]] = {
    name: (
        ()
        if any(a.creates for a in spec.args)
        else ("camp", "sector")
        if name in ("reassign_sector", "release_sector")
        else (spec.entity,)
    )
    for name, spec in COMMANDS.items()
}

_EXAMPLES: Final[Mapping[str, Any]] = {
    "partner": "pwj",
    "source": "jpf",
    "plan": "kosovo-1999",
    "stockpile": "durres-port",
    "camp": "korce",
    "name": "Peace Winds Japan",
    "title": "Camp Japan",
    "crisis": "Kosovo refugee crisis 1999",
    "region": "Albania",
    "location": "Korçë district",
    "planning_figure": 5000,
    "ready_days": 3,
    "site_area_m2": 200000,
    "shelter_capacity": 5000,
    "people": 120,
    "under5": 18,
    "elderly": 9,
    "disabled": 3,
    "pregnant_lactating": 6,
    "unaccompanied_minors": 2,
    "amount": 5_000_000,
    "currency": "JPY",
    "quantity": 2000,
    "item": "water",
    "facility": "latrine",
    "count": 10,
    "sector": "WSH",
    "sectors": ["SHL", "CCM"],
    "required_sectors": ["CCM", "SHL", "WSH", "FSC", "HEA", "PRO"],
    "kind": "ngo",
    "role": "implementer",
    "shipment": "truck-7",
    "offer": "acme-water-1",
}


_FIELD_TYPES: Final[Mapping[str, Any]] = {
    "slug": Slug,
    "slugs": list[Slug],
    "text": Text,
    "positive_int": PositiveInt,
    "non_negative_int": NonNegativeInt,
    "positive_number": PositiveNumber,
    "sector": Sector,
    "sectors": Sectors,
    "item": Item,
    "currency": Currency,
    "facility": Facility,
    "area_code": AreaCode,
    "latitude": Latitude,
    "longitude": Longitude,
    "time": Time,
}


def _field_type(arg: Arg) -> Any:
    if arg.type == "choice":
        return Literal[arg.choices]
    if arg.type in _FIELD_TYPES:
        return _FIELD_TYPES[arg.type]
    raise ValueError(f"no schema type for argument type {arg.type!r}")  # pragma: no cover


def _description(spec: CommandSpec, arg: Arg) -> str:
    if arg.type == "slug":
        what = f"slug of the {arg.entity}"
        return f"{what} to create" if arg.creates else what
    return {
        "positive_int": "whole number greater than 0",
        "non_negative_int": "whole number, 0 or more",
        "positive_number": "number greater than 0",
        "currency": "ISO 4217 currency code (amounts are integer minor units)",
        "item": "catalog item",
        "facility": "facility kind",
        "sector": "cluster code",
        "sectors": "cluster codes",
        "area_code": "administrative area code (P-code), letters, digits, '_' or '-'",
        "latitude": "WGS 84 latitude, decimal degrees (with lon)",
        "longitude": "WGS 84 longitude, decimal degrees (with lat)",
        "time": "ISO 8601 time with an offset, strictly after the command's time",
    }.get(arg.type, arg.name.replace("_", " "))


def _class_name(command: str) -> str:
    return "".join(part.capitalize() for part in command.split("_")) + "Request"


class CommandBody(BaseModel):
    """Base of every command request body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    def arguments(self) -> dict[str, Any]:
        """The arguments given (unset optional ones left out)."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


_DRAFT_EXTRAS: Final[dict[str, Any]] = {
    "standards_profile": (
        StandardsProfile | None,
        Field(None, description="standards profile (default sphere-emergency)"),
    ),
    "standards_overrides": (
        dict[StandardKey, PositiveNumber] | None,
        Field(
            None,
            description="per-plan overrides: daily need per person of a consumable, or people "
            "per unit of a facility",
            examples=[{"water": 20}],
        ),
    ),
}
SERVICE_ONLY_ARGS: Final = frozenset(_DRAFT_EXTRAS)


def _request_model(name: str, spec: CommandSpec) -> type[CommandBody]:
    fields: dict[str, Any] = {}
    example: dict[str, Any] = {}
    for arg in spec.args:
        if arg.name in PATH_ARGS[name]:
            continue
        kind = _field_type(arg)
        description = _description(spec, arg)
        if arg.required:
            fields[arg.name] = (kind, Field(..., description=description))
        else:
            fields[arg.name] = (kind | None, Field(None, description=description))
        if arg.name in _EXAMPLES and (arg.required or arg.name in ("sectors", "under5")):
            example[arg.name] = _EXAMPLES[arg.name]
    if name == "draft_plan":
        fields.update(_DRAFT_EXTRAS)
    if name == "write_off_supplies":
        example["reason"] = "expired"
    model = create_model(  # type: ignore[call-overload]
        _class_name(name),
        __base__=CommandBody,
        __doc__=f"Body of the `{name}` command.",
        **fields,
    )
    model.model_config["json_schema_extra"] = {"examples": [example]}
    model.model_rebuild(force=True)
    return model  # type: ignore[no-any-return]


REQUEST_MODELS: Final[Mapping[str, type[CommandBody]]] = {
    name: _request_model(name, spec) for name, spec in COMMANDS.items()
}

# -- responses ----------------------------------------------------------------------------------


if TYPE_CHECKING:
    EntityKind = str
else:
    EntityKind = Literal[ENTITY_KINDS]  # every kind of the command table


class CommandResponse(BaseModel):
    """What a command did: the entity it acted on, its new version, the last event's position."""

    entity: EntityKind
    slug: str
    id: str = Field(description="the entity's id (uuid)")
    version: int = Field(description="the entity's new version (also the ETag)")
    position: int = Field(
        description="position of the last stored event; pass it as ?after= to read your write"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity": "plan",
                    "slug": "kosovo-1999",
                    "id": "a2bab1a9-a0fe-5eb3-96ee-13f40081fe9c",
                    "version": 4,
                    "position": 57,
                }
            ]
        }
    )


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    type: str = Field(examples=["urn:response-planner:problem:domain-refusal"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = Field(None, description="the offending field, when there is one")
    rule: str | None = Field(None, description="for domain refusals: the rule that refused")
    errors: list[dict[str, Any]] | None = Field(None, description="for 422: every problem found")

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:response-planner:problem:domain-refusal",
                    "title": "Refused by a domain rule",
                    "status": 409,
                    "detail": "stockpile 'durres-port' holds 500 free water, not 2000",
                    "instance": "/stockpiles/durres-port/dispatches",
                    "field": "quantity",
                    "rule": "stock never goes below zero",
                }
            ]
        },
    )


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
    status: Literal["in_transit", "delivered", "lost", "returned"]
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
    status: Literal["open", "committed", "fulfilled", "declined", "expired", "withdrawn"]
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


class StockTotals(BaseModel):
    """On hand, reserved and available per item, over every stockpile."""

    items: dict[str, StockLevels]


class ThreeWRow(BaseModel):
    """One row of the 3W table (who does what where)."""

    model_config = ConfigDict(extra="allow")

    partner: str
    partner_name: str
    kind: str
    role: str
    sector: str
    lead: str = Field(description="lead or co-lead")
    camp: str
    site_name: str
    site_kind: str
    adm1: str | None
    adm2: str | None
    lat: float | None
    lon: float | None
    location: str
    plan: str
    status: str
    since: str
    population: int | None = Field(
        description="the camp's population, on the first row of each camp only (null on the "
        "others), so that a sum over rows counts each camp once"
    )


class ThreeWPage(Page):
    """A page of 3W rows."""

    items: list[ThreeWRow]


class TimelineEntry(BaseModel):
    """A camp or plan changed status."""

    kind: Literal["camp", "plan"]
    id: str
    slug: str
    position: int
    at: str
    from_: str | None = Field(alias="from")
    to: str


class TimelinePage(Page):
    """A page of the readiness timeline, oldest first."""

    items: list[TimelineEntry]


class PartnerState(BaseModel):
    """A partner as the registry holds it (read from the event store)."""

    partner: str
    id: str
    name: str
    kind: str
    sectors: list[str] | None
    active: bool
    version: int


class StoredEventRecord(BaseModel):
    """One entry of the notification log."""

    id: int = Field(description="position in the log")
    originator_id: str
    version: int
    topic: str
    state: dict[str, Any] = Field(description="the event's attributes, decoded")


class EventPage(BaseModel):
    """Events after a position; ask again with `after=next_after`."""

    items: list[StoredEventRecord]
    next_after: int
    last_position: int = Field(description="the newest position in the log")


class ScenarioCheckResult(BaseModel):
    """A scenario file that parses and validates."""

    ok: bool
    scenario: str
    title: str
    steps: int
    checks: int


class ScenarioReport(BaseModel):
    """The replay report, as `planner replay --json` prints it."""

    model_config = ConfigDict(extra="allow")

    scenario: str
    title: str
    ok: bool
    steps_total: int
    steps_applied: int
    events_stored: int
    timeline: list[dict[str, Any]]
    readiness: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    passed: int
    failed: int
    error: str | None


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """The database answers, and how far the views lag behind the event log."""

    status: Literal["ready", "unavailable", "lagging", "quarantined"]
    database: str
    last_position: int | None
    views_position: int | None
    lag: int | None = Field(description="events stored but not yet in the views")
    projector: str
    quarantined: int | None = Field(
        None, description="events the projector could not project (see docs/api.md)"
    )


class AreaView(BaseModel):
    """Readiness of an administrative area: every camp carrying its code, over all plans."""

    model_config = ConfigDict(extra="allow")

    area: str
    level: Literal["adm1", "adm2"]
    adm1: str | None
    camps: dict[str, int] = Field(description="camps by status, all four")
    population: int = Field(description="people in the open camps")
    people_by_status: dict[str, int]
    uncovered: dict[str, int] = Field(description="sector → open camps where it is uncovered")
    needs: dict[str, NeedTriple]
    camp_list: list[str]
    plans: list[str]


class AreaPage(Page):
    """A page of area views: adm1 areas, each followed by its adm2 areas."""

    items: list[AreaView]


class SiteImportReport(BaseModel):
    """What a site-list import stored."""

    plan: str
    sites: int = Field(description="camps established")
    people: int = Field(description="people registered in them")
    camps: list[str] = Field(description="slugs of the camps, in row order")
    position: int | None = Field(description="position of the last event stored (for `after`)")
