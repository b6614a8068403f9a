"""Who may run which command: one row per command of the command table, checked in the service.

A row lists grants; a grant names the token roles it is for and the relations that must all hold
between the caller's organization and the entities the command names (whose entity it is). An
`admin` token may run every command; a `viewer` token none; any other token's organization must
be registered and not withdrawn. A row marked `revokes` may take a right away from someone (a
member leaves, a lead changes hands, a partner withdraws, a stockpile is withdrawn): the service
runs it alone, so every command ordered after it is checked against the new state.

A new command is one row in RIGHTS (and, if no relation below fits, one new Relation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar
from uuid import UUID

from domain.base import PlannerAggregate
from domain.camp import Camp
from domain.catalog import CAMP_MANAGEMENT_SECTOR, FACILITY_SECTORS, ITEM_SECTORS
from domain.errors import NotFoundError, PlannerError
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.shipment import Shipment
from domain.stockpile import Stockpile

A = TypeVar("A", bound=PlannerAggregate)

ADMIN: Final = "admin"
VIEWER: Final = "viewer"
COORDINATOR: Final = ("coordinator",)
# Token roles acting for their organization (a coordinator token may do what a partner token may).
MEMBER_ROLES: Final = ("partner", "coordinator")


class RightsError(PlannerError):
    """The caller's token has no right to this command on these entities (HTTP 403)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    """Who runs a command: a token's role and its organization's slug (None for an admin)."""

    role: str
    partner: str | None


class Facts(Protocol):
    """The stored state rights are checked against (the service, inside its command lock)."""

    def load(self, kind: str, slug: str, cls: type[A]) -> A:
        """The entity of this kind and slug (NotFoundError if none)."""

    def by_id(self, aggregate_id: UUID) -> Any:
        """The aggregate of this id."""


@dataclass(frozen=True)
class Call:
    """One command as the relations see it: the caller's organization and the arguments."""

    facts: Facts
    me: Partner
    command: str
    args: Mapping[str, Any]
    sector: str | None


@dataclass(frozen=True)
class Relation:
    """A relation between the caller's organization and the command's entities."""

    name: str
    says: str  # whose entity, for the docs' rights table
    holds: Callable[[Call], bool]


def _coordinates(call: Call, plan: ResponsePlan) -> bool:
    member = plan.members.get(call.me.id)
    return member is not None and "coordinator" in member.roles


def _camp_plan(call: Call) -> ResponsePlan:
    site = call.facts.load("camp", call.args["camp"], Camp)
    plan: ResponsePlan = call.facts.by_id(site.plan_id)
    return plan


def _plan(call: Call) -> ResponsePlan:
    return call.facts.load("plan", call.args["plan"], ResponsePlan)


def _holds_stockpile(call: Call) -> bool:
    return call.facts.load("stockpile", call.args["stockpile"], Stockpile).partner_id == call.me.id


def _committed_to_camp_plan(call: Call) -> bool:
    depot = call.facts.load("stockpile", call.args["stockpile"], Stockpile)
    plan = _camp_plan(call)
    return depot.id in plan.stockpiles and _coordinates(call, plan)


def _leads_sector(call: Call) -> bool:
    if call.sector is None:
        return False
    site = call.facts.load("camp", call.args["camp"], Camp)
    return site.leads.get(call.sector) == call.me.id


ANYONE = Relation("any", "no entity of anyone else", lambda call: True)
OWN_ORGANIZATION = Relation(
    "own organization",
    "the caller's own organization is the `partner` named",
    lambda call: call.args.get("partner") == call.me.slug,
)
PLAN_MEMBER = Relation(
    "plan member",
    "the caller's organization is a member of the plan",
    lambda call: _plan(call).is_member(call.me.id),
)
PLAN_COORDINATOR = Relation(
    "plan coordinator",
    "the caller's organization coordinates the plan",
    lambda call: _coordinates(call, _plan(call)),
)
CAMP_COORDINATOR = Relation(
    "camp's plan coordinator",
    "the caller's organization coordinates the camp's plan",
    lambda call: _coordinates(call, _camp_plan(call)),
)
STOCKPILE_HOLDER = Relation(
    "stockpile holder", "the caller's organization holds the stockpile", _holds_stockpile
)
COMMITTED_STOCK_COORDINATOR = Relation(
    "coordinator of committed stock",
    "the stockpile is committed to the camp's plan and the caller's organization coordinates it",
    _committed_to_camp_plan,
)
SECTOR_LEAD = Relation(
    "sector lead",
    "the caller's organization leads the sector of this work in the camp",
    _leads_sector,
)


# -- shipments and offers (issue 16): relations through the shipment or offer the command names


def _shipment(call: Call) -> Shipment:
    return call.facts.load("shipment", call.args["shipment"], Shipment)


def _offer(call: Call) -> Offer:
    return call.facts.load("offer", call.args["offer"], Offer)


def _holds_shipment_origin(call: Call) -> bool:
    depot: Stockpile = call.facts.by_id(_shipment(call).stockpile_id)
    return depot.partner_id == call.me.id


