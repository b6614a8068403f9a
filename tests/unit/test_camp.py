"""Camps: sector leads, population, stock, facilities, closing; overcrowding is allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.camp import Camp
from domain.camp_rules import POPULATION_FIELDS
from domain.errors import (
    AlreadyExistsError,
    DomainRefusal,
    MembershipError,
    NotFoundError,
    PopulationError,
    SectorError,
    StatusError,
    StockError,
)
from domain.service import PlannerService


def stored_count(service: PlannerService) -> int:
    return len(service.recorder.select_notifications(start=1, limit=10_000))


def camp_of(service: PlannerService, slug: str = "c") -> Camp:
    return service.repository.get(service.id_of("camp", slug))


@pytest.fixture
def svc(service: PlannerService) -> PlannerService:
    """Plan `p` with camp `c`; members `oxfam` (WSH, SHL), `unicef` (any); `outsider` is not."""
    service.draft_plan(plan="p", title="T", crisis="C", planning_figure=10_000)
    service.draft_plan(plan="q", title="Other", crisis="C", planning_figure=10)
    service.register_partner(partner="oxfam", name="Oxfam", kind="ngo", sectors=["WSH", "SHL"])
    service.register_partner(partner="unicef", name="UNICEF", kind="un_agency")
    service.register_partner(partner="outsider", name="Outsider", kind="ngo")
    service.join_plan(plan="p", partner="oxfam", role="implementer")
    service.join_plan(plan="p", partner="unicef", role="implementer")
    service.join_plan(plan="q", partner="outsider", role="implementer")
    service.establish_camp(
        camp="c", plan="p", location="Kukës I", site_area_m2=45_000, shelter_capacity=1_000
    )
    return service


def supply(service: PlannerService, item: str, quantity: int, camp: str = "c") -> None:
    """Bring `quantity` of `item` into the camp's stock through a stockpile."""
    if not service.exists("stockpile", "depot"):
        service.open_stockpile(stockpile="depot", partner="unicef", location="Tirana")
    service.receive_supplies(stockpile="depot", item=item, quantity=quantity)
    service.dispatch_supplies(stockpile="depot", camp=camp, item=item, quantity=quantity)


# -- establishing ------------------------------------------------------------------------------


def test_establish_records_the_site(svc: PlannerService) -> None:
    camp = camp_of(svc)
    assert camp.plan_id == svc.id_of("plan", "p")
    assert (camp.location, camp.site_area_m2, camp.shelter_capacity) == ("Kukës I", 45_000, 1_000)
    assert not camp.closed
    assert camp.leads == {}
    assert camp.population == dict.fromkeys(POPULATION_FIELDS, 0)
    assert all(count == 0 for count in camp.facilities.values())


def test_camp_slug_is_unique(svc: PlannerService) -> None:
    with pytest.raises(AlreadyExistsError, match="a camp named 'c' already exists"):
        svc.establish_camp(camp="c", plan="q", location="X", site_area_m2=1, shelter_capacity=1)


@pytest.mark.parametrize(
    ("area", "capacity", "message"),
    [
        (0, 10, "site area must be a finite number above 0 m², got 0"),
        (-1.5, 10, "site area must be a finite number above 0 m², got -1.5"),
        (float("nan"), 10, "site area must be a finite number above 0 m², got nan"),
        (float("inf"), 10, "site area must be a finite number above 0 m², got inf"),
        (100, -1, "shelter capacity cannot be negative, got -1"),
    ],
)
def test_establish_refuses_bad_site_figures(
    svc: PlannerService, area: float, capacity: int, message: str
) -> None:
    with pytest.raises(DomainRefusal, match=message):
        svc.establish_camp(
            camp="d", plan="p", location="X", site_area_m2=area, shelter_capacity=capacity
        )
    assert not svc.exists("camp", "d")


def test_establish_with_zero_shelter_capacity_is_allowed(svc: PlannerService) -> None:
    svc.establish_camp(camp="d", plan="p", location="X", site_area_m2=10, shelter_capacity=0)
    assert camp_of(svc, "d").shelter_capacity == 0


def test_unknown_camp_is_not_found(svc: PlannerService) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("assign_sector", {"sector": "WSH", "partner": "oxfam"}),
        ("reassign_sector", {"sector": "WSH", "partner": "oxfam"}),
        ("release_sector", {"sector": "WSH"}),
        ("register_arrivals", {"people": 1}),
        ("register_departures", {"people": 1}),
        ("distribute_supplies", {"item": "water", "quantity": 1}),
        ("build_facilities", {"facility": "latrine", "count": 1}),
        ("close_camp", {}),
    ]
    for name, args in calls:
        with pytest.raises(NotFoundError, match="unknown camp 'ghost'"):
            getattr(svc, name)(camp="ghost", **args)


