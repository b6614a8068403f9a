"""Who may run which command: the rights of each token role, checked before anything is stored.

- `admin`: every command, including the partner registry (register/withdraw partners).
- `coordinator`: drafts plans (and becomes their coordinator); every command on a plan its
  organization coordinates (is a member of with the role `coordinator`), on that plan's camps
  (establishing them included), and on the stockpiles committed to that plan; plus whatever a
  `partner` token of its organization may do.
- `partner`: commands on its organization's own stockpiles (opening them included); pledges in
  its own name; on the sectors its organization leads in a camp: handing the lead over
  (`reassign`) or giving it up (`release`), and the camp work of that sector — arrivals and
  departures for `CCM`, distributions of the sector's items, building the sector's facilities.
- `viewer`: queries only.

Rights are checked against the stored aggregates (not the views), so they hold the moment a
command is accepted. A non-admin token whose organization is unknown or withdrawn may run no
command. The coordinator check for stockpile commands without a camp uses the stockpile view's
plan list to find candidate plans, then checks each against the plan aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from api.auth import Principal
from api.errors import forbidden
from domain.camp import Camp
from domain.errors import NotFoundError
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service import PlannerService
from domain.stockpile import Stockpile
from projections.queries import ReadinessQueries

# The sector whose lead does a piece of camp work.
ITEM_SECTORS: Final[Mapping[str, str]] = {
    "water": "WSH",
    "hygiene_kit": "WSH",
    "jerrycan": "WSH",
    "soap": "WSH",
    "latrine_slab": "WSH",
    "food_ration": "FSC",
    "medical_kit": "HEA",
    "blanket": "SHL",
    "sleeping_mat": "SHL",
    "tent": "SHL",
}
FACILITY_SECTORS: Final[Mapping[str, str]] = {
    "latrine": "WSH",
    "water_tap": "WSH",
    "waste_container": "WSH",
    "bathing_shelter": "WSH",
    "health_post": "HEA",
}
REGISTRY_COMMANDS: Final = frozenset({"register_partner", "withdraw_partner"})
PLAN_COMMANDS: Final = frozenset(
    {
        "join_plan",
        "leave_plan",
        "pledge_funds",
        "receive_funds",
        "disburse_funds",
        "split_pool",
        "activate_plan",
        "stand_down_plan",
        "close_plan",
        "commit_stockpile",
    }
)
STOCKPILE_COMMANDS: Final = frozenset(
    {
        "receive_supplies",
        "reserve_supplies",
        "release_reservation",
        "dispatch_supplies",
        "write_off_supplies",
    }
)
CAMP_COMMANDS: Final = frozenset(
    {
        "assign_sector",
        "reassign_sector",
        "release_sector",
        "register_arrivals",
        "register_departures",
        "distribute_supplies",
        "build_facilities",
        "close_camp",
    }
)


def lead_sector(command: str, args: Mapping[str, Any]) -> str | None:
    """The sector whose lead may run this camp command, or None (coordinators only)."""
    if command in ("reassign_sector", "release_sector"):
        return str(args["sector"])
    if command in ("register_arrivals", "register_departures"):
        return "CCM"
    if command == "distribute_supplies":
        return ITEM_SECTORS.get(args["item"])
    if command == "build_facilities":
        return FACILITY_SECTORS.get(args["facility"])
    return None


class Policy:
    """Checks a principal's right to a command; raises a 403 problem when it has none."""

    def __init__(self, service: PlannerService, queries: ReadinessQueries) -> None:
        self.service = service
        self.queries = queries

    def authorize(self, principal: Principal, command: str, args: Mapping[str, Any]) -> None:
        """Return if the principal may run the command with these arguments, else raise 403."""
        role = principal.role
        if role == "admin":
            return
        if role == "viewer":
            raise forbidden("a viewer token may only query; commands need another role")
        if command in REGISTRY_COMMANDS:
            raise forbidden("only admin tokens manage the partner registry")
        me = self._organization(principal)
        if command == "draft_plan":
            if role == "coordinator":
                return
            raise forbidden("only coordinator and admin tokens draft plans")
        if command == "pledge_funds" and args["partner"] == principal.partner:
            return
        if command in PLAN_COMMANDS:
            self._require_coordinator(principal, me, self._plan(args["plan"]), command)
            return
        if command == "open_stockpile":
            if args["partner"] == principal.partner:
                return
            raise forbidden(
                f"a {role} token opens stockpiles only for its own organization "
                f"'{principal.partner}'",
                field="partner",
            )
        if command in STOCKPILE_COMMANDS:
            self._stockpile_right(principal, me, command, args)
            return
        if command == "establish_camp":
            self._require_coordinator(principal, me, self._plan(args["plan"]), command)
            return
        if command in CAMP_COMMANDS:
            self._camp_right(principal, me, command, args)
            return
        raise forbidden(f"no rule lets a {role} token run {command}")  # pragma: no cover

    # -- helpers -------------------------------------------------------------------------------

    def _organization(self, principal: Principal) -> Partner:
        slug = principal.partner or ""
        try:
            org = self.service.load("partner", slug, Partner)
        except NotFoundError:
            raise forbidden(
                f"this token's organization '{slug}' is not in the partner registry"
            ) from None
        if not org.active:
            raise forbidden(f"this token's organization '{slug}' has withdrawn")
        return org

    def _plan(self, slug: str) -> ResponsePlan:
        return self.service.load("plan", slug, ResponsePlan)

    def _plan_by_id(self, plan_id: UUID) -> ResponsePlan | None:
        plan: Any = self.service.repository.get(plan_id)
        return plan if isinstance(plan, ResponsePlan) else None

    @staticmethod
    def _coordinates(principal: Principal, me: Partner, plan: ResponsePlan | None) -> bool:
        if principal.role != "coordinator" or plan is None:
            return False
        member = plan.members.get(me.id)
        return member is not None and "coordinator" in member.roles

    def _require_coordinator(
        self, principal: Principal, me: Partner, plan: ResponsePlan, command: str
    ) -> None:
        if not self._coordinates(principal, me, plan):
            raise forbidden(
                f"{command} on plan '{plan.slug}' needs a coordinator token of an "
                f"organization that coordinates it; '{me.slug}' ({principal.role}) does not",
                field="plan",
            )

    def _stockpile_right(
        self, principal: Principal, me: Partner, command: str, args: Mapping[str, Any]
    ) -> None:
        depot = self.service.load("stockpile", args["stockpile"], Stockpile)
        if depot.partner_id == me.id:
            return
        if principal.role == "coordinator":
            for plan in self._plans_holding(depot, args.get("camp")):
                if depot.id in plan.stockpiles and self._coordinates(principal, me, plan):
                    return
        raise forbidden(
            f"{command} on stockpile '{depot.slug}' needs a token of the organization that holds "
            "it, or a coordinator token of a plan it is committed to",
            field="stockpile",
        )

    def _plans_holding(self, depot: Stockpile, camp: str | None) -> list[ResponsePlan]:
        plans: list[ResponsePlan] = []
        if camp is not None:
            site = self.service.load("camp", camp, Camp)
            plan = self._plan_by_id(site.plan_id)
            if plan is not None:
                plans.append(plan)
        view = self.queries.view("stockpile", str(depot.id))
        for slug in (view or {}).get("plans", []):
            if self.service.exists("plan", slug):
                plans.append(self._plan(slug))
        return plans

    def _camp_right(
        self, principal: Principal, me: Partner, command: str, args: Mapping[str, Any]
    ) -> None:
        site = self.service.load("camp", args["camp"], Camp)
        if self._coordinates(principal, me, self._plan_by_id(site.plan_id)):
            return
        sector = lead_sector(command, args)
        if sector is not None and site.leads.get(sector) == me.id:
            return
        needs = (
            f"or a token of the organization leading {sector} there"
            if sector is not None
            else "(sector leads may not run it)"
        )
        raise forbidden(
            f"{command} in camp '{site.slug}' needs a coordinator token of its plan {needs}",
            field="camp",
        )
