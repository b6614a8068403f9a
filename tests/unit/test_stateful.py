"""Random command sequences against a simple model (hypothesis state machines).

Every command goes through the in-memory PlannerService. The model predicts whether the
domain accepts or refuses it; a refused command must store nothing and change nothing. After
every step the invariants hold, and each aggregate reloaded from the store equals both the
model and the live object the service last worked on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.camp import Camp
from domain.camp_rules import POPULATION_FIELDS
from domain.catalog import FACILITIES, VULNERABLE_GROUPS
from domain.errors import PlannerError
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service import CommandResult, PlannerService
from domain.stockpile import Stockpile

SETTINGS = settings(
    max_examples=50,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
START = datetime(1999, 4, 1, tzinfo=UTC)


class TrackingService(PlannerService):
    """The planner service, remembering the live aggregates each command worked on."""

    def __init__(self) -> None:
        super().__init__({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock_fn=lambda: START)
        self.live: dict[UUID, Any] = {}

    def _commit(self, entity: str, primary: Any, *others: Any) -> CommandResult:
        for aggregate in (primary, *others):
            self.live[aggregate.id] = aggregate
        return super()._commit(entity, primary, *others)


def nonzero(mapping: dict[Any, int]) -> dict[Any, int]:
    """A counter without its zero entries (queries of a defaultdict add zero entries)."""
    return {key: value for key, value in mapping.items() if value != 0}


def state_of(aggregate: Any) -> dict[str, Any]:
    """The attributes that make up an aggregate's state, normalised for comparison."""
    state: dict[str, Any] = {"version": aggregate.version, "slug": aggregate.slug}
    if isinstance(aggregate, Stockpile):
        state |= {
            "on_hand": nonzero(aggregate.on_hand),
            "reserved": nonzero(aggregate.reserved),
            "reservations": nonzero(aggregate.reservations),
        }
    elif isinstance(aggregate, Camp):
        state |= {
            "closed": aggregate.closed,
            "leads": dict(aggregate.leads),
            "population": dict(aggregate.population),
            "stock": nonzero(aggregate.stock),
            "delivered": nonzero(aggregate.delivered),
            "facilities": dict(aggregate.facilities),
        }
    elif isinstance(aggregate, ResponsePlan):
        state |= {
            "status": aggregate.status,
            "members": {k: (m.kind, list(m.roles)) for k, m in aggregate.members.items()},
            "pledged": nonzero(aggregate.pledged),
            "received": nonzero(aggregate.received),
            "received_total": nonzero(aggregate.received_total),
            "disbursed_total": nonzero(aggregate.disbursed_total),
            "stockpiles": list(aggregate.stockpiles),
        }
    elif isinstance(aggregate, Partner):
        state |= {"withdrawn": aggregate.withdrawn, "sectors": aggregate.sectors}
    else:  # pragma: no cover
        raise TypeError(aggregate)
    return state


class ServiceMachine(RuleBasedStateMachine):
    """Shared plumbing: run a command, check the model's prediction, check refusals."""

    def __init__(self) -> None:
        super().__init__()
        self.service = TrackingService()
        self.commands = 0
        self._reloaded: dict[tuple[UUID, int], Any] = {}

    def stored(self) -> int:
        """How many events the store holds."""
        return self.service.recorder.max_notification_id() or 0

    def reloaded(self, aggregate_id: UUID) -> Any:
        """The aggregate as the store has it now (rebuilt once per stored position)."""
        key = (aggregate_id, self.stored())
        if key not in self._reloaded:
            self._reloaded = {k: v for k, v in self._reloaded.items() if k[1] == key[1]}
            self._reloaded[key] = self.service.repository.get(aggregate_id)
        return self._reloaded[key]

    def attempt(self, allowed: bool, run: Callable[[], object]) -> bool:
        """Run a command; it must succeed exactly when the model allows it."""
        # the live objects equal the store (checked after every step) and a command works on
        # fresh copies, so they are the state before this command
        before = {i: state_of(live) for i, live in self.service.live.items()}
        count = self.stored()
        self.commands += 1
        try:
            run()
        except PlannerError as error:
            assert not allowed, f"the model allows this command, the domain refused: {error}"
            assert self.stored() == count, "a refused command stored events"
            after = {i: state_of(self.service.repository.get(i)) for i in self.service.live}
            assert after == before, "a refused command changed state"
            return False
        assert allowed, "the model refuses this command, the domain accepted it"
        assert self.stored() > count
        return True

    @invariant()
    def reloading_equals_live_objects(self) -> None:
        for aggregate_id, live in self.service.live.items():
            assert state_of(self.reloaded(aggregate_id)) == state_of(live)