# -- sector leads ------------------------------------------------------------------------------


def test_assign_a_declared_sector_to_a_member(svc: PlannerService) -> None:
    svc.assign_sector(camp="c", sector="WSH", partner="oxfam")
    svc.assign_sector(camp="c", sector="PRO", partner="unicef")  # no sectors declared: any
    assert camp_of(svc).leads == {
        "WSH": svc.id_of("partner", "oxfam"),
        "PRO": svc.id_of("partner", "unicef"),
    }


def test_a_partner_leads_only_sectors_it_declared(svc: PlannerService) -> None:
    with pytest.raises(SectorError) as info:
        svc.assign_sector(camp="c", sector="HEA", partner="oxfam")
    assert str(info.value) == "partner 'oxfam' did not declare sector HEA (it declared WSH, SHL)"
    assert info.value.rule == "a partner leads only sectors it declared"
    assert camp_of(svc).leads == {}


def test_a_lead_must_be_a_member_of_the_camps_plan(svc: PlannerService) -> None:
    with pytest.raises(MembershipError) as info:
        svc.assign_sector(camp="c", sector="HEA", partner="outsider")
    assert str(info.value) == (
        "partner 'outsider' is not a member of plan 'p' that camp 'c' belongs to; "
        "it must join the plan first"
    )
    assert info.value.rule == "a lead must be an active member of the camp's plan"
    svc.assign_sector(camp="c", sector="HEA", partner="unicef")
    with pytest.raises(MembershipError, match="partner 'outsider' is not a member of plan 'p'"):
        svc.reassign_sector(camp="c", sector="HEA", partner="outsider")


def test_a_partner_that_left_the_plan_cannot_lead(svc: PlannerService) -> None:
    svc.leave_plan(plan="p", partner="oxfam")
    with pytest.raises(MembershipError, match="partner 'oxfam' is not a member of plan 'p'"):
        svc.assign_sector(camp="c", sector="WSH", partner="oxfam")


def test_assign_only_when_the_sector_has_no_lead(svc: PlannerService) -> None:
    svc.assign_sector(camp="c", sector="WSH", partner="oxfam")
    before = stored_count(svc)
    with pytest.raises(SectorError) as info:
        svc.assign_sector(camp="c", sector="WSH", partner="unicef")
    assert str(info.value) == (
        "sector WSH of camp 'c' already has a lead; use reassign_sector to hand it over"
    )
    assert info.value.rule == "exactly one lead per sector"
    assert stored_count(svc) == before
    assert camp_of(svc).leads["WSH"] == svc.id_of("partner", "oxfam")


def test_reassign_only_when_the_sector_has_a_lead(svc: PlannerService) -> None:
    with pytest.raises(SectorError, match="sector WSH of camp 'c' has no lead to hand over"):
        svc.reassign_sector(camp="c", sector="WSH", partner="unicef")
    svc.assign_sector(camp="c", sector="WSH", partner="oxfam")
    with pytest.raises(SectorError, match="partner 'oxfam' already leads WSH in camp 'c'"):
        svc.reassign_sector(camp="c", sector="WSH", partner="oxfam")
    result = svc.reassign_sector(camp="c", sector="WSH", partner="unicef")
    assert camp_of(svc).leads["WSH"] == svc.id_of("partner", "unicef")
    (event,) = list(svc.events.get(result.aggregate_id, gt=result.version - 1))
    assert isinstance(event, Camp.SectorReassigned)
    assert event.previous_id == svc.id_of("partner", "oxfam")


def test_reassign_checks_the_new_lead_declared_the_sector(svc: PlannerService) -> None:
    svc.assign_sector(camp="c", sector="HEA", partner="unicef")
    with pytest.raises(SectorError, match="partner 'oxfam' did not declare sector HEA"):
        svc.reassign_sector(camp="c", sector="HEA", partner="oxfam")


def test_release_a_sector(svc: PlannerService) -> None:
    with pytest.raises(SectorError, match="sector SHL of camp 'c' has no lead to release"):
        svc.release_sector(camp="c", sector="SHL")
    svc.assign_sector(camp="c", sector="SHL", partner="oxfam")
    svc.release_sector(camp="c", sector="SHL")
    assert camp_of(svc).leads == {}
    svc.assign_sector(camp="c", sector="SHL", partner="oxfam")  # free again


