"""Sites and administrative areas (contract Part 2): establish_camp's site details, their
refusals at every door (command table, domain, scenario file), the camp view's new fields and
the area views' fields, with hand-computed figures."""

from __future__ import annotations

from typing import Any

import pytest

from domain.camp import Camp
from domain.commands import COMMANDS, ArgumentError, validate_args
from domain.site import SiteError
from planner.replay import replay_scenario
from planner.scenario import ScenarioError, parse_scenario
from tests.projections_helpers import memory_planner, stored_records, view_of

BASE: dict[str, Any] = {
    "camp": "c",
    "plan": "p",
    "location": "Miyako",
    "site_area_m2": 4500.0,
    "shelter_capacity": 100,
}
SITE: dict[str, Any] = {
    "name": "Miyako North Junior High School",
    "kind": "evacuation_centre",
    "adm1": "JP03",
    "adm2": "JP03202",
    "lat": 39.64,
    "lon": 141.95,
}


def establish(**args: Any) -> Any:
    """Validate establish_camp's arguments as the command table does."""
    return validate_args(COMMANDS["establish_camp"], {**BASE, **args})


# -- the command table: types --------------------------------------------------------------


def test_site_details_are_optional_and_accepted() -> None:
    assert establish() == BASE
    assert establish(**SITE) == {**BASE, **SITE}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"kind": "stadium"}, "'kind' must be one of camp, collective_centre"),
        ({"adm1": "JP 03"}, "'adm1' must be a code string"),
        ({"adm1": ""}, "'adm1' must be a code string"),
        ({"adm1": "JP03", "adm2": "03/202"}, "'adm2' must be a code string"),
        ({"adm1": "JP03", "adm2": 3202}, "quote codes that look like numbers"),
        ({"adm1": 3.5}, "quote codes that look like numbers"),
        ({"adm1": ["JP03"]}, "'adm1' must be a code string"),
        ({"lat": 90.5, "lon": 0}, "'lat' must be WGS 84 decimal degrees from -90 to 90"),
        ({"lat": 0, "lon": -180.01}, "'lon' must be WGS 84 decimal degrees from -180 to 180"),
        ({"lat": "39.6", "lon": 141.9}, "'lat' must be WGS 84"),
        ({"lat": True, "lon": 141.9}, "'lat' must be WGS 84"),
        ({"lat": float("nan"), "lon": 141.9}, "'lat' must be WGS 84"),
        ({"lat": 39.6, "lon": float("inf")}, "'lon' must be WGS 84"),
        ({"name": "  "}, "'name' must be a non-empty string"),
    ],
)
def test_ill_typed_site_details_are_refused(args: dict[str, Any], words: str) -> None:
    with pytest.raises(ArgumentError, match=words.replace("(", r"\(")):
        establish(**args)


def test_range_ends_are_accepted() -> None:
    assert establish(lat=-90, lon=180)["lat"] == -90.0
    assert establish(lat=90.0, lon=-180)["lon"] == -180.0
    assert establish(adm1="a_B-9")["adm1"] == "a_B-9"


# -- the domain: rules that tie the details together ---------------------------------------


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"adm2": "JP03202"}, "adm1", "adm2 'JP03202' is given without adm1"),
        ({"lat": 39.6}, "lon", "lat is given without lon"),
        ({"lon": 141.9}, "lat", "lon is given without lat"),
        ({"lat": 91.0, "lon": 0.0}, "lat", "lat must be WGS 84"),
        ({"lat": 0.0, "lon": 181.0}, "lon", "lon must be WGS 84"),
        ({"kind": "stadium"}, "kind", "unknown site kind"),
        ({"adm1": "JP 03"}, "adm1", "adm1 must be a code"),
    ],
)
def test_the_domain_refuses_inconsistent_site_details(
    args: dict[str, Any], field: str, words: str
) -> None:
    planner = memory_planner()
    planner.service.draft_plan(plan="p", title="T", crisis="c", planning_figure=10)
    before = len(stored_records(planner.service))
    with pytest.raises(SiteError, match=words) as refused:
        planner.service.establish_camp(**BASE, **args)
    assert refused.value.field == field
    assert refused.value.rule
    assert len(stored_records(planner.service)) == before  # nothing stored
    assert not planner.service.exists("camp", "c")