# Quantities are mostly drawn relative to what the model allows, so that most commands are
# accepted and the limits themselves (exactly the limit, just over it) are hit often.
portions = st.integers(min_value=0, max_value=12)


def portion_of(limit: int, portion: int) -> int:
    """0–10: that many tenths of the limit (at least 1); 11 and 12: just over the limit."""
    if portion <= 10:
        return max(1, limit * portion // 10)
    return limit + portion - 10


# -- stockpiles and camps ----------------------------------------------------------------------

ITEMS = ("water", "blanket")
CAMPS = ("a", "b")
items = st.sampled_from(ITEMS)
camps = st.sampled_from(CAMPS)
quantities = st.integers(min_value=1, max_value=300)


class StockpileMachine(ServiceMachine):
    """Stockpile `s` supplying camps `a` and `b`."""

    def __init__(self) -> None:
        super().__init__()
        svc = self.service
        svc.register_partner(partner="wfp", name="WFP", kind="un_agency")
        svc.draft_plan(plan="p", title="T", crisis="C", planning_figure=1_000)
        for camp in CAMPS:
            svc.establish_camp(
                camp=camp, plan="p", location=camp, site_area_m2=100, shelter_capacity=10
            )
        svc.open_stockpile(stockpile="s", partner="wfp", location="depot")
        self.on_hand: dict[str, int] = defaultdict(int)
        for item in ITEMS:  # start with stock, so that sequences reach deep states sooner
            svc.receive_supplies(stockpile="s", item=item, quantity=1_000)
            self.on_hand[item] = 1_000
        self.reservations: dict[tuple[str, str], int] = defaultdict(int)
        self.camp_stock: dict[tuple[str, str], int] = defaultdict(int)
        self.closed: set[str] = set()

    def free(self, item: str) -> int:
        reserved = sum(q for (_, i), q in self.reservations.items() if i == item)
        return self.on_hand[item] - reserved

    @rule(item=items, quantity=st.integers(min_value=1, max_value=500))
    def receive(self, item: str, quantity: int) -> None:
        svc = self.service
        self.attempt(
            True, lambda: svc.receive_supplies(stockpile="s", item=item, quantity=quantity)
        )
        self.on_hand[item] += quantity

    @rule(camp=camps, item=items, portion=portions)
    def reserve(self, camp: str, item: str, portion: int) -> None:
        quantity = portion_of(self.free(item), portion)
        allowed = camp not in self.closed and quantity <= self.free(item)
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.reserve_supplies(stockpile="s", camp=camp, item=item, quantity=quantity),
        ):
            self.reservations[(camp, item)] += quantity

    @rule(camp=camps, item=items, portion=portions)
    def release(self, camp: str, item: str, portion: int) -> None:
        quantity = portion_of(self.reservations[(camp, item)], portion)
        allowed = quantity <= self.reservations[(camp, item)]
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.release_reservation(stockpile="s", camp=camp, item=item, quantity=quantity),
        ):
            self.reservations[(camp, item)] -= quantity

    @rule(camp=camps, item=items, portion=portions)
    def dispatch(self, camp: str, item: str, portion: int) -> None:
        held = self.reservations[(camp, item)]
        quantity = portion_of(held + self.free(item), portion)
        allowed = camp not in self.closed and quantity <= held + self.free(item)
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.dispatch_supplies(stockpile="s", camp=camp, item=item, quantity=quantity),
        ):
            self.reservations[(camp, item)] -= min(held, quantity)
            self.on_hand[item] -= quantity
            self.camp_stock[(camp, item)] += quantity

    @rule(item=items, portion=portions, reason=st.sampled_from(["expired", "damaged", "lost"]))
    def write_off(self, item: str, portion: int, reason: str) -> None:
        quantity = portion_of(self.free(item), portion)
        svc = self.service
        if self.attempt(
            quantity <= self.free(item),
            lambda: svc.write_off_supplies(
                stockpile="s", item=item, quantity=quantity, reason=reason
            ),
        ):
            self.on_hand[item] -= quantity

    @rule(camp=camps, item=items, portion=portions)
    def distribute(self, camp: str, item: str, portion: int) -> None:
        quantity = portion_of(self.camp_stock[(camp, item)], portion)
        allowed = camp not in self.closed and quantity <= self.camp_stock[(camp, item)]
        svc = self.service
        if self.attempt(
            allowed, lambda: svc.distribute_supplies(camp=camp, item=item, quantity=quantity)
        ):
            self.camp_stock[(camp, item)] -= quantity

    @rule(camp=st.just("b"))  # camp a stays open, so most stock movements are possible
    def close(self, camp: str) -> None:
        svc = self.service
        if self.attempt(camp not in self.closed, lambda: svc.close_camp(camp=camp)):
            self.closed.add(camp)

    @invariant()
    def stock_never_negative_and_matches_the_model(self) -> None:
        svc = self.service
        depot = self.reloaded(svc.id_of("stockpile", "s"))
        for item in ITEMS:
            assert depot.on_hand[item] >= 0
            assert depot.reserved[item] >= 0
            assert depot.reserved[item] <= depot.on_hand[item]
            assert depot.on_hand[item] == self.on_hand[item]
            assert depot.available(item) == self.free(item)
            for camp in CAMPS:
                key = (svc.id_of("camp", camp), item)
                assert depot.reservations[key] == self.reservations[(camp, item)] >= 0
        for camp in CAMPS:
            site = self.reloaded(svc.id_of("camp", camp))
            assert site.closed == (camp in self.closed)
            for item in ITEMS:
                assert site.stock[item] == self.camp_stock[(camp, item)] >= 0
                assert site.delivered[item] >= site.stock[item]