def _coordinates_shipment_camp(call: Call) -> bool:
    site: Camp = call.facts.by_id(_shipment(call).camp_id)
    return _coordinates(call, call.facts.by_id(site.plan_id))


def _leads_shipment_item(call: Call) -> bool:
    cargo = _shipment(call)
    site: Camp = call.facts.by_id(cargo.camp_id)
    sector = ITEM_SECTORS.get(cargo.item)
    return sector is not None and site.leads.get(sector) == call.me.id


def _coordinates_offer_plan(call: Call) -> bool:
    plan_id = _offer(call).plan_id
    # An offer for no plan in particular is open to every plan: any coordinator may decline it.
    return plan_id is None or _coordinates(call, call.facts.by_id(plan_id))


SHIPMENT_HOLDER = Relation(
    "shipment's stockpile holder",
    "the caller's organization holds the stockpile the shipment left",
    _holds_shipment_origin,
)
SHIPMENT_COORDINATOR = Relation(
    "shipment's camp coordinator",
    "the caller's organization coordinates the plan of the shipment's camp",
    _coordinates_shipment_camp,
)
SHIPMENT_SECTOR_LEAD = Relation(
    "shipment's item sector lead",
    "the caller's organization leads, in the receiving camp, the sector of the shipment's item",
    _leads_shipment_item,
)
OFFER_DONOR = Relation(
    "offer's donor",
    "the caller's organization made the offer",
    lambda call: _offer(call).partner_id == call.me.id,
)
OFFER_PLAN_COORDINATOR = Relation(
    "offer's plan coordinator",
    "the caller's organization coordinates the offer's plan (any plan, if it names none)",
    _coordinates_offer_plan,
)


@dataclass(frozen=True)
class Grant:
    """Tokens of these roles may run the command when every relation holds."""

    roles: tuple[str, ...]
    relations: tuple[Relation, ...]


@dataclass(frozen=True)
class Rights:
    """Who may run one command (besides admin tokens), and whether it may revoke a right."""

    grants: tuple[Grant, ...] = ()
    revokes: bool = False
    sector: Callable[[Mapping[str, object]], str | None] | None = None


def _grant(roles: tuple[str, ...], *relations: Relation) -> Grant:
    return Grant(roles, relations)


ADMIN_ONLY: Final = Rights()
PLAN_COORDINATORS: Final = Rights((_grant(COORDINATOR, PLAN_COORDINATOR),))
CAMP_COORDINATORS: Final = Rights((_grant(COORDINATOR, CAMP_COORDINATOR),))
HOLDER: Final = Rights((_grant(MEMBER_ROLES, STOCKPILE_HOLDER),))
STOCK_FOR_CAMP: Final = Rights(
    (_grant(MEMBER_ROLES, STOCKPILE_HOLDER), _grant(COORDINATOR, COMMITTED_STOCK_COORDINATOR))
)


def _camp_work(sector: Callable[[Mapping[str, Any]], str | None], revokes: bool = False) -> Rights:
    return Rights(
        (_grant(COORDINATOR, CAMP_COORDINATOR), _grant(MEMBER_ROLES, SECTOR_LEAD)),
        revokes=revokes,
        sector=sector,
    )


def _named_sector(args: Mapping[str, object]) -> str | None:
    return str(args["sector"])


RIGHTS: Final[Mapping[str, Rights]] = {
    "register_partner": ADMIN_ONLY,
    "withdraw_partner": Rights(revokes=True),
    "draft_plan": Rights((_grant(COORDINATOR, ANYONE),)),
    "join_plan": PLAN_COORDINATORS,
    "leave_plan": Rights(PLAN_COORDINATORS.grants, revokes=True),
    "pledge_funds": Rights((_grant(MEMBER_ROLES, OWN_ORGANIZATION, PLAN_MEMBER),)),
    "receive_funds": PLAN_COORDINATORS,
    "disburse_funds": PLAN_COORDINATORS,
    "split_pool": PLAN_COORDINATORS,
    "activate_plan": PLAN_COORDINATORS,
    "stand_down_plan": PLAN_COORDINATORS,
    "close_plan": Rights(PLAN_COORDINATORS.grants, revokes=True),
    "open_stockpile": Rights((_grant(MEMBER_ROLES, OWN_ORGANIZATION),)),
    "commit_stockpile": Rights((_grant(MEMBER_ROLES, STOCKPILE_HOLDER, PLAN_MEMBER),)),
    "withdraw_stockpile": Rights(HOLDER.grants, revokes=True),
    "receive_supplies": HOLDER,
    "reserve_supplies": STOCK_FOR_CAMP,
    "release_reservation": STOCK_FOR_CAMP,
    "dispatch_supplies": STOCK_FOR_CAMP,
    "write_off_supplies": HOLDER,
    "establish_camp": PLAN_COORDINATORS,
    "assign_sector": CAMP_COORDINATORS,
    "reassign_sector": _camp_work(_named_sector, revokes=True),
    "release_sector": _camp_work(_named_sector, revokes=True),
    "register_arrivals": _camp_work(lambda args: CAMP_MANAGEMENT_SECTOR),
    "register_departures": _camp_work(lambda args: CAMP_MANAGEMENT_SECTOR),
    "distribute_supplies": _camp_work(lambda args: ITEM_SECTORS.get(args["item"])),
    "build_facilities": _camp_work(lambda args: FACILITY_SECTORS.get(args["facility"])),
    "close_camp": Rights(CAMP_COORDINATORS.grants, revokes=True),
    # -- shipments and offers (issue 16) --
    "send_shipment": STOCK_FOR_CAMP,
    "deliver_shipment": Rights(
        (
            _grant(COORDINATOR, SHIPMENT_COORDINATOR),
            _grant(MEMBER_ROLES, SHIPMENT_SECTOR_LEAD),
        )
    ),
    "lose_shipment": Rights((_grant(MEMBER_ROLES, SHIPMENT_HOLDER),)),
    "return_shipment": Rights((_grant(MEMBER_ROLES, SHIPMENT_HOLDER),)),
    "offer_supplies": Rights((_grant(MEMBER_ROLES, OWN_ORGANIZATION),)),
    "accept_offer": CAMP_COORDINATORS,
    "decline_offer": Rights((_grant(COORDINATOR, OFFER_PLAN_COORDINATOR),)),
    "deliver_offer": Rights((_grant(MEMBER_ROLES, OFFER_DONOR),)),
    "withdraw_offer": Rights((_grant(MEMBER_ROLES, OFFER_DONOR),)),
}


