"""Response plans: membership, pooled fund, stockpile commitments and the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.catalog import DEFAULT_READY_DAYS, DEFAULT_REQUIRED_SECTORS
from domain.errors import (
    AlreadyExistsError,
    DomainRefusal,
    FundingError,
    MembershipError,
    NotFoundError,
    StatusError,
)
from domain.plan import ResponsePlan
from domain.service import PlannerService


def stored_count(service: PlannerService) -> int:
    return len(service.recorder.select_notifications(start=1, limit=10_000))


def plan_of(service: PlannerService, slug: str = "p") -> ResponsePlan:
    return service.repository.get(service.id_of("plan", slug))


@pytest.fixture
def svc(service: PlannerService) -> PlannerService:
    """Plan `p` (drafted) and partners of every tripartite kind, none a member yet."""
    service.draft_plan(plan="p", title="Kukës", crisis="Kosovo 1999", planning_figure=10_000)
    for slug, kind in [
        ("ngo1", "ngo"),
        ("ngo2", "ngo"),
        ("ngo3", "ngo"),
        ("ngo4", "ngo"),
        ("biz", "business"),
        ("gov", "government"),
        ("un", "un_agency"),
    ]:
        service.register_partner(partner=slug, name=slug.upper(), kind=kind)
    return service


# -- drafting ----------------------------------------------------------------------------------


def test_draft_uses_the_contract_defaults(service: PlannerService) -> None:
    result = service.draft_plan(plan="p", title="T", crisis="C", planning_figure=500)
    plan = plan_of(service)
    assert result.version == 1
    assert plan.status == "drafted"
    assert plan.required_sectors == list(DEFAULT_REQUIRED_SECTORS)
    assert plan.ready_days == DEFAULT_READY_DAYS == 3
    assert plan.standards_profile == "sphere-emergency"
    assert plan.members == {} and plan.stockpiles == []


def test_draft_keeps_given_figures(service: PlannerService) -> None:
    service.draft_plan(
        plan="p",
        title="T",
        crisis="C",
        planning_figure=500,
        region="Kukës",
        required_sectors=["WSH"],
        ready_days=7,
        standards_profile="sphere-post-emergency",
        standards_overrides={"water": 25.0},
    )
    plan = plan_of(service)
    assert (plan.region, plan.required_sectors, plan.ready_days) == ("Kukës", ["WSH"], 7)
    assert plan.standards_profile == "sphere-post-emergency"
    assert plan.standards_overrides == {"water": 25.0}


def test_plan_slug_is_unique(svc: PlannerService) -> None:
    with pytest.raises(AlreadyExistsError, match="a plan named 'p' already exists"):
        svc.draft_plan(plan="p", title="T", crisis="C", planning_figure=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"planning_figure": 0}, "planning figure must be at least 1 person, got 0"),
        ({"planning_figure": -5}, "planning figure must be at least 1 person, got -5"),
        ({"ready_days": 0}, "ready_days must be a finite number above 0, got 0"),
        ({"ready_days": float("nan")}, "ready_days must be a finite number above 0, got nan"),
        ({"standards_profile": "sphere-2050"}, "unknown standards profile 'sphere-2050'"),
        ({"standards_overrides": {"water": -1}}, "water=-1 is not a known positive figure"),
        ({"standards_overrides": {"beer": 2}}, "beer=2 is not a known positive figure"),
    ],
)
def test_draft_refuses_bad_figures(
    service: PlannerService, changes: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"plan": "p", "title": "T", "crisis": "C", "planning_figure": 10}
    with pytest.raises(DomainRefusal, match=message):
        service.draft_plan(**(args | changes))
    assert not service.exists("plan", "p")


@pytest.mark.parametrize(
    "changes",
    [
        {"ready_days": float("inf")},
        {"standards_overrides": {"water": float("inf")}},
    ],
)
def test_draft_refuses_infinite_figures(service: PlannerService, changes: dict[str, Any]) -> None:
    """JSON has no infinity: such a figure would be stored as null and break the plan."""
    args: dict[str, Any] = {"plan": "p", "title": "T", "crisis": "C", "planning_figure": 10}
    with pytest.raises(DomainRefusal):
        service.draft_plan(**(args | changes))


def test_unknown_plan_is_not_found(svc: PlannerService) -> None:
    commands: list[Callable[[], Any]] = [
        lambda: svc.join_plan(plan="nope", partner="ngo1", role="implementer"),
        lambda: svc.leave_plan(plan="nope", partner="ngo1"),
        lambda: svc.pledge_funds(plan="nope", partner="ngo1", amount=1, currency="EUR"),
        lambda: svc.receive_funds(plan="nope", partner="ngo1", amount=1, currency="EUR"),
        lambda: svc.disburse_funds(plan="nope", partner="ngo1", amount=1, currency="EUR"),
        lambda: svc.split_pool(plan="nope", currency="EUR"),
        lambda: svc.activate_plan(plan="nope"),
        lambda: svc.stand_down_plan(plan="nope"),
        lambda: svc.close_plan(plan="nope"),
        lambda: svc.commit_stockpile(plan="nope", stockpile="s"),
        lambda: svc.establish_camp(
            camp="c", plan="nope", location="L", site_area_m2=1, shelter_capacity=1
        ),
    ]
    before = stored_count(svc)
    for run in commands:
        with pytest.raises(NotFoundError, match="unknown plan 'nope'"):
            run()
    assert stored_count(svc) == before


def test_a_slug_of_another_kind_is_not_found(svc: PlannerService) -> None:
    with pytest.raises(NotFoundError, match="unknown plan 'ngo1'"):
        svc.activate_plan(plan="ngo1")


# -- membership --------------------------------------------------------------------------------


def test_join_and_hold_several_roles(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="biz", role="supplier")
    svc.join_plan(plan="p", partner="biz", role="funder")
    plan = plan_of(svc)
    member = plan.members[svc.id_of("partner", "biz")]
    assert member.kind == "business"
    assert member.roles == ["supplier", "funder"]
    assert plan.is_member(svc.id_of("partner", "biz"))


def test_join_refuses_an_unknown_role_or_the_same_role_twice(svc: PlannerService) -> None:
    with pytest.raises(MembershipError, match="unknown role 'boss'"):
        svc.join_plan(plan="p", partner="gov", role="boss")
    svc.join_plan(plan="p", partner="gov", role="coordinator")
    with pytest.raises(MembershipError, match="partner 'gov' is already a coordinator of plan 'p'"):
        svc.join_plan(plan="p", partner="gov", role="coordinator")
    assert plan_of(svc).members[svc.id_of("partner", "gov")].roles == ["coordinator"]


def test_leave_removes_every_role(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.join_plan(plan="p", partner="ngo1", role="funder")
    svc.leave_plan(plan="p", partner="ngo1")
    assert not plan_of(svc).is_member(svc.id_of("partner", "ngo1"))


def test_leave_refuses_a_non_member(svc: PlannerService) -> None:
    with pytest.raises(MembershipError, match="partner 'ngo2' is not a member of plan 'p'"):
        svc.leave_plan(plan="p", partner="ngo2")


# -- money -------------------------------------------------------------------------------------


def test_receipts_never_exceed_the_outstanding_pledge(svc: PlannerService) -> None:
    svc.pledge_funds(plan="p", partner="biz", amount=1_000, currency="EUR")
    svc.receive_funds(plan="p", partner="biz", amount=600, currency="EUR")
    before = stored_count(svc)
    with pytest.raises(FundingError) as info:
        svc.receive_funds(plan="p", partner="biz", amount=500, currency="EUR")
    message = str(info.value)
    assert "plan 'p' cannot receive 500 EUR from 'biz'" in message
    assert "outstanding pledge is 400 EUR (pledged 1000, received 600)" in message
    assert info.value.rule == "receipts never exceed the outstanding pledge"
    assert info.value.field == "amount"
    assert stored_count(svc) == before
    svc.receive_funds(plan="p", partner="biz", amount=400, currency="EUR")  # exactly the rest
    plan = plan_of(svc)
    assert plan.outstanding_pledge(svc.id_of("partner", "biz"), "EUR") == 0
    assert plan.pool_balance("EUR") == 1_000


def test_receipts_need_a_pledge_in_that_currency_from_that_partner(svc: PlannerService) -> None:
    svc.pledge_funds(plan="p", partner="biz", amount=1_000, currency="EUR")
    with pytest.raises(FundingError, match="outstanding pledge is 0 USD"):
        svc.receive_funds(plan="p", partner="biz", amount=1, currency="USD")
    with pytest.raises(FundingError, match="cannot receive 1 EUR from 'gov'"):
        svc.receive_funds(plan="p", partner="gov", amount=1, currency="EUR")


def test_pledges_accumulate(svc: PlannerService) -> None:
    svc.pledge_funds(plan="p", partner="gov", amount=300, currency="EUR")
    svc.pledge_funds(plan="p", partner="gov", amount=200, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=500, currency="EUR")
    assert plan_of(svc).received_total["EUR"] == 500


@pytest.mark.parametrize("amount", [0, -1])
def test_amounts_must_be_positive(svc: PlannerService, amount: int) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.pledge_funds(plan="p", partner="gov", amount=10, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=10, currency="EUR")
    message = f"amount must be from 1 to [0-9]+ minor units, got {amount}"
    with pytest.raises(FundingError, match=message):
        svc.pledge_funds(plan="p", partner="gov", amount=amount, currency="EUR")
    with pytest.raises(FundingError, match=message):
        svc.receive_funds(plan="p", partner="gov", amount=amount, currency="EUR")
    with pytest.raises(FundingError, match=message):
        svc.disburse_funds(plan="p", partner="ngo1", amount=amount, currency="EUR")


def test_disbursements_never_exceed_the_pool(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.pledge_funds(plan="p", partner="gov", amount=1_000, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=300, currency="EUR")
    before = stored_count(svc)
    with pytest.raises(FundingError) as info:
        svc.disburse_funds(plan="p", partner="ngo1", amount=301, currency="EUR")
    assert "plan 'p' cannot disburse 301 EUR: the pool holds 300 EUR" in str(info.value)
    assert info.value.rule == "disbursements never exceed the pool balance"
    assert stored_count(svc) == before
    svc.disburse_funds(plan="p", partner="ngo1", amount=300, currency="EUR")
    assert plan_of(svc).pool_balance("EUR") == 0
    with pytest.raises(FundingError, match="the pool holds 0 EUR"):
        svc.disburse_funds(plan="p", partner="ngo1", amount=1, currency="EUR")
    # pledged but not received money is not in the pool
    with pytest.raises(FundingError, match="the pool holds 0 EUR"):
        svc.disburse_funds(plan="p", partner="ngo1", amount=1, currency="EUR")


def test_disbursements_go_only_to_members(svc: PlannerService) -> None:
    svc.pledge_funds(plan="p", partner="gov", amount=100, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=100, currency="EUR")
    with pytest.raises(MembershipError) as info:
        svc.disburse_funds(plan="p", partner="ngo2", amount=10, currency="EUR")
    assert "plan 'p' can disburse only to members; 'ngo2' is not one" in str(info.value)
    assert info.value.rule == "disbursements go to members"


def test_pools_are_per_currency(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.pledge_funds(plan="p", partner="gov", amount=100, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=100, currency="EUR")
    with pytest.raises(FundingError, match="the pool holds 0 USD"):
        svc.disburse_funds(plan="p", partner="ngo1", amount=1, currency="USD")


def _fund(svc: PlannerService, amount: int, currency: str) -> None:
    svc.pledge_funds(plan="p", partner="gov", amount=amount, currency=currency)
    svc.receive_funds(plan="p", partner="gov", amount=amount, currency=currency)


def test_split_pool_shares_equally_among_active_member_ngos(svc: PlannerService) -> None:
    for ngo in ("ngo1", "ngo2", "ngo3", "ngo4"):
        svc.join_plan(plan="p", partner=ngo, role="implementer")
    svc.join_plan(plan="p", partner="biz", role="supplier")
    svc.join_plan(plan="p", partner="gov", role="funder")
    svc.join_plan(plan="p", partner="un", role="coordinator")
    _fund(svc, 10_000_001, "JPY")
    result = svc.split_pool(plan="p", currency="JPY")
    plan = plan_of(svc)
    assert plan.pool_balance("JPY") == 1
    assert plan.disbursed_total["JPY"] == 10_000_000
    split = svc.events.get(plan.id, gt=result.version - 1)
    (event,) = list(split)
    assert isinstance(event, ResponsePlan.PoolSplit)
    assert event.share == 2_500_000
    assert event.remainder == 1
    assert event.currency == "JPY"
    assert set(event.recipients) == {svc.id_of("partner", f"ngo{i}") for i in range(1, 5)}


def test_split_pool_skips_withdrawn_ngos_and_ngos_that_left(svc: PlannerService) -> None:
    for ngo in ("ngo1", "ngo2", "ngo3", "ngo4"):
        svc.join_plan(plan="p", partner=ngo, role="implementer")
    svc.withdraw_partner(partner="ngo3")
    svc.leave_plan(plan="p", partner="ngo4")
    _fund(svc, 1_001, "EUR")
    result = svc.split_pool(plan="p", currency="EUR")
    (event,) = list(svc.events.get(result.aggregate_id, gt=result.version - 1))
    assert isinstance(event, ResponsePlan.PoolSplit)
    assert set(event.recipients) == {svc.id_of("partner", "ngo1"), svc.id_of("partner", "ngo2")}
    assert (event.share, event.remainder) == (500, 1)
    assert plan_of(svc).pool_balance("EUR") == 1


def test_split_pool_needs_a_member_ngo(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="biz", role="supplier")
    _fund(svc, 100, "EUR")
    with pytest.raises(
        MembershipError, match="plan 'p' has no active member NGO to share the pool"
    ):
        svc.split_pool(plan="p", currency="EUR")
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.withdraw_partner(partner="ngo1")
    with pytest.raises(MembershipError, match="no active member NGO"):
        svc.split_pool(plan="p", currency="EUR")


def test_split_pool_needs_money_in_the_pool(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    with pytest.raises(FundingError, match="plan 'p' has nothing in its EUR pool to split"):
        svc.split_pool(plan="p", currency="EUR")


def test_split_pool_refuses_non_ngo_recipients_in_the_aggregate(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="biz", role="supplier")
    plan = plan_of(svc)
    with pytest.raises(MembershipError, match="is not a member NGO of plan 'p'"):
        plan.split_pool(currency="EUR", ngo_members=[svc.id_of("partner", "biz")])


def test_split_pool_smaller_than_the_number_of_ngos_keeps_everything(svc: PlannerService) -> None:
    for ngo in ("ngo1", "ngo2", "ngo3"):
        svc.join_plan(plan="p", partner=ngo, role="implementer")
    _fund(svc, 2, "EUR")
    svc.split_pool(plan="p", currency="EUR")
    assert plan_of(svc).pool_balance("EUR") == 2


# -- stockpiles --------------------------------------------------------------------------------


def test_commit_a_stockpile_once(svc: PlannerService) -> None:
    svc.open_stockpile(stockpile="s", partner="biz", location="Durrës")
    svc.commit_stockpile(plan="p", stockpile="s")
    assert plan_of(svc).stockpiles == [svc.id_of("stockpile", "s")]
    with pytest.raises(DomainRefusal, match="stockpile 's' is already committed to plan 'p'"):
        svc.commit_stockpile(plan="p", stockpile="s")
    with pytest.raises(NotFoundError, match="unknown stockpile 'other'"):
        svc.commit_stockpile(plan="p", stockpile="other")


# -- lifecycle ---------------------------------------------------------------------------------


def test_lifecycle_drafted_activated_standing_down_closed(svc: PlannerService) -> None:
    assert plan_of(svc).status == "drafted"
    svc.activate_plan(plan="p")
    assert plan_of(svc).status == "activated"
    svc.stand_down_plan(plan="p", reason="returns under way")
    assert plan_of(svc).status == "standing_down"
    svc.close_plan(plan="p", reason="done")
    assert plan_of(svc).status == "closed"


@pytest.mark.parametrize("before_close", [[], ["activate"], ["activate", "stand_down"]])
def test_close_from_any_open_status(svc: PlannerService, before_close: list[str]) -> None:
    for step in before_close:
        getattr(svc, f"{step}_plan")(plan="p")
    svc.close_plan(plan="p", reason="never needed")
    assert plan_of(svc).status == "closed"


@pytest.mark.parametrize(
    ("path", "command", "message"),
    [
        ([], "stand_down", "plan 'p' is drafted; it can stand down only when activated"),
        (["activate"], "activate", "plan 'p' is activated; it can activate only when drafted"),
        (
            ["activate", "stand_down"],
            "activate",
            "plan 'p' is standing_down; it can activate only when drafted",
        ),
        (
            ["activate", "stand_down"],
            "stand_down",
            "plan 'p' is standing_down; it can stand down only when activated",
        ),
        (["close"], "close", "plan 'p' is closed; it can close only when drafted or activated"),
        (["close"], "activate", "plan 'p' is closed"),
        (["close"], "stand_down", "plan 'p' is closed"),
    ],
)
def test_illegal_transitions_are_refused(
    svc: PlannerService, path: list[str], command: str, message: str
) -> None:
    for step in path:
        getattr(svc, f"{step}_plan")(plan="p")
    status = plan_of(svc).status
    before = stored_count(svc)
    with pytest.raises(StatusError, match=message) as info:
        getattr(svc, f"{command}_plan")(plan="p")
    assert "lifecycle" in info.value.rule
    assert plan_of(svc).status == status
    assert stored_count(svc) == before


def test_closed_plan_accepts_no_commands_and_keeps_its_history(svc: PlannerService) -> None:
    svc.join_plan(plan="p", partner="ngo1", role="implementer")
    svc.pledge_funds(plan="p", partner="gov", amount=100, currency="EUR")
    svc.receive_funds(plan="p", partner="gov", amount=50, currency="EUR")
    svc.open_stockpile(stockpile="s", partner="biz", location="Durrës")
    svc.close_plan(plan="p", reason="over")
    plan = plan_of(svc)
    history = list(svc.events.get(plan.id))
    before = stored_count(svc)
    refused: list[tuple[Callable[[], Any], str]] = [
        (lambda: svc.join_plan(plan="p", partner="ngo2", role="implementer"), "add a member"),
        (lambda: svc.leave_plan(plan="p", partner="ngo1"), "remove a member"),
        (lambda: svc.pledge_funds(plan="p", partner="gov", amount=1, currency="EUR"), "pledge"),
        (
            lambda: svc.receive_funds(plan="p", partner="gov", amount=1, currency="EUR"),
            "receive funds",
        ),
        (
            lambda: svc.disburse_funds(plan="p", partner="ngo1", amount=1, currency="EUR"),
            "disburse funds",
        ),
        (lambda: svc.split_pool(plan="p", currency="EUR"), "split the pool"),
        (lambda: svc.commit_stockpile(plan="p", stockpile="s"), "commit a stockpile"),
        (
            lambda: svc.establish_camp(
                camp="c", plan="p", location="L", site_area_m2=1, shelter_capacity=1
            ),
            "establish a camp",
        ),
    ]
    for run, doing in refused:
        with pytest.raises(StatusError, match="plan 'p' is closed and accepts no commands") as e:
            run()
        assert doing in str(e.value)
        assert e.value.rule == "a closed plan accepts no commands"
    for lifecycle in ("activate_plan", "stand_down_plan", "close_plan"):
        with pytest.raises(StatusError, match="plan 'p' is closed"):
            getattr(svc, lifecycle)(plan="p")
    assert stored_count(svc) == before
    assert list(svc.events.get(plan.id)) == history
    assert not svc.exists("camp", "c")
    after = plan_of(svc)
    assert after.version == plan.version
    assert after.pool_balance("EUR") == 50
    assert after.is_member(svc.id_of("partner", "ngo1"))
