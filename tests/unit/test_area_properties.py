"""Property: an area view equals the sum of its camps' views, now and at any as-of time.

Camps of two plans are spread over two adm1 areas (some with an adm2 code); a random run of
arrivals, departures, sector leads, deliveries and closures follows in simulated time. At every
time a command ran, each area view (time travel) must equal what its camps' views (time travel
as well) add up to by the contract's rules, summed here independently of `projections.areas`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.catalog import VULNERABLE_GROUPS
from domain.errors import PlannerError
from planner.wiring import Planner
from projections.area_rollup import share_in_fold
from projections.areas import area_views, camp_share
from tests.projections_helpers import TickClock, fold_views, memory_planner, stored_records

AREAS = (("A", None), ("A", "A1"), ("A", "A2"), ("B", None), ("B", "B1"))
STATUSES = ("ready", "at_risk", "not_ready", "closed")
# Camps: each of plan p or q, in one of the areas.
PLACEMENTS = st.lists(
    st.tuples(st.sampled_from(["p", "q"]), st.sampled_from(AREAS)), min_size=1, max_size=6
)


def world(planner: Planner, placements: list[tuple[str, tuple[str, str | None]]]) -> None:
    s = planner.service
    s.register_partner(partner="ngo", name="NGO", kind="ngo")
    s.open_stockpile(stockpile="s", partner="ngo", location="Depot")
    for item in ("water", "food_ration", "medical_kit", "blanket", "sleeping_mat"):
        s.receive_supplies(stockpile="s", item=item, quantity=1_000_000)
    for plan in ("p", "q"):
        s.draft_plan(
            plan=plan, title="T", crisis="c", planning_figure=100, required_sectors=["WSH"]
        )
        s.join_plan(plan=plan, partner="ngo", role="implementer")
    for index, (plan, (adm1, adm2)) in enumerate(placements):
        area: dict[str, Any] = {"adm1": adm1} | ({"adm2": adm2} if adm2 else {})
        s.establish_camp(
            camp=f"c{index}",
            plan=plan,
            location="L",
            site_area_m2=5000,
            shelter_capacity=60,
            **area,
        )


def command(data: st.DataObject, camps: int) -> tuple[str, dict[str, Any]]:
    camp = f"c{data.draw(st.integers(0, camps - 1))}"
    name = data.draw(
        st.sampled_from(
            ["register_arrivals"] * 3
            + ["register_departures", "assign_sector", "release_sector", "dispatch_supplies"] * 1
            + ["close_camp"]
        )
    )
    if name in ("register_arrivals", "register_departures"):
        people = data.draw(st.integers(1, 40))
        group = data.draw(st.sampled_from(VULNERABLE_GROUPS))
        return name, {"camp": camp, "people": people, group: data.draw(st.integers(0, people))}
    if name in ("assign_sector", "release_sector"):
        return name, {"camp": camp, "sector": "WSH"} | (
            {"partner": "ngo"} if name == "assign_sector" else {}
        )
    if name == "dispatch_supplies":
        item = data.draw(st.sampled_from(["water", "food_ration", "blanket", "medical_kit"]))
        quantity = data.draw(st.integers(1, 2_000))
        return name, {"stockpile": "s", "camp": camp, "item": item, "quantity": quantity}
    return name, {"camp": camp}


def expected_area(camps: list[dict[str, Any]], level: str, code: str) -> dict[str, Any]:
    members = [c for c in camps if c[level] == code]
    open_ = [c for c in members if c["status"] != "closed"]
    uncovered: dict[str, int] = {}
    for camp in open_:
        for sector in camp["uncovered_sectors"]:
            uncovered[sector] = uncovered.get(sector, 0) + 1
    needs: dict[str, dict[str, int]] = {}
    for camp in open_:
        for key, parts in camp.get("needs", {}).items():
            sums = needs.setdefault(key, {"shortfall": 0, "committed": 0, "uncommitted": 0})
            for part in sums:
                sums[part] += parts[part]
    return {
        "needs": {k: v for k, v in needs.items() if v["shortfall"] > 0},
        "camps": {s: sum(c["status"] == s for c in members) for s in STATUSES},
        "population": sum(c["population"] for c in open_),
        **{g: sum(c[g] for c in open_) for g in VULNERABLE_GROUPS},
        "people_by_status": {
            s: sum(c["population"] for c in open_ if c["status"] == s) for s in STATUSES[:3]
        },
        "uncovered": uncovered,
        "camp_list": sorted(c["camp"] for c in members),
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placements=PLACEMENTS, data=st.data())
def test_an_area_view_is_the_sum_of_its_camps_at_any_time(
    placements: list[tuple[str, tuple[str, str | None]]], data: st.DataObject
) -> None:
    clock = TickClock()
    planner = memory_planner(clock)
    world(planner, placements)
    times: list[datetime | None] = [clock.now, None]
    for _ in range(data.draw(st.integers(0, 25))):
        clock.advance(seconds=data.draw(st.sampled_from([0, 0, 3_600, 86_400])))
        name, args = command(data, len(placements))
        try:
            planner.service.execute(name, args)
        except PlannerError:
            continue
        times.append(clock.now)
    planner.catch_up()
    queries = planner.queries
    codes = {("adm1", a) for _, (a, _) in placements} | {
        ("adm2", b) for _, (_, b) in placements if b
    }
    for at in data.draw(st.lists(st.sampled_from(times), min_size=1, max_size=3)):
        camps = queries.views("camp", as_of=at)
        for level, code in sorted(codes):
            area = queries.area(level, code, as_of=at)
            assert area is not None
            assert {key: area[key] for key in expected_area(camps, level, code)} == expected_area(
                camps, level, code
            )
        listed = {(v["level"], v["area"]) for v in queries.areas(as_of=at)}
        assert listed == codes


def supply(planner: Planner, camp: str) -> None:
    """Every consumable for a camp of up to a hundred people for a few days."""
    for item, quantity in (("water", 6_000), ("food_ration", 400), ("medical_kit", 1)):
        planner.service.dispatch_supplies(stockpile="s", camp=camp, item=item, quantity=quantity)


def fold_areas(planner: Planner) -> list[dict[str, Any]]:
    """Every area view summed from scratch: a pure fold over the stored events, then its camps."""
    views = fold_views(stored_records(planner.service))
    return area_views(doc for (kind, _), doc in views.items() if kind == "camp")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placements=PLACEMENTS, data=st.data())
def test_the_kept_up_area_roll_ups_equal_areas_summed_from_scratch_at_every_step(
    placements: list[tuple[str, tuple[str, str | None]]], data: st.DataObject
) -> None:
    """The roll-ups the projector keeps up (in batches of random size, sometimes resumed from
    the stored state, which starts them afresh) equal the areas a pure fold sums from scratch,
    and the areas as of each step's time (time travel) equal them too."""
    clock = TickClock()
    planner = memory_planner(clock)
    world(planner, placements)
    s = planner.service
    s.register_partner(partner="ngo2", name="NGO 2", kind="ngo")
    for plan in ("p", "q"):
        s.join_plan(plan=plan, partner="ngo2", role="implementer")
    for _ in range(data.draw(st.integers(1, 20))):
        clock.advance(seconds=data.draw(st.sampled_from([0, 3_600, 86_400])))
        name, args = command(data, len(placements))
        if name == "assign_sector" and data.draw(st.booleans()):
            args["partner"] = "ngo2"
        if data.draw(st.integers(0, 9)) == 0:
            name, args = "withdraw_partner", {"partner": "ngo2"}
        try:
            if data.draw(st.integers(0, 3)) == 0:  # a day or more of every consumable: at risk
                supply(planner, args.get("camp", "c0"))
            s.execute(name, args)
        except PlannerError:
            continue
        if data.draw(st.booleans()):
            continue  # caught up later, with the next command's events in one batch
        if data.draw(st.integers(0, 3)) == 0:
            planner.follower._restore()  # a resumed projector sums its roll-ups afresh
        planner.catch_up()
        fold = planner.follower.projector.fold
        for camp_id in fold.camps:  # the roll-up's two ways to a camp's share agree
            assert share_in_fold(fold, camp_id) == camp_share(fold.view("camp", camp_id))
        expected = fold_areas(planner)
        assert planner.queries.areas() == expected
        assert planner.queries.areas(as_of=clock.now) == expected
        for view in expected:
            assert planner.queries.area(view["level"], view["area"]) == view
    planner.catch_up()
    assert planner.queries.areas() == fold_areas(planner)