def test_a_camp_without_site_details_stores_exactly_the_part_1_event() -> None:
    planner = memory_planner()
    planner.service.draft_plan(plan="p", title="T", crisis="c", planning_figure=10)
    planner.service.establish_camp(**BASE)
    topics = [r.name for r in stored_records(planner.service)]
    assert topics[-1].endswith("Camp.Established")
    assert not any("SiteDescribed" in t for t in topics)


def test_site_details_are_stored_and_kept_by_the_aggregate() -> None:
    planner = memory_planner()
    planner.service.draft_plan(plan="p", title="T", crisis="c", planning_figure=10)
    planner.service.establish_camp(**BASE, adm1="JP03")
    camp = planner.service.load("camp", "c", Camp)
    assert (camp.site.name, camp.site.kind, camp.site.adm1, camp.site.adm2) == (
        "c",
        "camp",
        "JP03",
        None,
    )
    assert stored_records(planner.service)[-1].name.endswith("Camp.SiteDescribed")


# -- views ---------------------------------------------------------------------------------


def test_the_camp_view_shows_site_details_or_null() -> None:
    planner = memory_planner()
    service = planner.service
    service.draft_plan(plan="p", title="T", crisis="c", planning_figure=10)
    service.establish_camp(**BASE)
    service.establish_camp(**{**BASE, "camp": "d"}, **SITE)
    planner.catch_up()
    plain = view_of(planner, "camp", "c")
    assert {k: plain[k] for k in SITE} == {
        "name": "c",  # the slug
        "kind": "camp",
        "adm1": None,
        "adm2": None,
        "lat": None,
        "lon": None,
    }
    detailed = view_of(planner, "camp", "d")
    assert {k: detailed[k] for k in SITE} == SITE


def test_area_views_roll_up_camps_over_plans() -> None:
    planner = memory_planner()
    s = planner.service
    for plan in ("p", "q"):
        s.draft_plan(plan=plan, title="T", crisis="c", planning_figure=10, required_sectors=["WSH"])
    s.register_partner(partner="ngo", name="NGO", kind="ngo")
    s.join_plan(plan="p", partner="ngo", role="implementer")
    a: dict[str, Any] = {**BASE, "adm1": "JP03", "adm2": "JP03202"}
    s.establish_camp(**{**a, "camp": "a"})  # p, WSH led below
    s.establish_camp(**{**a, "camp": "b", "plan": "q"})  # q, WSH uncovered
    s.establish_camp(**{**BASE, "camp": "x", "adm1": "JP03", "adm2": "JP03203"})
    s.establish_camp(**{**BASE, "camp": "y", "adm1": "JP04"})  # another prefecture
    s.assign_sector(camp="a", sector="WSH", partner="ngo")
    s.register_arrivals(camp="a", people=40, under5=4, elderly=6)
    s.open_stockpile(stockpile="s", partner="ngo", location="Depot")
    # two days for 40 people: water 40 × 15 × 2 = 1,200 L, 80 rations, 1 kit → at_risk
    for item, quantity in (("water", 1_200), ("food_ration", 80), ("medical_kit", 1)):
        s.receive_supplies(stockpile="s", item=item, quantity=quantity)
        s.dispatch_supplies(stockpile="s", camp="a", item=item, quantity=quantity)
    s.register_arrivals(camp="b", people=30, disabled=2)
    s.register_arrivals(camp="x", people=20, under5=1)
    s.close_camp(camp="x")  # its 20 people no longer count
    s.register_arrivals(camp="y", people=5)
    planner.catch_up()
    statuses = {c: view_of(planner, "camp", c)["status"] for c in ("a", "b")}
    assert statuses == {"a": "at_risk", "b": "not_ready"}  # a has 2 of 3 days, b lacks WSH

    adm1 = planner.queries.area("adm1", "JP03")
    assert adm1 is not None
    assert adm1["camps"] == {"ready": 0, "at_risk": 1, "not_ready": 1, "closed": 1}
    assert (adm1["population"], adm1["under5"], adm1["elderly"], adm1["disabled"]) == (
        70,  # 40 + 30; x is closed
        4,
        6,
        2,
    )
    assert adm1["pregnant_lactating"] == adm1["unaccompanied_minors"] == 0
    assert adm1["people_by_status"] == {"ready": 0, "at_risk": 40, "not_ready": 30}
    assert adm1["uncovered"] == {"WSH": 1}  # b only (x is closed)

    # needs of the open camps a (40 people) and b (30), 3 ready days, sphere-emergency:
    # water ⌈40×15×3⌉ − 1,200 = 600 and 30×15×3 = 1,350; food 120 − 80 and 90; kits 1 − 1 and 1;
    # blankets and mats 40 + 30; each facility ⌈40/…⌉ + ⌈30/…⌉ = 1 + 1
    def need(shortfall: int) -> dict[str, int]:
        return {"shortfall": shortfall, "committed": 0, "uncommitted": shortfall}

    assert adm1["needs"] == {
        "water": need(1_950),
        "food_ration": need(130),
        "medical_kit": need(1),
        "blanket": need(70),
        "sleeping_mat": need(70),
        **{f: need(2) for f in ("latrine", "water_tap", "health_post", "waste_container")},
        "bathing_shelter": need(2),
    }
    assert adm1["camp_list"] == ["a", "b", "x"]
    assert adm1["plans"] == ["p", "q"]

    adm2 = planner.queries.area("adm2", "JP03202")
    assert adm2 is not None and adm2["camp_list"] == ["a", "b"] and adm2["adm1"] == "JP03"
    assert planner.queries.area("adm2", "JP03203")["camps"]["closed"] == 1  # type: ignore[index]
    assert planner.queries.area("adm1", "JP99") is None
    codes = [(v["level"], v["area"]) for v in planner.queries.areas()]
    assert codes == [
        ("adm1", "JP03"),
        ("adm2", "JP03202"),
        ("adm2", "JP03203"),
        ("adm1", "JP04"),
    ]


