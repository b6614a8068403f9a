"""ResponsePlan: a tripartite plan for one crisis, its members, its pooled fund and stockpiles."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.catalog import (
    DEFAULT_PROFILE,
    DEFAULT_READY_DAYS,
    DEFAULT_REQUIRED_SECTORS,
    PLAN_ROLES,
)
from domain.errors import (
    DomainRefusal,
    FundingError,
    MembershipError,
    StatusError,
    require_within_bound,
)
from domain.plan_rules import (
    checked_standards,
    require_plan_figures,
    require_positive_amount,
    require_status_for,
)


@dataclass
class Membership:
    """An active member of a plan: its kind (fixed at registration) and its roles."""

    kind: str
    roles: list[str] = field(default_factory=list)


class ResponsePlan(PlannerAggregate):
    """A plan for one crisis, shared by NGOs, business and government as equal partners."""

    class Drafted(PlannerAggregate.Created):
        """The plan was written down; nothing is activated yet."""

        slug: str
        title: str
        crisis: str
        region: str
        planning_figure: int
        required_sectors: list[str]
        ready_days: float
        standards_profile: str
        standards_overrides: dict[str, float]

    class PartnerJoined(PlannerAggregate.Event):
        """A partner joined the plan in a role."""

        partner_id: UUID
        kind: str
        role: str

    class PartnerLeft(PlannerAggregate.Event):
        """A partner left the plan (all its roles)."""

        partner_id: UUID

    class FundsPledged(PlannerAggregate.Event):
        """A partner pledged money (integer minor units)."""

        partner_id: UUID
        amount: int
        currency: str

    class FundsReceived(PlannerAggregate.Event):
        """Money against a pledge reached the pooled fund."""

        partner_id: UUID
        amount: int
        currency: str

    class FundsDisbursed(PlannerAggregate.Event):
        """Money left the pool for a member partner."""

        partner_id: UUID
        amount: int
        currency: str

    class PoolSplit(PlannerAggregate.Event):
        """The undisbursed pool was shared equally among the member NGOs."""

        currency: str
        recipients: list[UUID]
        share: int
        remainder: int

    class StockpileCommitted(PlannerAggregate.Event):
        """A stockpile was committed to the plan (pre-positioned supplies)."""

        stockpile_id: UUID

    class StockpileWithdrawn(PlannerAggregate.Event):
        """A stockpile's holder withdrew it from the plan (it no longer counts there)."""

        stockpile_id: UUID

    class Activated(PlannerAggregate.Event):
        """The crisis arrived and the plan went live."""

    class StoodDown(PlannerAggregate.Event):
        """The response is winding down."""

        reason: str

    class Closed(PlannerAggregate.Event):
        """The plan ended (possibly without ever being activated)."""

        reason: str

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        slug: str,
        title: str,
        crisis: str,
        planning_figure: int,
        region: str = "",
        required_sectors: list[str] | None = None,
        ready_days: float = DEFAULT_READY_DAYS,
        standards_profile: str = DEFAULT_PROFILE,
        standards_overrides: dict[str, float] | None = None,
    ) -> ResponsePlan:
        """Draft a plan after checking its figures and standards."""
        require_plan_figures(planning_figure, ready_days)
        overrides = checked_standards(standards_profile, standards_overrides)
        sectors = list(DEFAULT_REQUIRED_SECTORS if required_sectors is None else required_sectors)
        return cls._create(
            cls.Drafted,
            id=id,
            slug=slug,
            title=title,
            crisis=crisis,
            region=region,
            planning_figure=planning_figure,
            required_sectors=sectors,
            ready_days=ready_days,
            standards_profile=standards_profile,
            standards_overrides=overrides,
        )

    @event(Drafted)
    def __init__(
        self,
        *,
        slug: str,
        title: str,
        crisis: str,
        region: str,
        planning_figure: int,
        required_sectors: list[str],
        ready_days: float,
        standards_profile: str,
        standards_overrides: dict[str, float],
    ) -> None:
        self.slug = slug
        self.title = title
        self.crisis = crisis
        self.region = region
        self.planning_figure = planning_figure
        self.required_sectors = list(required_sectors)
        self.ready_days = ready_days
        self.standards_profile = standards_profile
        self.standards_overrides = dict(standards_overrides)
        self.status = "drafted"
        self.members: dict[UUID, Membership] = {}
        self.pledged: dict[tuple[UUID, str], int] = defaultdict(int)
        self.received: dict[tuple[UUID, str], int] = defaultdict(int)
        self.received_total: dict[str, int] = defaultdict(int)
        self.disbursed_total: dict[str, int] = defaultdict(int)
        self.stockpiles: list[UUID] = []

    # -- queries -------------------------------------------------------------------------------

    def pool_balance(self, currency: str) -> int:
        """Money received and not yet disbursed, in minor units."""
        return self.received_total[currency] - self.disbursed_total[currency]

    def outstanding_pledge(self, partner_id: UUID, currency: str) -> int:
        """What a partner pledged and has not yet paid in."""
        key = (partner_id, currency)
        return self.pledged[key] - self.received[key]

    def is_member(self, partner_id: UUID) -> bool:
        """True if the partner is an active member of the plan."""
        return partner_id in self.members

    def require_open(self, doing: str) -> None:
        """Refuse any command on a closed plan."""
        if self.status == "closed":
            raise StatusError(
                f"plan '{self.slug}' is closed and accepts no commands (tried to {doing})",
                rule="a closed plan accepts no commands",
                field="plan",
            )

    # -- membership ----------------------------------------------------------------------------

    def join(self, *, partner_id: UUID, partner_slug: str, kind: str, role: str) -> None:
        """Add a partner in a role (a member may hold several roles)."""
        self.require_open("add a member")
        if role not in PLAN_ROLES:
            raise MembershipError(f"unknown role {role!r}", field="role")
        member = self.members.get(partner_id)
        if member is not None and role in member.roles:
            raise MembershipError(
                f"partner '{partner_slug}' is already a {role} of plan '{self.slug}'",
                field="role",
            )
        self._join(partner_id=partner_id, kind=kind, role=role)

    @event(PartnerJoined)
    def _join(self, partner_id: UUID, kind: str, role: str) -> None:
        self.members.setdefault(partner_id, Membership(kind)).roles.append(role)

    def leave(self, *, partner_id: UUID, partner_slug: str) -> None:
        """Remove a member partner from the plan."""
        self.require_open("remove a member")
        if partner_id not in self.members:
            raise MembershipError(
                f"partner '{partner_slug}' is not a member of plan '{self.slug}'",
                field="partner",
            )
        self._leave(partner_id=partner_id)

    @event(PartnerLeft)
    def _leave(self, partner_id: UUID) -> None:
        del self.members[partner_id]

    # -- funding -------------------------------------------------------------------------------

    def pledge(self, *, partner_id: UUID, amount: int, currency: str) -> None:
        """Record a pledge."""
        self.require_open("record a pledge")
        require_positive_amount(amount)
        total = sum(v for (_, code), v in self.pledged.items() if code == currency)
        require_within_bound(total, amount, f"{currency} pledged to plan '{self.slug}'", "amount")
        self._pledge(partner_id=partner_id, amount=amount, currency=currency)

    @event(FundsPledged)
    def _pledge(self, partner_id: UUID, amount: int, currency: str) -> None:
        self.pledged[(partner_id, currency)] += amount

    def receive(self, *, partner_id: UUID, partner_slug: str, amount: int, currency: str) -> None:
        """Record money received against the partner's outstanding pledge."""
        self.require_open("receive funds")
        require_positive_amount(amount)
        outstanding = self.outstanding_pledge(partner_id, currency)
        if amount > outstanding:
            raise FundingError(
                f"plan '{self.slug}' cannot receive {amount} {currency} from '{partner_slug}': "
                f"its outstanding pledge is {outstanding} {currency} "
                f"(pledged {self.pledged[(partner_id, currency)]}, "
                f"received {self.received[(partner_id, currency)]})",
                rule="receipts never exceed the outstanding pledge",
                field="amount",
            )
        self._receive(partner_id=partner_id, amount=amount, currency=currency)

    @event(FundsReceived)
    def _receive(self, partner_id: UUID, amount: int, currency: str) -> None:
        self.received[(partner_id, currency)] += amount
        self.received_total[currency] += amount

    def disburse(self, *, partner_id: UUID, partner_slug: str, amount: int, currency: str) -> None:
        """Pay money from the pool to a member partner."""
        self.require_open("disburse funds")
        require_positive_amount(amount)
        if partner_id not in self.members:
            raise MembershipError(
                f"plan '{self.slug}' can disburse only to members; '{partner_slug}' is not one",
                rule="disbursements go to members",
                field="partner",
            )
        balance = self.pool_balance(currency)
        if amount > balance:
            raise FundingError(
                f"plan '{self.slug}' cannot disburse {amount} {currency}: "
                f"the pool holds {balance} {currency}",
                rule="disbursements never exceed the pool balance",
                field="amount",
            )
        self._disburse(partner_id=partner_id, amount=amount, currency=currency)

    @event(FundsDisbursed)
    def _disburse(self, partner_id: UUID, amount: int, currency: str) -> None:
        self.disbursed_total[currency] += amount

    def split_pool(self, *, currency: str, ngo_members: list[UUID]) -> None:
        """Share the pool equally among the given active member NGOs; keep the remainder."""
        self.require_open("split the pool")
        if not ngo_members:
            raise MembershipError(
                f"plan '{self.slug}' has no active member NGO to share the pool with",
                rule="the pool is split among member NGOs",
                field="plan",
            )
        for partner_id in ngo_members:
            if partner_id not in self.members or self.members[partner_id].kind != "ngo":
                raise MembershipError(f"{partner_id} is not a member NGO of plan '{self.slug}'")
        balance = self.pool_balance(currency)
        if balance <= 0:
            raise FundingError(
                f"plan '{self.slug}' has nothing in its {currency} pool to split",
                rule="disbursements never exceed the pool balance",
                field="currency",
            )
        share, remainder = divmod(balance, len(ngo_members))
        self._split_pool(
            currency=currency, recipients=list(ngo_members), share=share, remainder=remainder
        )

    @event(PoolSplit)
    def _split_pool(
        self, currency: str, recipients: list[UUID], share: int, remainder: int
    ) -> None:
        self.disbursed_total[currency] += share * len(recipients)

    # -- stockpiles and lifecycle --------------------------------------------------------------

    def commit_stockpile(self, *, stockpile_id: UUID, stockpile_slug: str) -> None:
        """Commit a stockpile's supplies to this plan."""
        self.require_open("commit a stockpile")
        if stockpile_id in self.stockpiles:
            raise DomainRefusal(
                f"stockpile '{stockpile_slug}' is already committed to plan '{self.slug}'",
                rule="a stockpile is committed once",
                field="stockpile",
            )
        self._commit_stockpile(stockpile_id=stockpile_id)

    @event(StockpileCommitted)
    def _commit_stockpile(self, stockpile_id: UUID) -> None:
        self.stockpiles.append(stockpile_id)

    def withdraw_stockpile(self, *, stockpile_id: UUID, stockpile_slug: str) -> None:
        """Withdraw a committed stockpile from this plan (its reservations stay)."""
        self.require_open("withdraw a stockpile")
        if stockpile_id not in self.stockpiles:
            raise DomainRefusal(
                f"stockpile '{stockpile_slug}' is not committed to plan '{self.slug}'",
                rule="only a committed stockpile is withdrawn",
                field="stockpile",
            )
        self._withdraw_stockpile(stockpile_id=stockpile_id)

    @event(StockpileWithdrawn)
    def _withdraw_stockpile(self, stockpile_id: UUID) -> None:
        self.stockpiles.remove(stockpile_id)

    def activate(self) -> None:
        """Activate the plan: the crisis is here."""
        self._require_status_for("activate")
        self._activate()

    @event(Activated)
    def _activate(self) -> None:
        self.status = "activated"

    def stand_down(self, *, reason: str = "") -> None:
        """Start standing the response down."""
        self._require_status_for("stand down")
        self._stand_down(reason=reason)

    @event(StoodDown)
    def _stand_down(self, reason: str) -> None:
        self.status = "standing_down"

    def close(self, *, reason: str = "") -> None:
        """Close the plan, from any status but closed."""
        self._require_status_for("close")
        self._close(reason=reason)

    @event(Closed)
    def _close(self, reason: str) -> None:
        self.status = "closed"

    def _require_status_for(self, action: str) -> None:
        require_status_for(self.slug, self.status, action)