def test_unknown_sector_code_is_refused(svc: PlannerService) -> None:
    camp = camp_of(svc)
    partner_id = svc.id_of("partner", "unicef")
    with pytest.raises(SectorError, match="unknown cluster code 'XXX'"):
        camp.assign_sector(sector="XXX", partner_id=partner_id, partner_slug="unicef")
    with pytest.raises(SectorError, match="unknown cluster code 'XXX'"):
        camp.reassign_sector(sector="XXX", partner_id=partner_id, partner_slug="unicef")
    with pytest.raises(SectorError, match="unknown cluster code 'XXX'"):
        svc.release_sector(camp="c", sector="XXX")


def test_unknown_partner_cannot_lead(svc: PlannerService) -> None:
    with pytest.raises(NotFoundError, match="unknown partner 'nobody'"):
        svc.assign_sector(camp="c", sector="WSH", partner="nobody")


# -- population --------------------------------------------------------------------------------


def test_arrivals_and_departures_count_people_and_groups(svc: PlannerService) -> None:
    svc.register_arrivals(
        camp="c",
        people=1_200,
        under5=200,
        elderly=90,
        disabled=15,
        pregnant_lactating=40,
        unaccompanied_minors=12,
    )
    svc.register_arrivals(camp="c", people=300, under5=50)
    svc.register_departures(camp="c", people=100, under5=10, unaccompanied_minors=2)
    assert camp_of(svc).population == {
        "people": 1_400,
        "under5": 240,
        "elderly": 90,
        "disabled": 15,
        "pregnant_lactating": 40,
        "unaccompanied_minors": 10,
    }


def test_overcrowding_is_allowed(svc: PlannerService) -> None:
    svc.register_arrivals(camp="c", people=5_000)
    camp = camp_of(svc)
    assert camp.population["people"] == 5_000 > camp.shelter_capacity


def test_departures_never_exceed_the_population(svc: PlannerService) -> None:
    svc.register_arrivals(camp="c", people=300, elderly=20)
    before = stored_count(svc)
    with pytest.raises(PopulationError) as info:
        svc.register_departures(camp="c", people=301)
    assert str(info.value) == (
        "camp 'c' cannot register 301 departures of people: only 300 registered"
    )
    assert info.value.rule == "departures never exceed the population"
    assert info.value.field == "people"
    assert stored_count(svc) == before


def test_departures_never_exceed_any_group(svc: PlannerService) -> None:
    svc.register_arrivals(camp="c", people=300, elderly=20)
    with pytest.raises(PopulationError) as info:
        svc.register_departures(camp="c", people=50, elderly=21)
    assert str(info.value) == (
        "camp 'c' cannot register 21 departures of elderly: only 20 registered"
    )
    assert info.value.field == "elderly"
    with pytest.raises(PopulationError, match="21 departures of under5: only 0 registered"):
        svc.register_departures(camp="c", people=50, under5=21)
    assert camp_of(svc).population["people"] == 300
    svc.register_departures(camp="c", people=300, elderly=20)
    assert camp_of(svc).population == dict.fromkeys(POPULATION_FIELDS, 0)


@pytest.mark.parametrize("command", ["register_arrivals", "register_departures"])
def test_population_figures_must_make_sense(svc: PlannerService, command: str) -> None:
    svc.register_arrivals(camp="c", people=100, under5=50)
    run: Callable[..., Any] = getattr(svc, command)
    with pytest.raises(PopulationError, match="people must be above 0, got 0"):
        run(camp="c", people=0)
    with pytest.raises(
        PopulationError, match=r"under5 must be between 0 and people \(10\), got 11"
    ):
        run(camp="c", people=10, under5=11)
    with pytest.raises(
        PopulationError, match=r"elderly must be between 0 and people \(10\), got -1"
    ):
        run(camp="c", people=10, elderly=-1)
    with pytest.raises(DomainRefusal, match=r"unknown population group\(s\) \['teenagers'\]"):
        run(camp="c", people=10, teenagers=3)
    assert camp_of(svc).population["people"] == 100


# -- stock and facilities ----------------------------------------------------------------------