def test_area_needs_sum_each_part_separately_over_open_camps() -> None:
    from projections.areas import area_view

    def camp(slug: str, status: str, needs: dict[str, Any]) -> dict[str, Any]:
        groups = dict.fromkeys(
            ("under5", "elderly", "disabled", "pregnant_lactating", "unaccompanied_minors"), 0
        )
        return {
            "camp": slug,
            "id": slug,
            "plan": "p",
            "adm1": "A",
            "status": status,
            "population": 10,
            **groups,
            "uncovered_sectors": [],
            "needs": needs,
        }

    water = {"shortfall": 100, "committed": 150, "uncommitted": 0}
    docs = [
        camp("a", "at_risk", {"water": water}),
        camp("b", "not_ready", {"water": {"shortfall": 50, "committed": 0, "uncommitted": 50}}),
        camp("c", "closed", {"latrine": {"shortfall": 1, "committed": 0, "uncommitted": 1}}),
        camp("d", "ready", {}),
    ]
    # water on its way to a never covers b's gap: uncommitted is 0 + 50, not max(0, 150 - 150)
    assert area_view("adm1", "A", docs)["needs"] == {
        "water": {"shortfall": 150, "committed": 150, "uncommitted": 50}
    }


# -- scenario files --------------------------------------------------------------------------

FILE = """\
scenario: sites
title: Sites
start: 2011-03-11T06:00:00Z
steps:
  - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: c, planning_figure: 100}}
  - {at: +0d, do: establish_camp, with: {camp: c, plan: p, location: L, site_area_m2: 4500,
                                         shelter_capacity: 100, STEP}}
  - {at: +1d, do: register_arrivals, with: {camp: c, people: 10}}
checks:
  - {at: +1d, CHECK, expect: {population: 10}}
"""


def scenario(step: str, check: str = "camp: c") -> str:
    return FILE.replace("STEP", step).replace("CHECK", check)


