"""Time travel: views as of a time, lists as of a time, and the status timeline.

An as-of query answers with the views after every event at or before that time (inclusive), and
None for an entity that did not exist yet.

The story, in April 1999 (plan `p` needs only WSH and 1 ready day; camp `c`: 45,000 m², 1,000
shelter places):

    t0  04-01 00:00  plan drafted, partners join, camp c established  c: not_ready (no WSH lead)
    t1  04-02 00:00  WSH assigned; stockpile opened                   c: ready (nobody there)
    t2  04-03 00:00  100 people arrive in c; camp d established       c: not_ready (no water)
    t3  04-03 06:00  water, food and a medical kit reach c            c: at_risk (no facilities)
    t4  04-04 00:00  facilities built, blankets and mats delivered    c: ready
    t5  04-05 00:00  plan activated
    t6  04-06 00:00  camp c closed                                    c: closed
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.wiring import Planner, open_planner
from projections.projector import ReadinessProjector, to_us
from projections.time_travel import time_test
from tests.conftest import SimulatedClock
from tests.projections_helpers import strip

US = timedelta(microseconds=1)


@dataclass
class Story:
    planner: Planner
    times: list[datetime]

    def id(self, kind: str, slug: str) -> str:
        return str(self.planner.service.id_of(kind, slug))

    def view(self, kind: str, slug: str, as_of: datetime | None = None) -> dict | None:
        entity = "camp" if kind == "3w" else kind
        return self.planner.queries.view(kind, self.id(entity, slug), as_of=as_of)


@pytest.fixture
def story(clock: SimulatedClock) -> Iterator[Story]:
    planner = open_planner("memory:", clock_fn=clock)
    s = planner.service
    times = [clock.now]
    s.draft_plan(
        plan="p",
        title="T",
        crisis="C",
        planning_figure=1_000,
        required_sectors=["WSH"],
        ready_days=1,
    )
    s.register_partner(partner="oxfam", name="Oxfam", kind="ngo")
    s.register_partner(partner="unhcr", name="UNHCR", kind="un_agency")
    s.join_plan(plan="p", partner="oxfam", role="implementer")
    s.establish_camp(
        camp="c", plan="p", location="Kukës", site_area_m2=45_000, shelter_capacity=1_000
    )

    times.append(clock.advance(days=1))  # t1
    s.assign_sector(camp="c", sector="WSH", partner="oxfam")
    s.open_stockpile(stockpile="depot", partner="unhcr", location="Tirana")

    times.append(clock.advance(days=1))  # t2
    s.register_arrivals(camp="c", people=100, under5=10)
    s.establish_camp(
        camp="d", plan="p", location="Durrës", site_area_m2=10_000, shelter_capacity=500
    )

    times.append(clock.advance(hours=6))  # t3: several events at one time
    for item, quantity in (("water", 1_500), ("food_ration", 100), ("medical_kit", 1)):
        # water: 1,500 L ÷ (100 people × 15 L/day) = 1.0 day, the plan's 1 ready day
        s.receive_supplies(stockpile="depot", item=item, quantity=quantity)
        s.dispatch_supplies(stockpile="depot", camp="c", item=item, quantity=quantity)

    times.append(clock.advance(hours=18))  # t4
    for facility, count in (
        ("latrine", 2),  # 100 ÷ 2 = 50 people per latrine
        ("water_tap", 1),
        ("health_post", 1),
        ("waste_container", 2),
        ("bathing_shelter", 2),
    ):
        s.build_facilities(camp="c", facility=facility, count=count)
    for item in ("blanket", "sleeping_mat"):
        s.receive_supplies(stockpile="depot", item=item, quantity=100)
        s.dispatch_supplies(stockpile="depot", camp="c", item=item, quantity=100)

    times.append(clock.advance(days=1))  # t5
    s.activate_plan(plan="p")

    times.append(clock.advance(days=1))  # t6
    s.close_camp(camp="c")
    planner.catch_up()
    yield Story(planner, times)
    planner.close()


# -- one view as of a time ----------------------------------------------------------------------


def test_before_creation_there_is_no_view(story: Story) -> None:
    t0, t1, t2 = story.times[:3]
    assert story.view("camp", "c", as_of=t0 - US) is None
    assert story.view("plan", "p", as_of=t0 - US) is None
    assert story.view("3w", "c", as_of=t0 - US) is None
    assert story.view("stockpile", "depot", as_of=t1 - US) is None  # opened at t1
    assert story.view("camp", "d", as_of=t2 - US) is None  # established at t2
    assert story.view("camp", "d", as_of=t2) is not None


def test_exactly_at_an_events_time_the_event_counts(story: Story) -> None:
    t0, t1, t2 = story.times[:3]
    created = story.view("camp", "c", as_of=t0)
    assert created is not None
    assert (created["status"], created["uncovered_sectors"]) == ("not_ready", ["WSH"])
    assert created["updated_at"] == t0.isoformat()
    at_t1 = story.view("camp", "c", as_of=t1)
    assert at_t1 is not None
    assert (at_t1["status"], at_t1["uncovered_sectors"]) == ("ready", [])
    assert at_t1["updated_at"] == t1.isoformat()
    just_before_t2 = story.view("camp", "c", as_of=t2 - US)
    assert just_before_t2 is not None
    assert (just_before_t2["status"], just_before_t2["population"]) == ("ready", 0)
    at_t2 = story.view("camp", "c", as_of=t2)
    assert at_t2 is not None
    assert (at_t2["status"], at_t2["population"], at_t2["under5"]) == ("not_ready", 100, 10)


def test_between_events_the_last_version_before_answers(story: Story) -> None:
    t2, t3 = story.times[2:4]
    between = story.view("camp", "c", as_of=t2 + timedelta(hours=3))
    assert strip(between) == strip(story.view("camp", "c", as_of=t2))
    assert between is not None
    assert between["days_of_cover"] == {"water": 0.0, "food_ration": 0.0, "medical_kit": 0.0}
    assert between["updated_at"] == t2.isoformat()
    assert story.view("camp", "c", as_of=t3 - US) == between


def test_events_at_the_same_time_all_count(story: Story) -> None:
    t3 = story.times[3]
    view = story.view("camp", "c", as_of=t3)
    assert view is not None
    # 1,500 L ÷ (100 × 15) = 1.0; 100 rations ÷ 100 = 1.0; 1 kit ÷ (100 ÷ 90,000) = 900 days
    assert view["days_of_cover"] == {"water": 1.0, "food_ration": 1.0, "medical_kit": 900.0}
    assert view["status"] == "at_risk"
    depot = story.view("stockpile", "depot", as_of=t3)
    assert depot is not None
    assert depot["items"]["water"] == {"on_hand": 0, "reserved": 0, "available": 0}


def test_the_plan_as_of_a_time(story: Story) -> None:
    t2, t3, t4, t5 = story.times[2:6]
    at_t3 = story.view("plan", "p", as_of=t3)
    assert at_t3 is not None
    assert at_t3["status"] == "drafted"
    assert at_t3["population"] == 100
    assert at_t3["camps"] == {"ready": 0, "at_risk": 1, "not_ready": 1, "closed": 0}
    at_t4 = story.view("plan", "p", as_of=t4)
    assert at_t4 is not None
    assert at_t4["camps"] == {"ready": 1, "at_risk": 0, "not_ready": 1, "closed": 0}
    assert story.view("plan", "p", as_of=t5 - US)["status"] == "drafted"  # type: ignore[index]
    assert story.view("plan", "p", as_of=t5)["status"] == "activated"  # type: ignore[index]
    assert story.view("plan", "p", as_of=t2)["camp_list"] == ["c", "d"]  # type: ignore[index]


def test_now_is_the_same_as_any_time_after_the_last_event(story: Story) -> None:
    later = story.times[-1] + timedelta(days=365)
    for kind, slug in (("camp", "c"), ("camp", "d"), ("plan", "p"), ("stockpile", "depot")):
        assert story.view(kind, slug) == story.view(kind, slug, as_of=later)
    assert story.view("camp", "c")["status"] == "closed"  # type: ignore[index]


# -- lists as of a time -------------------------------------------------------------------------


def test_lists_as_of_a_time(story: Story) -> None:
    t0, t1, t2, t3, t4, _, t6 = story.times
    queries = story.planner.queries
    assert queries.views("camp", as_of=t0 - US) == []
    assert [v["camp"] for v in queries.views("camp", as_of=t1)] == ["c"]
    assert [v["camp"] for v in queries.views("camp", as_of=t2)] == ["c", "d"]
    assert [v["status"] for v in queries.views("camp", as_of=t3)] == ["at_risk", "not_ready"]
    assert [v["camp"] for v in queries.views("camp", as_of=t4, status="ready")] == ["c"]
    assert queries.views("camp", as_of=t6 - US, status="closed") == []
    assert [v["camp"] for v in queries.views("camp", as_of=t6, status="closed")] == ["c"]
    assert [v["camp"] for v in queries.views("camp", as_of=t2, location="Durrës")] == ["d"]
    plan_id = story.id("plan", "p")
    assert len(queries.views("camp", as_of=t2, plan_id=plan_id)) == 2
    assert queries.views("camp", as_of=t2, plan_id=story.id("plan", "nope")) == []
    assert [v["stockpile"] for v in queries.views("stockpile", as_of=t1 - US)] == []
    assert [v["stockpile"] for v in queries.views("stockpile", as_of=t1)] == ["depot"]
    # each listed view is the one a single as-of query gives
    for view in queries.views("camp", as_of=t3):
        assert view == story.view("camp", view["camp"], as_of=t3)


def test_who_does_what_and_stock_totals_as_of_a_time(story: Story) -> None:
    t0, t1, t2, t3 = story.times[:4]
    queries = story.planner.queries
    assert queries.who_does_what(as_of=t0) == []
    rows = queries.who_does_what(as_of=t1)
    assert [(r["partner"], r["sector"], r["camp"], r["population"]) for r in rows] == [
        ("oxfam", "WSH", "c", 0)
    ]
    assert rows[0]["since"] == t1.isoformat()
    assert queries.who_does_what(as_of=t2)[0]["population"] == 100
    assert queries.stock_totals(as_of=t1) == {}
    assert queries.stock_totals(as_of=t3) == {
        "food_ration": {"on_hand": 0, "reserved": 0, "available": 0},
        "medical_kit": {"on_hand": 0, "reserved": 0, "available": 0},
        "water": {"on_hand": 0, "reserved": 0, "available": 0},
    }


# -- the timeline -------------------------------------------------------------------------------


def test_the_timeline_lists_every_status_change_with_from_and_to(story: Story) -> None:
    t0, t1, t2, t3, t4, t5, t6 = story.times
    queries = story.planner.queries
    camp = [
        (e["from"], e["to"], e["at"], e["slug"])
        for e in queries.timeline(kind="camp", entity_id=story.id("camp", "c"))
    ]
    assert camp == [
        (None, "not_ready", t0.isoformat(), "c"),
        ("not_ready", "ready", t1.isoformat(), "c"),
        ("ready", "not_ready", t2.isoformat(), "c"),
        ("not_ready", "at_risk", t3.isoformat(), "c"),
        ("at_risk", "ready", t4.isoformat(), "c"),
        ("ready", "closed", t6.isoformat(), "c"),
    ]
    plan = [(e["from"], e["to"], e["at"]) for e in queries.timeline(kind="plan")]
    assert plan == [(None, "drafted", t0.isoformat()), ("drafted", "activated", t5.isoformat())]
    camp_d = queries.timeline(entity_id=story.id("camp", "d"))
    assert [(e["kind"], e["from"], e["to"], e["at"]) for e in camp_d] == [
        ("camp", None, "not_ready", t2.isoformat())
    ]


def test_the_timeline_as_of_a_time_and_in_order(story: Story) -> None:
    t0, t1, t2 = story.times[:3]
    queries = story.planner.queries
    assert queries.timeline(as_of=t0 - US) == []
    upto_t2 = queries.timeline(as_of=t2)
    assert [(e["kind"], e["slug"], e["to"]) for e in upto_t2[:3]] == [
        ("camp", "c", "not_ready"),
        ("plan", "p", "drafted"),
        ("camp", "c", "ready"),
    ]
    # events at one time are folded together: their changes share the group's last position
    assert {(e["slug"], e["from"], e["to"]) for e in upto_t2[3:]} == {
        ("c", "ready", "not_ready"),
        ("d", None, "not_ready"),
    }
    assert len({e["position"] for e in upto_t2[3:]}) == 1
    positions = [e["position"] for e in queries.timeline()]
    assert positions == sorted(positions)
    assert queries.timeline(as_of=t1 - US) == upto_t2[:2]


# -- checkpoints --------------------------------------------------------------------------------

KINDS = ("camp", "plan", "stockpile", "3w")


def _everything_as_of(planner: Planner, moments: list[datetime]) -> list[object]:
    return [
        {kind: [strip(doc) for doc in planner.queries.views(kind, as_of=m)] for kind in KINDS}
        for m in moments
    ]


def test_answers_are_the_same_from_checkpoints_or_from_the_first_event(story: Story) -> None:
    """A past view starts from the last checkpoint before it; where they are changes nothing."""
    planner = story.planner
    moments = [t + d for t in story.times for d in (-US, timedelta(0), timedelta(hours=1))]
    from_the_start = _everything_as_of(planner, moments)  # this short story has no checkpoint
    planner.follower.projector.checkpoint_every = 2
    planner.rebuild()
    count = planner.views._query("SELECT COUNT(*) AS n FROM {p}rp_checkpoints", ())[0]["n"]
    assert count >= len(story.times) - 1  # nearly every moment (they end at moments)
    assert _everything_as_of(planner, moments) == from_the_start
    camp_id = story.id("camp", "c")
    one_by_one = [planner.queries.view("camp", camp_id, as_of=m) for m in moments]
    assert planner.queries.view_series("camp", camp_id, moments) == one_by_one
    with pytest.raises(ValueError, match="increasing"):
        planner.queries.view_series("camp", camp_id, moments[::-1])


@settings(max_examples=300, deadline=None)
@given(
    bound=st.datetimes(timezones=st.just(UTC)),
    times=st.lists(
        st.datetimes(timezones=st.sampled_from((UTC, timezone(timedelta(hours=9))))), max_size=20
    ),
)
def test_event_times_compare_as_text_as_they_do_as_times(
    bound: datetime, times: list[datetime]
) -> None:
    """Time travel compares stored ISO times as text when they are UTC; else it parses them."""
    not_after = time_test(ReadinessProjector(), to_us(bound))
    for at in times:
        assert not_after(at.isoformat()) == (at <= bound), at
        assert not_after(at) == (at <= bound), at