def test_distributions_never_exceed_camp_stock(svc: PlannerService) -> None:
    supply(svc, "blanket", 400)
    svc.distribute_supplies(camp="c", item="blanket", quantity=250)
    before = stored_count(svc)
    with pytest.raises(StockError) as info:
        svc.distribute_supplies(camp="c", item="blanket", quantity=151)
    assert str(info.value) == "camp 'c' cannot distribute 151 blanket: its stock holds 150"
    assert info.value.rule == "distributions never exceed camp stock"
    assert stored_count(svc) == before
    camp = camp_of(svc)
    assert camp.stock["blanket"] == 150
    assert camp.delivered["blanket"] == 400  # delivered counts distributed and not
    with pytest.raises(StockError, match="cannot distribute 1 water: its stock holds 0"):
        svc.distribute_supplies(camp="c", item="water", quantity=1)


def test_distribution_checks_item_and_quantity(svc: PlannerService) -> None:
    with pytest.raises(DomainRefusal, match="unknown item 'gold'"):
        svc.distribute_supplies(camp="c", item="gold", quantity=1)
    with pytest.raises(StockError, match=r"quantity must be from 1 to [0-9]+, got 0"):
        svc.distribute_supplies(camp="c", item="water", quantity=0)


def test_receive_delivery_checks_item_and_quantity(svc: PlannerService) -> None:
    camp = camp_of(svc)
    stockpile_id = svc.id_of("stockpile", "x")
    with pytest.raises(DomainRefusal, match="unknown item 'gold'"):
        camp.receive_delivery(stockpile_id=stockpile_id, item="gold", quantity=1)
    with pytest.raises(StockError, match=r"quantity must be from 1 to [0-9]+, got -2"):
        camp.receive_delivery(stockpile_id=stockpile_id, item="water", quantity=-2)


def test_build_facilities(svc: PlannerService) -> None:
    svc.build_facilities(camp="c", facility="latrine", count=20)
    svc.build_facilities(camp="c", facility="latrine", count=5)
    svc.build_facilities(camp="c", facility="water_tap", count=2)
    facilities = camp_of(svc).facilities
    assert (facilities["latrine"], facilities["water_tap"], facilities["health_post"]) == (25, 2, 0)
    with pytest.raises(DomainRefusal, match="unknown facility 'casino'"):
        svc.build_facilities(camp="c", facility="casino", count=1)
    with pytest.raises(DomainRefusal, match="count must be above 0, got 0"):
        svc.build_facilities(camp="c", facility="latrine", count=0)


# -- closing -----------------------------------------------------------------------------------


def test_closed_camp_refuses_everything(svc: PlannerService) -> None:
    svc.register_arrivals(camp="c", people=100)
    svc.assign_sector(camp="c", sector="WSH", partner="oxfam")
    supply(svc, "water", 1_000)
    svc.receive_supplies(stockpile="depot", item="water", quantity=50)
    svc.close_camp(camp="c")
    camp = camp_of(svc)
    assert camp.closed
    history = list(svc.events.get(camp.id))
    before = stored_count(svc)
    refused: list[tuple[str, dict[str, Any], str]] = [
        ("assign_sector", {"camp": "c", "sector": "SHL", "partner": "oxfam"}, "change sector"),
        ("reassign_sector", {"camp": "c", "sector": "WSH", "partner": "unicef"}, "change sector"),
        ("release_sector", {"camp": "c", "sector": "WSH"}, "release a sector"),
        ("register_arrivals", {"camp": "c", "people": 1}, "register arrivals"),
        ("register_departures", {"camp": "c", "people": 1}, "register departures"),
        ("distribute_supplies", {"camp": "c", "item": "water", "quantity": 1}, "distribute"),
        ("build_facilities", {"camp": "c", "facility": "latrine", "count": 1}, "build"),
        ("close_camp", {"camp": "c"}, "close it again"),
        (
            "reserve_supplies",
            {"stockpile": "depot", "camp": "c", "item": "water", "quantity": 1},
            "have supplies reserved",
        ),
        (
            "dispatch_supplies",
            {"stockpile": "depot", "camp": "c", "item": "water", "quantity": 1},
            "receive supplies",
        ),
    ]
    for name, args, doing in refused:
        with pytest.raises(StatusError, match=f"camp 'c' is closed; cannot {doing}") as info:
            getattr(svc, name)(**args)
        assert info.value.rule == "nothing changes in a closed camp"
    assert stored_count(svc) == before
    assert list(svc.events.get(camp.id)) == history
    after = camp_of(svc)
    assert after.version == camp.version
    assert after.population["people"] == 100
    assert after.stock["water"] == 1_000