def test_a_scenario_checks_areas_and_camp_site_fields() -> None:
    text = scenario("adm1: JP03, adm2: '03202', lat: 39.6, lon: 141.9", "adm2: '03202'")
    text += "  - {at: +1d, adm1: JP03, expect: {camps: {not_ready: 1, ready: 0}}}\n"
    text += "  - {at: +1d, camp: c, expect: {name: c, kind: camp, adm2: '03202', lat: 39.6}}\n"
    report = replay_scenario(parse_scenario(text, "sites.yaml"), "memory:")
    assert report.ok, [c.as_dict() for c in report.checks]
    assert len(report.checks) == 3


@pytest.mark.parametrize(
    ("step", "check", "words"),
    [
        ("adm1: JP03", "adm1: JP04", "check 1 (line 10): unknown area adm1 'JP04'"),
        ("adm1: JP03, adm2: '03202'", "adm2: '03203'", "check 1 (line 10): unknown area adm2"),
        ("adm1: JP03", "adm2: JP03", "unknown area adm2 'JP03'"),
        ("adm1: JP03, adm2: '03202'", "adm2: 3202", "quote codes that look like numbers"),
        ("adm1: JP03", "adm1: JP03, camp: c", "a check names exactly one of"),
        ("adm1: JP03, adm2: 03202", "camp: c", "step 2 (line 6): 'adm2' must be a code string"),
        ("lat: 100, lon: 0", "camp: c", "step 2 (line 6): 'lat' must be WGS 84"),
        ("kind: tent_city", "camp: c", "step 2 (line 6): 'kind' must be one of"),
    ],
)
def test_bad_site_details_or_area_checks_name_the_place(step: str, check: str, words: str) -> None:
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(scenario(step, check), "sites.yaml")
    assert "sites.yaml" in str(bad.value)
    assert words in str(bad.value)


def test_an_area_checked_before_its_first_camp_is_unknown() -> None:
    text = scenario("adm1: JP03").replace(
        "checks:\n",
        "  - {at: +2d, do: establish_camp, with: {camp: d, plan: p, location: L, "
        "site_area_m2: 10, shelter_capacity: 1, adm1: JP05}}\nchecks:\n",
    )
    text += "  - {at: +1d, adm1: JP05, expect: {population: 0}}\n"
    with pytest.raises(ScenarioError, match=r"check 2 .*unknown area adm1 'JP05' at .*step 4"):
        parse_scenario(text, "sites.yaml")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("adm2: '03202'", "adm2 '03202' is given without adm1"),
        ("lat: 39.6", "lat is given without lon"),
        ("lon: 141.9", "lon is given without lat"),
    ],
)
def test_domain_refusals_of_a_scenario_step_name_the_step(step: str, words: str) -> None:
    report = replay_scenario(parse_scenario(scenario(step), "sites.yaml"), "memory:")
    assert report.error is not None
    message = str(report.error)
    assert "sites.yaml" in message and "step 2 (line 6)" in message and words in message
    assert len(report.steps_applied) == 1  # nothing after the refusal is stored


def test_the_replay_report_summarises_areas_at_each_check_time() -> None:
    from planner.report import format_report

    text = scenario("adm1: JP03, adm2: '03202'", "adm2: '03202'")
    report = replay_scenario(parse_scenario(text, "sites.yaml"), "memory:")
    areas = report.as_dict()["readiness"][0]["areas"]
    assert [(a["level"], a["area"], a["population"]) for a in areas] == [
        ("adm1", "JP03", 10),
        ("adm2", "03202", 10),
    ]
    assert areas[0]["sites"] == {"ready": 0, "at_risk": 0, "not_ready": 1, "closed": 0}
    printed = format_report(report)
    assert "-- areas at 2011-03-12T06:00:00Z" in printed
    assert "   adm1 JP03: sites ready 0, at risk 0, not ready 1, closed 0; people 10" in printed
    assert "     adm2 03202: " in printed


def test_a_report_without_area_codes_has_no_area_summary() -> None:
    report = replay_scenario(parse_scenario(scenario("kind: camp"), "sites.yaml"), "memory:")
    assert "areas" not in report.as_dict()["readiness"][0]
