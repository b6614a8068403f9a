"""The service's commands on partners and plans: membership, money, committed stockpiles."""

from __future__ import annotations

from domain.catalog import DEFAULT_PROFILE, DEFAULT_READY_DAYS
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service_core import CommandResult, ServiceCore, command
from domain.stockpile import Stockpile


class PlanCommands(ServiceCore):
    """Register partners; draft, run and close plans; pledge, receive and pay money."""

    # -- partners ------------------------------------------------------------------------------

    @command
    def register_partner(
        self, *, partner: str, name: str, kind: str, sectors: list[str] | None = None
    ) -> CommandResult:
        """Enter an organization in the registry."""
        new = Partner.register(
            id=self._require_new("partner", partner),
            slug=partner,
            name=name,
            kind=kind,
            sectors=sectors,
        )
        return self._commit("partner", new)

    @command
    def withdraw_partner(self, *, partner: str, reason: str = "") -> CommandResult:
        """Withdraw a partner: it stays on record and no longer counts."""
        org = self.load("partner", partner, Partner)
        org.withdraw(reason=reason)
        return self._commit("partner", org)

    # -- plans ---------------------------------------------------------------------------------

    @command
    def draft_plan(
        self,
        *,
        plan: str,
        title: str,
        crisis: str,
        planning_figure: int,
        region: str = "",
        required_sectors: list[str] | None = None,
        ready_days: float = DEFAULT_READY_DAYS,
        standards_profile: str = DEFAULT_PROFILE,
        standards_overrides: dict[str, float] | None = None,
    ) -> CommandResult:
        """Write down a plan for a crisis (status drafted)."""
        new = ResponsePlan.draft(
            id=self._require_new("plan", plan),
            slug=plan,
            title=title,
            crisis=crisis,
            planning_figure=planning_figure,
            region=region,
            required_sectors=required_sectors,
            ready_days=ready_days,
            standards_profile=standards_profile,
            standards_overrides=standards_overrides,
        )
        return self._commit("plan", new)

    @command
    def join_plan(self, *, plan: str, partner: str, role: str) -> CommandResult:
        """Add an active partner to a plan in a role."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active(f"join plan '{plan}'")
        the_plan.join(partner_id=org.id, partner_slug=org.slug, kind=org.kind, role=role)
        return self._commit("plan", the_plan)

    @command
    def leave_plan(self, *, plan: str, partner: str) -> CommandResult:
        """Remove a member from a plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        the_plan.leave(partner_id=org.id, partner_slug=org.slug)
        return self._commit("plan", the_plan)

    @command
    def pledge_funds(self, *, plan: str, partner: str, amount: int, currency: str) -> CommandResult:
        """Record an active partner's pledge to the plan's pooled fund."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active("pledge funds")
        the_plan.pledge(partner_id=org.id, amount=amount, currency=currency)
        return self._commit("plan", the_plan)

    @command
    def receive_funds(
        self, *, plan: str, partner: str, amount: int, currency: str
    ) -> CommandResult:
        """Record money received against a partner's outstanding pledge."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        the_plan.receive(partner_id=org.id, partner_slug=org.slug, amount=amount, currency=currency)
        return self._commit("plan", the_plan)

    @command
    def disburse_funds(
        self, *, plan: str, partner: str, amount: int, currency: str
    ) -> CommandResult:
        """Pay from the pool to an active member partner."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active("receive a disbursement")
        the_plan.disburse(
            partner_id=org.id, partner_slug=org.slug, amount=amount, currency=currency
        )
        return self._commit("plan", the_plan)

    @command
    def split_pool(self, *, plan: str, currency: str) -> CommandResult:
        """Share the undisbursed pool equally among the active member NGOs."""
        the_plan = self.load("plan", plan, ResponsePlan)
        ngos = [
            partner_id
            for partner_id, member in the_plan.members.items()
            if member.kind == "ngo" and self.by_id(partner_id).active
        ]
        the_plan.split_pool(currency=currency, ngo_members=ngos)
        return self._commit("plan", the_plan)

    @command
    def activate_plan(self, *, plan: str) -> CommandResult:
        """Activate a drafted plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.activate()
        return self._commit("plan", the_plan)

    @command
    def stand_down_plan(self, *, plan: str, reason: str = "") -> CommandResult:
        """Start standing down an activated plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.stand_down(reason=reason)
        return self._commit("plan", the_plan)

    @command
    def close_plan(self, *, plan: str, reason: str = "") -> CommandResult:
        """Close a plan (from drafted, activated or standing down)."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.close(reason=reason)
        return self._commit("plan", the_plan)

    @command
    def commit_stockpile(self, *, plan: str, stockpile: str) -> CommandResult:
        """Commit a stockpile's supplies to a plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        depot = self.load("stockpile", stockpile, Stockpile)
        the_plan.commit_stockpile(stockpile_id=depot.id, stockpile_slug=depot.slug)
        return self._commit("plan", the_plan)

    @command
    def withdraw_stockpile(self, *, plan: str, stockpile: str) -> CommandResult:
        """Withdraw a stockpile from a plan it is committed to."""
        the_plan = self.load("plan", plan, ResponsePlan)
        depot = self.load("stockpile", stockpile, Stockpile)
        the_plan.withdraw_stockpile(stockpile_id=depot.id, stockpile_slug=depot.slug)
        return self._commit("plan", the_plan)
