"""Response schemas of commands, problems, reports, the 3W, the timeline, events and areas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from api.view_models import (
    NeedTriple,
    Page,
    StockLevels,
)
from domain.commands import (
    ENTITY_KINDS,
)

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
    errors: list[dict[str, object]] | None = Field(None, description="for 422: every problem found")

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
    state: dict[str, object] = Field(description="the event's attributes, decoded")


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
    timeline: list[dict[str, object]]
    readiness: list[dict[str, object]]
    checks: list[dict[str, object]]
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