TestStockpileMachine = StockpileMachine.TestCase
TestStockpileMachine.settings = SETTINGS


# -- camps -------------------------------------------------------------------------------------

PARTNERS = {"n1": ["WSH", "SHL"], "n2": None, "out": None}  # declared sectors
SECTORS = ("WSH", "SHL", "PRO")
# per vulnerable group given: its portion (see portion_of) of the people or the group's count
group_portions = st.fixed_dictionaries({}, optional=dict.fromkeys(VULNERABLE_GROUPS, portions))


class CampMachine(ServiceMachine):
    """Camp `c` of plan `p`: members `n1` (WSH, SHL) and `n2` (any); `out` is not a member."""

    def __init__(self) -> None:
        super().__init__()
        svc = self.service
        svc.draft_plan(plan="p", title="T", crisis="C", planning_figure=1_000)
        for slug, sectors in PARTNERS.items():
            svc.register_partner(partner=slug, name=slug, kind="ngo", sectors=sectors)
        svc.join_plan(plan="p", partner="n1", role="implementer")
        svc.join_plan(plan="p", partner="n2", role="implementer")
        svc.establish_camp(camp="c", plan="p", location="L", site_area_m2=900, shelter_capacity=5)
        svc.open_stockpile(stockpile="s", partner="n2", location="depot")
        self.population = dict.fromkeys(POPULATION_FIELDS, 0)
        self.leads: dict[str, str] = {}
        self.members = {"n1", "n2"}
        self.withdrawn: set[str] = set()
        self.stock: dict[str, int] = defaultdict(int)
        self.facilities = dict.fromkeys(FACILITIES, 0)
        self.closed = False
        svc.register_arrivals(camp="c", people=100, under5=20, elderly=10, disabled=5)
        self.population |= {"people": 100, "under5": 20, "elderly": 10, "disabled": 5}

    def eligible(self, partner: str, sector: str) -> bool:
        declared = PARTNERS[partner]
        return (
            partner in self.members
            and partner not in self.withdrawn
            and (declared is None or sector in declared)
        )

    @rule(people=st.integers(min_value=1, max_value=40), shares=group_portions)
    def arrivals(self, people: int, shares: dict[str, int]) -> None:
        groups = {group: portion_of(people, share) for group, share in shares.items()}
        allowed = not self.closed and all(v <= people for v in groups.values())
        svc = self.service
        if self.attempt(allowed, lambda: svc.register_arrivals(camp="c", people=people, **groups)):
            self.population["people"] += people
            for group, value in groups.items():
                self.population[group] += value

    @rule(portion=portions, shares=group_portions)
    def departures(self, portion: int, shares: dict[str, int]) -> None:
        people = portion_of(self.population["people"], portion)
        groups = {
            # 0–10 tenths of the group's count (at most the people leaving), or just over it
            group: min(people, self.population[group] * share // 10)
            if share <= 10
            else self.population[group] + share - 10
            for group, share in shares.items()
        }
        counts = {"people": people, **groups}
        allowed = (
            not self.closed
            and all(v <= people for v in groups.values())
            and all(v <= self.population[k] for k, v in counts.items())
        )
        svc = self.service
        if self.attempt(
            allowed, lambda: svc.register_departures(camp="c", people=people, **groups)
        ):
            for group, value in counts.items():
                self.population[group] -= value
            for group in VULNERABLE_GROUPS:  # no group outnumbers the people who remain
                self.population[group] = min(self.population[group], self.population["people"])

    @rule(sector=st.sampled_from(SECTORS), partner=st.sampled_from(sorted(PARTNERS)))
    def assign(self, sector: str, partner: str) -> None:
        allowed = not self.closed and self.eligible(partner, sector) and sector not in self.leads
        svc = self.service
        if self.attempt(
            allowed, lambda: svc.assign_sector(camp="c", sector=sector, partner=partner)
        ):
            self.leads[sector] = partner

    @rule(sector=st.sampled_from(SECTORS), partner=st.sampled_from(sorted(PARTNERS)))
    def reassign(self, sector: str, partner: str) -> None:
        allowed = (
            not self.closed
            and self.eligible(partner, sector)
            and sector in self.leads
            and self.leads[sector] != partner
        )
        svc = self.service
        if self.attempt(
            allowed, lambda: svc.reassign_sector(camp="c", sector=sector, partner=partner)
        ):
            self.leads[sector] = partner

    @rule(sector=st.sampled_from(SECTORS))
    def release(self, sector: str) -> None:
        svc = self.service
        allowed = not self.closed and sector in self.leads
        if self.attempt(allowed, lambda: svc.release_sector(camp="c", sector=sector)):
            del self.leads[sector]

    @precondition(lambda self: self.commands >= 10)  # then nobody may lead any more
    @rule(partner=st.sampled_from(["n1", "n2"]))
    def leave(self, partner: str) -> None:
        svc = self.service
        if self.attempt(partner in self.members, lambda: svc.leave_plan(plan="p", partner=partner)):
            self.members.discard(partner)

    @precondition(lambda self: self.commands >= 10)
    @rule(partner=st.sampled_from(["n1", "n2"]))
    def withdraw(self, partner: str) -> None:
        svc = self.service
        if self.attempt(
            partner not in self.withdrawn, lambda: svc.withdraw_partner(partner=partner)
        ):
            self.withdrawn.add(partner)

    @rule(item=items, quantity=quantities)
    def supply(self, item: str, quantity: int) -> None:
        svc = self.service
        self.attempt(
            True, lambda: svc.receive_supplies(stockpile="s", item=item, quantity=quantity)
        )
        if self.attempt(
            not self.closed,
            lambda: svc.dispatch_supplies(stockpile="s", camp="c", item=item, quantity=quantity),
        ):
            self.stock[item] += quantity

    @rule(item=items, portion=portions)
    def distribute(self, item: str, portion: int) -> None:
        quantity = portion_of(self.stock[item], portion)
        allowed = not self.closed and quantity <= self.stock[item]
        svc = self.service
        if self.attempt(
            allowed, lambda: svc.distribute_supplies(camp="c", item=item, quantity=quantity)
        ):
            self.stock[item] -= quantity

    @rule(facility=st.sampled_from(FACILITIES), count=st.integers(min_value=1, max_value=5))
    def build(self, facility: str, count: int) -> None:
        svc = self.service
        if self.attempt(
            not self.closed,
            lambda: svc.build_facilities(camp="c", facility=facility, count=count),
        ):
            self.facilities[facility] += count

    @precondition(lambda self: self.commands >= 15)  # a closed camp refuses everything after
    @rule()
    def close(self) -> None:
        svc = self.service
        if self.attempt(not self.closed, lambda: svc.close_camp(camp="c")):
            self.closed = True

    @invariant()
    def camp_matches_the_model(self) -> None:
        svc = self.service
        camp = self.reloaded(svc.id_of("camp", "c"))
        assert all(value >= 0 for value in camp.population.values())
        assert camp.population == self.population
        assert all(value >= 0 for value in camp.stock.values())
        assert nonzero(camp.stock) == nonzero(self.stock)
        assert camp.facilities == self.facilities
        assert camp.leads == {s: svc.id_of("partner", p) for s, p in self.leads.items()}
        assert camp.closed == self.closed


TestCampMachine = CampMachine.TestCase
TestCampMachine.settings = SETTINGS


# -- plans -------------------------------------------------------------------------------------

KINDS = {"ngo1": "ngo", "ngo2": "ngo", "ngo3": "ngo", "biz": "business", "gov": "government"}
partners = st.sampled_from(sorted(KINDS))
currencies = st.sampled_from(["EUR", "JPY"])
amounts = st.integers(min_value=1, max_value=1_000)


class PlanMachine(ServiceMachine):
    """Plan `p` and five partners of the tripartite kinds."""

    def __init__(self) -> None:
        super().__init__()
        svc = self.service
        svc.draft_plan(plan="p", title="T", crisis="C", planning_figure=1_000)
        for slug, kind in KINDS.items():
            svc.register_partner(partner=slug, name=slug, kind=kind)
        self.status = "drafted"
        self.roles: dict[str, set[str]] = {}
        self.withdrawn: set[str] = set()
        self.pledged: dict[tuple[str, str], int] = defaultdict(int)
        self.received: dict[tuple[str, str], int] = defaultdict(int)
        self.pool: dict[str, int] = defaultdict(int)
        # start with members of every kind and pledges, so sequences reach deep states sooner
        for slug, role in [("ngo1", "implementer"), ("ngo2", "implementer"), ("biz", "funder")]:
            svc.join_plan(plan="p", partner=slug, role=role)
            self.roles[slug] = {role}
        for currency, amount in [("EUR", 10_000), ("JPY", 1_000_001)]:
            svc.pledge_funds(plan="p", partner="biz", amount=amount, currency=currency)
            svc.receive_funds(plan="p", partner="biz", amount=amount // 2, currency=currency)
            self.pledged[("biz", currency)] = amount
            self.received[("biz", currency)] = self.pool[currency] = amount // 2

    @property
    def open(self) -> bool:
        return self.status != "closed"

    @rule(partner=partners, role=st.sampled_from(["coordinator", "implementer", "funder"]))
    def join(self, partner: str, role: str) -> None:
        allowed = (
            self.open and partner not in self.withdrawn and role not in self.roles.get(partner, ())
        )
        svc = self.service
        if self.attempt(allowed, lambda: svc.join_plan(plan="p", partner=partner, role=role)):
            self.roles.setdefault(partner, set()).add(role)

    @rule(partner=partners)
    def leave(self, partner: str) -> None:
        svc = self.service
        if self.attempt(
            self.open and partner in self.roles, lambda: svc.leave_plan(plan="p", partner=partner)
        ):
            del self.roles[partner]

    @rule(partner=partners)
    def withdraw(self, partner: str) -> None:
        svc = self.service
        if self.attempt(
            partner not in self.withdrawn, lambda: svc.withdraw_partner(partner=partner)
        ):
            self.withdrawn.add(partner)

    @rule(partner=partners, amount=amounts, currency=currencies)
    def pledge(self, partner: str, amount: int, currency: str) -> None:
        allowed = self.open and partner not in self.withdrawn
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.pledge_funds(plan="p", partner=partner, amount=amount, currency=currency),
        ):
            self.pledged[(partner, currency)] += amount

    @rule(partner=partners, portion=portions, currency=currencies)
    def receive(self, partner: str, portion: int, currency: str) -> None:
        key = (partner, currency)
        amount = portion_of(self.pledged[key] - self.received[key], portion)
        allowed = self.open and amount <= self.pledged[key] - self.received[key]
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.receive_funds(plan="p", partner=partner, amount=amount, currency=currency),
        ):
            self.received[key] += amount
            self.pool[currency] += amount

    @rule(partner=partners, portion=portions, currency=currencies)
    def disburse(self, partner: str, portion: int, currency: str) -> None:
        amount = portion_of(self.pool[currency], portion)
        allowed = (
            self.open
            and partner not in self.withdrawn
            and partner in self.roles
            and amount <= self.pool[currency]
        )
        svc = self.service
        if self.attempt(
            allowed,
            lambda: svc.disburse_funds(plan="p", partner=partner, amount=amount, currency=currency),
        ):
            self.pool[currency] -= amount

    @rule(currency=currencies)
    def split(self, currency: str) -> None:
        ngos = [p for p in self.roles if KINDS[p] == "ngo" and p not in self.withdrawn]
        allowed = self.open and bool(ngos) and self.pool[currency] > 0
        svc = self.service
        if self.attempt(allowed, lambda: svc.split_pool(plan="p", currency=currency)):
            self.pool[currency] %= len(ngos)

    @rule(action=st.sampled_from(["activate", "stand_down", "close"]))
    def lifecycle(self, action: str) -> None:
        allowed_from = {
            "activate": {"drafted"},
            "stand_down": {"activated"},
            "close": {"drafted", "activated", "standing_down"},
        }
        becomes = {"activate": "activated", "stand_down": "standing_down", "close": "closed"}
        svc = self.service
        if self.attempt(
            self.status in allowed_from[action], lambda: getattr(svc, f"{action}_plan")(plan="p")
        ):
            self.status = becomes[action]

    @invariant()
    def money_never_exceeds_what_was_pledged_or_received(self) -> None:
        svc = self.service
        plan = self.reloaded(svc.id_of("plan", "p"))
        assert plan.status == self.status
        for currency in ("EUR", "JPY"):
            assert plan.pool_balance(currency) >= 0
            assert plan.pool_balance(currency) == self.pool[currency]
            for partner in KINDS:
                partner_id = svc.id_of("partner", partner)
                assert plan.received[(partner_id, currency)] <= plan.pledged[(partner_id, currency)]
                assert plan.outstanding_pledge(partner_id, currency) == (
                    self.pledged[(partner, currency)] - self.received[(partner, currency)]
                )
        assert {svc.id_of("partner", p): set(r) for p, r in self.roles.items()} == {
            k: set(m.roles) for k, m in plan.members.items()
        }


TestPlanMachine = PlanMachine.TestCase
TestPlanMachine.settings = SETTINGS
