"""Readiness rules (contract: "Readiness rules"), one test per rule, with hand-computed figures.

Every figure is worked out in a comment or an assert next to it, Sphere arithmetic included:
daily need per person (water 15 L, 1 ration, 1 medical kit per 90,000 person-days), people per
facility (latrine 50, tap 250, health post 10,000, waste container 50, bathing shelter 50) and
site area (45 m² per person). The tests drive the in-memory planner and read the materialised
views after catching up; one test also folds the stored events by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.catalog import CONSUMABLES, DEFAULT_REQUIRED_SECTORS, FACILITIES
from domain.errors import SectorError
from planner.wiring import Planner, open_planner
from tests.conftest import SimulatedClock
from tests.projections_helpers import fold_views, stored_records, view_of

PEOPLE = 1_000
# What a camp of 1,000 people needs to be "ready" for 3 days under sphere-emergency:
READY_SUPPLIES = {
    "water": 45_000,  # 45,000 L ÷ (1,000 people × 15 L/day) = 3.0 days
    "food_ration": 3_000,  # 3,000 rations ÷ (1,000 people × 1 ration/day) = 3.0 days
    "medical_kit": 1,  # 1 kit ÷ (1,000 people × 1/90,000 kit/day) = 90.0 days
    "blanket": 1_000,  # 1,000 ÷ 1,000 people = 1.0 per person
    "sleeping_mat": 1_000,  # 1,000 ÷ 1,000 people = 1.0 per person
}
READY_FACILITIES = {
    "latrine": 20,  # 1,000 ÷ 20 = 50 people per latrine (standard: at most 50)
    "water_tap": 4,  # 1,000 ÷ 4 = 250 people per tap (at most 250)
    "health_post": 1,  # 1,000 ÷ 1 = 1,000 people per health post (at most 10,000)
    "waste_container": 20,  # 1,000 ÷ 20 = 50 (at most 50)
    "bathing_shelter": 20,  # 1,000 ÷ 20 = 50 (at most 50)
}


class World:
    """Plan `p` (planning figure 1,000, default sectors, 3 ready days) with camp `c`.

    Partners: `care` (ngo, any sector), `msf` (ngo), `acme` (business), `gov` (government),
    `unhcr` (un_agency); all members of `p`. `unhcr` holds stockpile `depot` (not committed).
    Camp `c`: 45,000 m², shelter for 1,000 people.
    """

    def __init__(self, planner: Planner, clock: SimulatedClock) -> None:
        self.planner = planner
        self.clock = clock
        self.service = planner.service

    def setup(self, **plan: Any) -> World:
        s = self.service
        s.draft_plan(plan="p", title="Kosovo", crisis="kosovo-1999", planning_figure=1_000, **plan)
        for slug, kind in (
            ("care", "ngo"),
            ("msf", "ngo"),
            ("acme", "business"),
            ("gov", "government"),
            ("unhcr", "un_agency"),
        ):
            s.register_partner(partner=slug, name=slug.upper(), kind=kind)
            s.join_plan(plan="p", partner=slug, role="implementer")
        s.open_stockpile(stockpile="depot", partner="unhcr", location="Tirana")
        self.camp("c")
        return self

    def camp(self, slug: str, site_area_m2: float = 45_000, capacity: int = 1_000) -> None:
        self.service.establish_camp(
            camp=slug,
            plan="p",
            location=f"site {slug}",
            site_area_m2=site_area_m2,
            shelter_capacity=capacity,
        )

    def cover(self, camp: str = "c", sectors: tuple[str, ...] = DEFAULT_REQUIRED_SECTORS) -> None:
        for sector in sectors:
            self.service.assign_sector(camp=camp, sector=sector, partner="care")

    def supply(self, item: str, quantity: int, camp: str = "c") -> None:
        """Bring `quantity` of `item` into the camp (stockpile receipt, then dispatch)."""
        self.service.receive_supplies(stockpile="depot", item=item, quantity=quantity)
        self.service.dispatch_supplies(stockpile="depot", camp=camp, item=item, quantity=quantity)

    def arrive(self, people: int = PEOPLE, camp: str = "c", **groups: int) -> None:
        self.service.register_arrivals(camp=camp, people=people, **groups)

    def make_ready(self, camp: str = "c", **changes: int) -> None:
        """Cover every sector, bring 1,000 people and everything they need (minus changes)."""
        self.cover(camp)
        self.arrive(camp=camp)
        for item, quantity in (READY_SUPPLIES | changes).items():
            if item in READY_SUPPLIES and quantity:
                self.supply(item, quantity, camp)
        for facility, count in READY_FACILITIES.items():
            count = changes.get(facility, count)
            if count:
                self.service.build_facilities(camp=camp, facility=facility, count=count)

    def view(self, kind: str = "camp", slug: str = "c") -> Any:
        return view_of(self.planner, kind, slug)


@pytest.fixture
def planner(clock: SimulatedClock) -> Iterator[Planner]:
    planner = open_planner("memory:", clock_fn=clock)
    yield planner
    planner.close()


@pytest.fixture
def world(planner: Planner, clock: SimulatedClock) -> World:
    return World(planner, clock).setup()


@pytest.fixture
def bare(planner: Planner, clock: SimulatedClock) -> World:
    """A world whose plan the test drafts itself (`bare.setup(...)`)."""
    return World(planner, clock)


# -- population ---------------------------------------------------------------------------------


def test_population_is_arrivals_minus_departures_per_group(world: World) -> None:
    world.arrive(
        1_200, under5=200, elderly=50, disabled=10, pregnant_lactating=30, unaccompanied_minors=5
    )
    world.service.register_departures(camp="c", people=200, under5=20, elderly=5)
    view = world.view()
    assert view["population"] == 1_200 - 200 == 1_000
    assert view["under5"] == 200 - 20 == 180
    assert view["elderly"] == 50 - 5 == 45
    assert view["disabled"] == 10
    assert view["pregnant_lactating"] == 30
    assert view["unaccompanied_minors"] == 5


def test_an_empty_camp_has_population_zero_and_no_groups(world: World) -> None:
    view = world.view()
    assert view["population"] == 0
    assert [view[g] for g in ("under5", "elderly", "disabled")] == [0, 0, 0]


# -- sectors ------------------------------------------------------------------------------------


def test_every_required_sector_without_a_lead_is_uncovered(world: World) -> None:
    assert world.view()["uncovered_sectors"] == list(DEFAULT_REQUIRED_SECTORS)
    world.cover(sectors=("CCM", "SHL", "WSH", "FSC", "PRO"))
    view = world.view()
    assert view["uncovered_sectors"] == ["HEA"]
    assert "sector HEA (health) has no lead" in view["gaps"]
    assert view["status"] == "not_ready"


def test_a_sector_led_by_a_withdrawn_partner_is_uncovered(world: World) -> None:
    world.cover(sectors=("CCM", "SHL", "FSC", "HEA", "PRO"))
    world.service.assign_sector(camp="c", sector="WSH", partner="msf")
    assert world.view()["uncovered_sectors"] == []
    world.service.withdraw_partner(partner="msf", reason="left the country")
    view = world.view()
    assert view["uncovered_sectors"] == ["WSH"]
    assert view["sector_leads"]["WSH"] == "msf"  # still on record
    assert any("WSH" in gap and "'msf', which has withdrawn" in gap for gap in view["gaps"])
    # handing the lead over to an active partner covers it again
    world.service.reassign_sector(camp="c", sector="WSH", partner="care")
    assert world.view()["uncovered_sectors"] == []


def test_a_released_sector_is_uncovered(world: World) -> None:
    world.cover()
    world.service.release_sector(camp="c", sector="FSC")
    assert world.view()["uncovered_sectors"] == ["FSC"]


def test_only_the_plans_required_sectors_count(bare: World) -> None:
    bare.setup(required_sectors=["WSH", "PRO"])
    view = bare.view()
    assert view["required_sectors"] == ["WSH", "PRO"]
    assert view["uncovered_sectors"] == ["WSH", "PRO"]
    bare.service.assign_sector(camp="c", sector="EDU", partner="care")  # not required
    assert bare.view()["uncovered_sectors"] == ["WSH", "PRO"]
    bare.cover(sectors=("WSH", "PRO"))
    view = bare.view()
    assert view["uncovered_sectors"] == []
    assert view["status"] == "ready"  # nobody there yet: nothing else can fail


# -- days of cover ------------------------------------------------------------------------------


def test_days_of_cover_per_consumable(world: World) -> None:
    world.arrive(1_000)
    world.supply("water", 30_000)
    world.supply("food_ration", 1_500)
    world.supply("medical_kit", 1)
    cover = world.view()["days_of_cover"]
    assert cover["water"] == pytest.approx(30_000 / (1_000 * 15)) == 2.0  # 30,000 L ÷ 15,000 L/d
    assert cover["food_ration"] == pytest.approx(1_500 / (1_000 * 1)) == 1.5
    # 1 kit serves 1,000 people for 90 days: 1 ÷ (1,000 × 1/90,000) = 90 days
    assert cover["medical_kit"] == pytest.approx(1 / (1_000 / 90_000)) == 90.0


def test_medical_kit_cover_scales_with_population(world: World) -> None:
    world.arrive(4_500)
    world.supply("medical_kit", 1)
    # 1 kit ÷ (4,500 people × 1/90,000 kit per person-day) = 90,000 ÷ 4,500 = 20 days
    assert world.view()["days_of_cover"]["medical_kit"] == 20.0


def test_days_of_cover_counts_camp_stock_not_what_was_distributed(world: World) -> None:
    world.arrive(1_000)
    world.supply("water", 30_000)
    world.service.distribute_supplies(camp="c", item="water", quantity=15_000)
    # (30,000 − 15,000) L ÷ (1,000 × 15 L/day) = 1.0 day
    assert world.view()["days_of_cover"]["water"] == 1.0


def test_days_of_cover_is_null_at_population_zero(world: World) -> None:
    world.supply("water", 30_000)
    assert world.view()["days_of_cover"] == dict.fromkeys(CONSUMABLES)
    world.arrive(100)
    world.service.register_departures(camp="c", people=100)
    assert world.view()["days_of_cover"] == dict.fromkeys(CONSUMABLES)


# -- per person and people per facility --------------------------------------------------------


def test_per_person_counts_everything_delivered_distributed_or_not(world: World) -> None:
    world.arrive(1_000)
    world.supply("blanket", 1_500)
    world.supply("sleeping_mat", 500)
    world.service.distribute_supplies(camp="c", item="blanket", quantity=1_000)
    per_person = world.view()["per_person"]
    assert per_person["blanket"] == 1_500 / 1_000 == 1.5  # handed out or in store: delivered
    assert per_person["sleeping_mat"] == 500 / 1_000 == 0.5
    assert "sleeping_mat: 0.50 per person, under 1 per person" in world.view()["gaps"]


def test_per_person_is_null_at_population_zero(world: World) -> None:
    world.supply("blanket", 10)
    assert world.view()["per_person"] == {"blanket": None, "sleeping_mat": None}


def test_people_per_facility(world: World) -> None:
    world.arrive(1_000)
    world.service.build_facilities(camp="c", facility="latrine", count=25)
    world.service.build_facilities(camp="c", facility="water_tap", count=3)
    people_per = world.view()["people_per"]
    assert people_per["latrine"] == 1_000 / 25 == 40.0
    assert people_per["water_tap"] == pytest.approx(1_000 / 3, abs=1e-4)  # 333.33 > 250
    # no health post, waste container or bathing shelter for 1,000 people: unmet, null
    assert people_per["health_post"] is None
    gaps = world.view()["gaps"]
    assert "health_post: none built for 1,000 people" in gaps
    assert "water_tap: 333.3 people per water_tap, standard at most 250" in gaps
    assert not any(gap.startswith("latrine") for gap in gaps)  # 40 ≤ 50


def test_people_per_facility_with_nobody_there(world: World) -> None:
    assert world.view()["people_per"] == dict.fromkeys(FACILITIES)  # count 0, population 0
    world.service.build_facilities(camp="c", facility="latrine", count=5)
    assert world.view()["people_per"]["latrine"] == 0 / 5 == 0.0


# -- site area, congestion, overcrowding --------------------------------------------------------


@pytest.mark.parametrize(
    ("site_area_m2", "per_person", "band"),
    [
        (45_000, 45.0, "none"),  # 45,000 m² ÷ 1,000 people = 45 m²: the standard, met
        (44_990, 44.99, "low"),  # just under 45
        (30_000, 30.0, "low"),  # 30 is still low
        (29_990, 29.99, "moderate"),
        (20_000, 20.0, "moderate"),  # 20 is still moderate
        (19_990, 19.99, "high"),
    ],
)
def test_congestion_bands_at_their_boundaries(
    bare: World, site_area_m2: float, per_person: float, band: str
) -> None:
    bare.setup()
    bare.camp("site", site_area_m2=site_area_m2)
    bare.make_ready("site")
    view = bare.view(slug="site")
    assert view["site_area_per_person"] == per_person == site_area_m2 / 1_000
    assert view["congestion"] == band
    # moderate and high congestion put the camp at risk; low does not
    expected = "at_risk" if band in ("moderate", "high") else "ready"
    assert view["status"] == expected
    assert any(gap.startswith("congestion") for gap in view["gaps"]) is (expected == "at_risk")


def test_site_area_and_congestion_are_null_at_population_zero(world: World) -> None:
    view = world.view()
    assert view["site_area_per_person"] is None
    assert view["congestion"] is None


def test_overcrowded_means_more_people_than_shelter_capacity(world: World) -> None:
    world.make_ready()  # 1,000 people, shelter for 1,000: not over
    assert world.view()["overcrowded"] is False
    assert world.view()["status"] == "ready"
    world.camp("small", capacity=999)
    world.make_ready("small")  # 1,000 people > shelter for 999, and nothing else fails
    view = world.view(slug="small")
    assert view["overcrowded"] is True
    assert view["gaps"] == ["overcrowded: 1,000 people for a shelter capacity of 999"]
    assert view["status"] == "at_risk"


# -- status and its precedence ------------------------------------------------------------------


def test_ready_when_every_criterion_holds(world: World) -> None:
    world.make_ready()
    view = world.view()
    assert view["status"] == "ready"
    assert view["gaps"] == []
    assert view["days_of_cover"] == {"water": 3.0, "food_ration": 3.0, "medical_kit": 90.0}
    assert view["per_person"] == {"blanket": 1.0, "sleeping_mat": 1.0}
    assert view["people_per"] == {
        "latrine": 50.0,
        "water_tap": 250.0,
        "health_post": 1_000.0,
        "waste_container": 50.0,
        "bathing_shelter": 50.0,
    }


def test_an_uncovered_sector_is_not_ready_whatever_else_holds(world: World) -> None:
    world.make_ready()
    world.service.release_sector(camp="c", sector="HEA")
    assert world.view()["status"] == "not_ready"


def test_a_consumable_under_one_day_is_not_ready(world: World) -> None:
    world.make_ready(water=14_999)  # 14,999 L ÷ 15,000 L/day = 0.99993 days < 1
    view = world.view()
    assert view["days_of_cover"]["water"] == pytest.approx(14_999 / 15_000, abs=1e-4)
    assert view["status"] == "not_ready"
    # 0.99993 days reads as under 1 day (never "1.00 days, under 1 day")
    assert any(gap.startswith("water covers 0.9999 days for 1,000 people") for gap in view["gaps"])


def test_exactly_one_day_of_cover_is_at_risk_not_not_ready(world: World) -> None:
    world.make_ready(water=15_000)  # 15,000 ÷ 15,000 = 1.0 day: not under 1, under 3
    view = world.view()
    assert view["status"] == "at_risk"
    assert "water covers 1.00 days, under the plan's 3 ready days" in view["gaps"]


@pytest.mark.parametrize(
    "changes",
    [
        {"water": 30_000},  # 30,000 ÷ 15,000 = 2 days < 3 ready days
        {"food_ration": 2_999},  # 2,999 ÷ 1,000 = 2.999 days < 3
        {"latrine": 19},  # 1,000 ÷ 19 = 52.6 people per latrine > 50
        {"health_post": 0},  # no health post for 1,000 people: unmet
        {"blanket": 999},  # 999 ÷ 1,000 = 0.999 per person < 1
    ],
)
def test_each_at_risk_criterion_alone(world: World, changes: dict[str, Any]) -> None:
    world.make_ready(**changes)
    view = world.view()
    assert view["status"] == "at_risk"
    assert len(view["gaps"]) == 1, view["gaps"]


def test_closed_takes_precedence_over_every_other_status(world: World) -> None:
    world.arrive(1_000)  # not ready: no lead, no water
    assert world.view()["status"] == "not_ready"
    world.service.close_camp(camp="c")
    view = world.view()
    assert view["status"] == "closed"
    assert view["population"] == 1_000  # history does not change
    assert view["uncovered_sectors"] == list(DEFAULT_REQUIRED_SECTORS)


def test_population_zero_with_every_sector_covered_is_ready(world: World) -> None:
    world.cover()
    assert world.view()["status"] == "ready"


def test_ready_days_come_from_the_plan(bare: World) -> None:
    bare.setup(ready_days=2)
    bare.make_ready(water=30_000, food_ration=2_000)  # 2.0 days each
    view = bare.view()
    assert view["ready_days"] == 2
    assert view["status"] == "ready"  # 2 days is not under 2 ready days


def test_fractional_ready_days(bare: World) -> None:
    bare.setup(ready_days=2.5)
    bare.make_ready(water=30_000)  # 2.0 days < 2.5
    assert bare.view()["status"] == "at_risk"
    assert "water covers 2.00 days, under the plan's 2.5 ready days" in bare.view()["gaps"]


# -- standards profiles and overrides -----------------------------------------------------------


def test_post_emergency_profile(bare: World) -> None:
    bare.setup(standards_profile="sphere-post-emergency")
    bare.make_ready(water=60_000)
    view = bare.view()
    # water: 60,000 L ÷ (1,000 × 20 L/day) = 3.0 days
    assert view["days_of_cover"]["water"] == 3.0
    # latrines and bathing shelters: at most 20 people each, 1,000 ÷ 20 = 50 > 20
    assert view["status"] == "at_risk"
    assert "latrine: 50.0 people per latrine, standard at most 20" in view["gaps"]
    assert "bathing_shelter: 50.0 people per bathing_shelter, standard at most 20" in view["gaps"]
    bare.service.build_facilities(camp="c", facility="latrine", count=30)  # 1,000 ÷ 50 = 20
    bare.service.build_facilities(camp="c", facility="bathing_shelter", count=30)
    assert bare.view()["status"] == "ready"
    plan = bare.view("plan", "p")
    assert plan["standards"] == {"profile": "sphere-post-emergency", "overrides": {}}


def test_post_emergency_water_need_lowers_days_of_cover(bare: World) -> None:
    bare.setup(standards_profile="sphere-post-emergency")
    bare.arrive(1_000)
    bare.supply("water", 30_000)
    # 30,000 L ÷ (1,000 people × 20 L/day) = 1.5 days (it would be 2.0 at 15 L/day)
    assert bare.view()["days_of_cover"]["water"] == 1.5


def test_per_plan_overrides(bare: World) -> None:
    bare.setup(standards_overrides={"water": 10, "latrine": 100})
    bare.make_ready(water=30_000, latrine=15)
    view = bare.view()
    assert view["days_of_cover"]["water"] == 30_000 / (1_000 * 10) == 3.0
    assert view["people_per"]["latrine"] == pytest.approx(1_000 / 15, abs=1e-4)  # 66.7 ≤ 100
    assert view["status"] == "ready"
    assert bare.view("plan", "p")["standards"] == {
        "profile": "sphere-emergency",
        "overrides": {"water": 10, "latrine": 100},
    }


def test_fractional_override_of_a_daily_need(bare: World) -> None:
    bare.setup(standards_overrides={"water": 7.5})
    bare.arrive(1_000)
    bare.supply("water", 30_000)
    assert bare.view()["days_of_cover"]["water"] == 30_000 / (1_000 * 7.5) == 4.0


# -- leave nobody behind ------------------------------------------------------------------------

PRO_GAP = "while protection (PRO) has no lead: leave nobody behind"


def test_vulnerable_people_while_protection_has_no_lead(world: World) -> None:
    world.make_ready()
    world.service.release_sector(camp="c", sector="PRO")
    assert not any(PRO_GAP in gap for gap in world.view()["gaps"])  # nobody vulnerable yet
    world.service.register_arrivals(camp="c", people=10, under5=3, unaccompanied_minors=1)
    gaps = world.view()["gaps"]
    assert "vulnerable people registered (under5 3, unaccompanied_minors 1) " + PRO_GAP in gaps
    world.service.assign_sector(camp="c", sector="PRO", partner="msf")
    assert not any(PRO_GAP in gap for gap in world.view()["gaps"])
    world.service.withdraw_partner(partner="msf")  # a withdrawn lead is no lead
    assert any(PRO_GAP in gap for gap in world.view()["gaps"])


def test_leave_nobody_behind_is_a_gap_even_when_pro_is_not_required(bare: World) -> None:
    bare.setup(required_sectors=["CCM", "SHL", "WSH", "FSC", "HEA"])
    bare.make_ready()
    bare.service.release_sector(camp="c", sector="PRO")  # not required: still ready
    assert bare.view()["gaps"] == []
    assert bare.view()["status"] == "ready"
    bare.service.register_departures(camp="c", people=1)
    bare.arrive(1, elderly=1)  # still 1,000 people
    view = bare.view()
    assert view["gaps"] == ["vulnerable people registered (elderly 1) " + PRO_GAP]
    # the contract lists it as a gap of its own, not as a status criterion
    assert view["status"] == "ready"


# -- plan view ----------------------------------------------------------------------------------


def test_tripartite_needs_an_active_ngo_business_and_government(world: World) -> None:
    plan = world.view("plan", "p")
    assert plan["tripartite"] is True
    assert plan["members"] == {
        "ngo": 2,
        "business": 1,
        "government": 1,
        "un_agency": 1,
        "academia": 0,
        "media": 0,
    }
    world.service.withdraw_partner(partner="acme")  # stays a member on record, counts nowhere
    plan = world.view("plan", "p")
    assert plan["tripartite"] is False
    assert plan["missing_kinds"] == ["business"]
    assert plan["members"]["business"] == 0
    assert {"partner": "acme", "withdrawn": True}.items() <= plan["member_list"][2].items()


def test_a_member_that_left_is_not_counted(world: World) -> None:
    world.service.leave_plan(plan="p", partner="gov")
    plan = world.view("plan", "p")
    assert plan["tripartite"] is False
    assert plan["missing_kinds"] == ["government"]
    assert plan["members"]["government"] == 0
    assert "gov" not in [m["partner"] for m in plan["member_list"]]
    world.service.register_partner(partner="prefecture", name="Prefecture", kind="government")
    world.service.join_plan(plan="p", partner="prefecture", role="coordinator")
    assert world.view("plan", "p")["tripartite"] is True


def test_members_by_kind_count_partners_not_roles(world: World) -> None:
    world.service.join_plan(plan="p", partner="care", role="coordinator")  # second role
    plan = world.view("plan", "p")
    assert plan["members"]["ngo"] == 2
    care = next(m for m in plan["member_list"] if m["partner"] == "care")
    assert care["roles"] == ["implementer", "coordinator"]


def test_plan_money_per_currency_with_split_pool_remainder(world: World) -> None:
    s = world.service
    s.pledge_funds(plan="p", partner="acme", amount=100_000, currency="EUR")
    s.pledge_funds(plan="p", partner="gov", amount=50_001, currency="EUR")
    s.pledge_funds(plan="p", partner="acme", amount=7_000, currency="USD")
    s.receive_funds(plan="p", partner="acme", amount=100_000, currency="EUR")
    s.receive_funds(plan="p", partner="gov", amount=20_001, currency="EUR")
    s.disburse_funds(plan="p", partner="care", amount=30_000, currency="EUR")
    # pool: 120,001 received − 30,000 disbursed = 90,001; two NGOs (care, msf):
    # 90,001 = 2 × 45,000 + 1 → each gets 45,000, 1 stays in the pool
    s.split_pool(plan="p", currency="EUR")
    plan = world.view("plan", "p")
    assert plan["pledged"] == {"EUR": 100_000 + 50_001, "USD": 7_000}
    assert plan["received"] == {"EUR": 120_001, "USD": 0}
    assert plan["disbursed"] == {"EUR": 30_000 + 2 * 45_000, "USD": 0}
    assert plan["pool_balance"] == {"EUR": 1, "USD": 0}


def test_split_pool_skips_withdrawn_ngos(world: World) -> None:
    s = world.service
    s.register_partner(partner="oxfam", name="Oxfam", kind="ngo")
    s.join_plan(plan="p", partner="oxfam", role="implementer")
    s.withdraw_partner(partner="msf")
    s.pledge_funds(plan="p", partner="acme", amount=1_000, currency="JPY")
    s.receive_funds(plan="p", partner="acme", amount=1_000, currency="JPY")
    s.split_pool(plan="p", currency="JPY")  # care and oxfam: 1,000 = 2 × 500 + 0
    plan = world.view("plan", "p")
    assert plan["disbursed"] == {"JPY": 1_000}
    assert plan["pool_balance"] == {"JPY": 0}


def test_plan_counts_camps_by_status_and_their_population(world: World) -> None:
    world.make_ready("c")  # ready, 1,000 people
    world.camp("d")
    world.arrive(300, camp="d")  # not ready: no leads, no water
    world.camp("e")
    world.make_ready("e", water=30_000)  # at risk: 2 days of water
    world.camp("f")
    world.arrive(200, camp="f")
    world.service.close_camp(camp="f")
    plan = world.view("plan", "p")
    assert plan["camps"] == {"ready": 1, "at_risk": 1, "not_ready": 1, "closed": 1}
    assert plan["camp_list"] == ["c", "d", "e", "f"]
    assert plan["population"] == 1_000 + 300 + 1_000 + 200
    world.service.release_sector(camp="c", sector="CCM")  # c drops to not ready
    assert world.view("plan", "p")["camps"] == {
        "ready": 0,
        "at_risk": 1,
        "not_ready": 2,
        "closed": 1,
    }


def test_plan_status_follows_its_lifecycle(world: World) -> None:
    assert world.view("plan", "p")["status"] == "drafted"
    world.service.activate_plan(plan="p")
    assert world.view("plan", "p")["status"] == "activated"
    world.service.stand_down_plan(plan="p")
    assert world.view("plan", "p")["status"] == "standing_down"
    world.service.close_plan(plan="p")
    assert world.view("plan", "p")["status"] == "closed"


def test_preparedness_days_from_committed_stockpiles(world: World) -> None:
    s = world.service
    s.open_stockpile(stockpile="north", partner="acme", location="Kukës")
    s.open_stockpile(stockpile="elsewhere", partner="acme", location="Skopje")
    s.commit_stockpile(plan="p", stockpile="depot")
    s.commit_stockpile(plan="p", stockpile="north")
    s.receive_supplies(stockpile="depot", item="water", quantity=60_000)
    s.reserve_supplies(stockpile="depot", camp="c", item="water", quantity=15_000)
    s.receive_supplies(stockpile="north", item="water", quantity=15_000)
    s.receive_supplies(stockpile="elsewhere", item="water", quantity=1_000_000)  # not committed
    s.receive_supplies(stockpile="depot", item="food_ration", quantity=2_500)
    s.reserve_supplies(stockpile="depot", camp="c", item="food_ration", quantity=500)
    s.receive_supplies(stockpile="north", item="medical_kit", quantity=1)
    prep = world.view("plan", "p")["preparedness_days"]
    # water: (60,000 − 15,000 reserved + 15,000) L ÷ (1,000 planned × 15 L/day) = 4.0 days
    assert prep["water"] == (60_000 - 15_000 + 15_000) / (1_000 * 15) == 4.0
    # food: (2,500 − 500) ÷ (1,000 × 1) = 2.0 days
    assert prep["food_ration"] == 2.0
    # kits: 1 ÷ (1,000 × 1/90,000) = 90 days
    assert prep["medical_kit"] == 90.0
    # dispatching 15,000 L takes the reservation first: available stays 45,000 + 15,000
    s.dispatch_supplies(stockpile="depot", camp="c", item="water", quantity=15_000)
    assert world.view("plan", "p")["preparedness_days"]["water"] == 4.0
    # writing off 30,000 L of free stock: 30,000 ÷ 15,000 = 2.0 days left
    s.write_off_supplies(stockpile="depot", item="water", quantity=30_000, reason="expired")
    assert world.view("plan", "p")["preparedness_days"]["water"] == 2.0
    assert world.view("plan", "p")["stockpiles"] == ["depot", "north"]


def test_preparedness_days_use_the_plans_standards(bare: World) -> None:
    bare.setup(standards_profile="sphere-post-emergency")
    bare.service.commit_stockpile(plan="p", stockpile="depot")
    bare.service.receive_supplies(stockpile="depot", item="water", quantity=60_000)
    # 60,000 L ÷ (1,000 × 20 L/day) = 3.0 days
    assert bare.view("plan", "p")["preparedness_days"]["water"] == 3.0


def test_preparedness_days_without_stockpiles_are_zero(world: World) -> None:
    assert world.view("plan", "p")["preparedness_days"] == dict.fromkeys(CONSUMABLES, 0.0)


# -- stockpile view -----------------------------------------------------------------------------


def test_stockpile_items_on_hand_reserved_available(world: World) -> None:
    s = world.service
    world.camp("d")
    s.receive_supplies(stockpile="depot", item="water", quantity=10_000)
    s.reserve_supplies(stockpile="depot", camp="c", item="water", quantity=3_000)
    item = world.view("stockpile", "depot")["items"]["water"]
    assert item == {"on_hand": 10_000, "reserved": 3_000, "available": 10_000 - 3_000}
    # 4,000 to c: its 3,000 reserved first, then 1,000 free
    s.dispatch_supplies(stockpile="depot", camp="c", item="water", quantity=4_000)
    assert world.view("stockpile", "depot")["items"]["water"] == {
        "on_hand": 6_000,
        "reserved": 0,
        "available": 6_000,
    }
    s.write_off_supplies(stockpile="depot", item="water", quantity=500, reason="damaged")
    s.reserve_supplies(stockpile="depot", camp="d", item="water", quantity=2_000)
    s.release_reservation(stockpile="depot", camp="d", item="water", quantity=500)
    view = world.view("stockpile", "depot")
    # on hand 6,000 − 500 = 5,500; reserved 2,000 − 500 = 1,500; available 4,000
    assert view["items"]["water"] == {"on_hand": 5_500, "reserved": 1_500, "available": 4_000}
    assert view["reservations"] == {"d": {"water": 1_500}}
    assert view["partner"] == "unhcr"
    assert view["location"] == "Tirana"


def test_stockpile_lists_the_plans_it_is_committed_to(world: World) -> None:
    assert world.view("stockpile", "depot")["plans"] == []
    world.service.draft_plan(plan="q", title="Floods", crisis="floods", planning_figure=50)
    world.service.commit_stockpile(plan="p", stockpile="depot")
    world.service.commit_stockpile(plan="q", stockpile="depot")
    assert world.view("stockpile", "depot")["plans"] == ["p", "q"]


# -- 3W -----------------------------------------------------------------------------------------


def test_who_does_what_rows(world: World, clock: SimulatedClock) -> None:
    s = world.service
    s.assign_sector(camp="c", sector="WSH", partner="care")
    clock.advance(days=1)
    s.assign_sector(camp="c", sector="HEA", partner="msf")
    world.arrive(500)
    # the 3W table: one row per lead, with the site's details and the camp's population
    world.planner.catch_up()
    rows = world.planner.queries.who_does_what()
    assert rows == [
        {
            "partner": "msf",
            "partner_name": "MSF",
            "kind": "ngo",
            "role": "implementer",
            "lead": "lead",
            "sector": "HEA",
            "camp": "c",
            "site_name": "c",
            "site_kind": "camp",
            "adm1": None,
            "adm2": None,
            "lat": None,
            "lon": None,
            "location": "site c",
            "plan": "p",
            "status": "active",
            "since": "1999-04-02T00:00:00+00:00",
            "population": 500,
        },
        {
            "partner": "care",
            "partner_name": "CARE",
            "kind": "ngo",
            "role": "implementer",
            "lead": "lead",
            "sector": "WSH",
            "camp": "c",
            "site_name": "c",
            "site_kind": "camp",
            "adm1": None,
            "adm2": None,
            "lat": None,
            "lon": None,
            "location": "site c",
            "plan": "p",
            "status": "active",
            "since": "1999-04-01T00:00:00+00:00",
            "population": None,  # the camp's people are counted on its first row only
        },
    ]
    clock.advance(days=1)
    s.reassign_sector(camp="c", sector="WSH", partner="acme")
    s.withdraw_partner(partner="msf")
    s.leave_plan(plan="p", partner="msf")  # a withdrawn partner may still leave
    by_sector = {row["sector"]: row for row in world.view("3w", "c")["rows"]}
    assert (by_sector["WSH"]["partner"], by_sector["WSH"]["kind"]) == ("acme", "business")
    assert by_sector["WSH"]["since"] == "1999-04-03T00:00:00+00:00"
    assert (by_sector["HEA"]["status"], by_sector["HEA"]["role"]) == ("withdrawn", "not a member")
    view = world.view("3w", "c")
    assert [(r["sector"], r["partner"]) for r in view["rows"]] == [("HEA", "msf"), ("WSH", "acme")]
    assert (view["camp"], view["plan"]) == ("c", "p")


# -- the pure fold ------------------------------------------------------------------------------


def test_the_pure_fold_gives_the_materialised_views(world: World) -> None:
    world.make_ready()
    world.service.withdraw_partner(partner="care")
    world.planner.catch_up()
    folded = fold_views(stored_records(world.service))
    camp_id = str(world.service.id_of("camp", "c"))
    camp = folded[("camp", camp_id)]
    assert camp["status"] == "not_ready"  # care led every sector, then withdrew
    assert camp["uncovered_sectors"] == list(DEFAULT_REQUIRED_SECTORS)
    assert camp == world.view()
    plan_id = str(world.service.id_of("plan", "p"))
    assert folded[("plan", plan_id)] == world.view("plan", "p")
    assert folded[("plan", plan_id)]["camps"]["not_ready"] == 1


def test_co_leads_share_a_sector_in_the_views_and_the_3w_table() -> None:
    """Co-leads (an optional argument of assign/reassign_sector) show up; coverage is the lead's."""
    planner = open_planner("memory:")
    s = planner.service
    for slug, kind in (("care", "ngo"), ("acme", "business"), ("jpf", "ngo")):
        s.register_partner(partner=slug, name=slug.upper(), kind=kind)
    s.draft_plan(plan="p", title="P", crisis="C", planning_figure=100, required_sectors=["WSH"])
    for slug in ("care", "acme", "jpf"):
        s.join_plan(plan="p", partner=slug, role="implementer")
    s.establish_camp(camp="c", plan="p", location="L", site_area_m2=4500, shelter_capacity=100)
    s.assign_sector(camp="c", sector="WSH", partner="care", co_leads=["acme"])
    planner.catch_up()
    camp_id = str(s.id_of("camp", "c"))
    view = planner.queries.view("camp", camp_id)
    assert view is not None
    assert view["sector_leads"] == {"WSH": "care"}
    assert view["sector_co_leads"] == {"WSH": ["acme"]}
    assert view["uncovered_sectors"] == []
    rows = planner.queries.who_does_what()
    assert [(r["partner"], r["lead"]) for r in rows] == [("care", "lead"), ("acme", "co-lead")]
    s.withdraw_partner(partner="care")  # the lead withdrew: uncovered, whatever the co-leads
    s.reassign_sector(camp="c", sector="WSH", partner="acme", co_leads=["jpf"])
    planner.catch_up()
    view = planner.queries.view("camp", camp_id)
    assert view is not None
    assert view["uncovered_sectors"] == []
    assert view["sector_co_leads"] == {"WSH": ["jpf"]}
    with pytest.raises(SectorError, match="both lead and co-lead"):
        s.reassign_sector(camp="c", sector="WSH", partner="jpf", co_leads=["jpf"])
    planner.close()


@given(
    value=st.fractions(min_value=0, max_value=10_000),
    limit=st.fractions(min_value=0, max_value=10_000),
    places=st.sampled_from([1, 2]),
)
def test_a_gap_number_never_rounds_onto_its_limit(
    value: Fraction, limit: Fraction, places: int
) -> None:
    from projections.rules import shown_apart

    assume(value != limit)
    shown = float(shown_apart(value, limit, places).replace(",", ""))
    assert (shown < limit) if value < limit else (shown > limit)