def revokes(command: str) -> bool:
    """True if the command may take a right away (it then runs alone)."""
    return RIGHTS[command].revokes


def authorize(facts: Facts, actor: Actor, command: str, args: Mapping[str, object]) -> None:
    """Return if the actor may run the command with these arguments, else raise RightsError."""
    if actor.role == ADMIN:
        return
    if actor.role == VIEWER:
        raise RightsError("a viewer token may only query; commands need another role")
    rights = RIGHTS[command]
    grants = [grant for grant in rights.grants if actor.role in grant.roles]
    if not grants:
        who = " or ".join(sorted({r for g in rights.grants for r in g.roles} | {ADMIN}))
        raise RightsError(f"{command} needs a {who} token; this is a {actor.role} token")
    me = _organization(facts, actor)
    sector = rights.sector(args) if rights.sector is not None else None
    call = Call(facts, me, command, args, sector)
    failed: Relation | None = None
    for grant in grants:
        missing = next((r for r in grant.relations if not r.holds(call)), None)
        if missing is None:
            return
        failed = failed or missing
    field = _FIELD_OF.get(failed.name) if failed is not None else None
    raise RightsError(_refusal(actor, call, grants), field=field)


def _organization(facts: Facts, actor: Actor) -> Partner:
    slug = actor.partner or ""
    try:
        org = facts.load("partner", slug, Partner)
    except NotFoundError:
        raise RightsError(
            f"this token's organization '{slug}' is not in the partner registry"
        ) from None
    if not org.active:
        raise RightsError(f"this token's organization '{slug}' has withdrawn")
    return org


def _refusal(actor: Actor, call: Call, grants: list[Grant]) -> str:
    options = "; or ".join(" and ".join(r.says for r in grant.relations) for grant in grants)
    if call.sector is not None:
        options = options.replace("the sector of this work", f"sector {call.sector}")
    return (
        f"{call.command} needs a token of an organization for which: {options}. "
        f"'{call.me.slug}' ({actor.role} token) does not qualify"
    )


_FIELD_OF: Final = {
    OWN_ORGANIZATION.name: "partner",
    PLAN_MEMBER.name: "plan",
    PLAN_COORDINATOR.name: "plan",
    CAMP_COORDINATOR.name: "camp",
    STOCKPILE_HOLDER.name: "stockpile",
    COMMITTED_STOCK_COORDINATOR.name: "stockpile",
    SECTOR_LEAD.name: "camp",
    SHIPMENT_HOLDER.name: "shipment",
    SHIPMENT_COORDINATOR.name: "shipment",
    SHIPMENT_SECTOR_LEAD.name: "shipment",
    OFFER_DONOR.name: "offer",
    OFFER_PLAN_COORDINATOR.name: "offer",
}


def rights_table() -> str:
    """The rights as a Markdown table (role × command × whose entity), as docs/api.md shows it."""
    lines = [
        "| command | token roles (besides `admin`) | whose entity: every relation must hold |",
        "|---|---|---|",
    ]
    for command, rights in RIGHTS.items():
        mark = " (revokes: runs alone)" if rights.revokes else ""
        if not rights.grants:
            lines.append(f"| `{command}`{mark} | admin only | — |")
        for grant in rights.grants:
            roles = ", ".join(f"`{role}`" for role in grant.roles)
            whose = "; ".join(relation.says for relation in grant.relations)
            lines.append(f"| `{command}`{mark} | {roles} | {whose} |")
    return "\n".join(lines) + "\n"
