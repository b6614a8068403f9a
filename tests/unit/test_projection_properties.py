"""Properties of the readiness projections over random, mostly valid command sequences.

A world (partners of several kinds, a plan, two camps, two stockpiles) is set up at the start;
then a random run of commands follows, each after a random step of simulated time (often zero,
so several events share a timestamp). Commands the domain refuses are skipped. Checked:

(a) views kept up incrementally (catching up every few commands, in small batches) equal views
    rebuilt from scratch, which equal a pure fold over the stored events;
(b) the as-of view at a time T equals the current view of a store that holds only the commands
    up to T (replayed into a fresh in-memory planner);
(c) delivering events twice changes nothing: the projector returns an empty batch, and writing
    an already-recorded position raises the library's IntegrityError and leaves the tables as
    they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.catalog import DEFAULT_REQUIRED_SECTORS
from domain.errors import PlannerError
from planner.wiring import Planner
from projections.follower import ProjectionFollower
from projections.projector import ReadinessProjector
from projections.store import StatusChange, ViewBatch, ViewVersion
from tests.projections_helpers import (
    START,
    TickClock,
    ViewDocs,
    fold_views,
    memory_planner,
    store_views,
    stored_records,
    strip,
    table_rows,
)

PARTNERS = {
    "ngo1": ("ngo", None),
    "ngo2": ("ngo", ["WSH", "SHL", "PRO"]),
    "biz": ("business", None),
    "gov": ("government", None),
    "un": ("un_agency", None),
}
CAMPS = ("c1", "c2")
STOCKPILES = ("s1", "s2")  # s1 is committed to the plan, s2 is not
ITEMS = ("water", "food_ration", "medical_kit", "blanket", "sleeping_mat", "tent")
SECTORS = (*DEFAULT_REQUIRED_SECTORS, "EDU")
FACILITY_NAMES = ("latrine", "water_tap", "health_post", "waste_container", "bathing_shelter")
CURRENCIES = ("EUR", "USD")
STEPS = (0, 0, 0, 60, 3_600, 86_400)  # seconds between commands: often none

Command = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """A command, how long after the previous one it happens, and whether to catch up after."""

    seconds: int
    command: Command
    catch_up: bool


@dataclass(frozen=True)
class Script:
    setup: list[Command]
    steps: list[Step]
    batch_size: int

    def timed(self) -> list[tuple[datetime, Command, bool]]:
        """Every command with its simulated time (setup at START)."""
        timed = [(START, command, False) for command in self.setup]
        now = START
        for step in self.steps:
            now += timedelta(seconds=step.seconds)
            timed.append((now, step.command, step.catch_up))
        return timed


# -- strategies ---------------------------------------------------------------------------------

quantities = st.one_of(st.integers(1, 200), st.integers(200, 40_000))
camps = st.sampled_from(CAMPS)
stockpiles = st.sampled_from(STOCKPILES)
items = st.sampled_from(ITEMS)
partners = st.sampled_from(sorted(PARTNERS))
amounts = st.integers(1, 20_000)
currencies = st.sampled_from(CURRENCIES)


def command(name: str, **arguments: st.SearchStrategy[Any]) -> st.SearchStrategy[Command]:
    return st.tuples(st.just(name), st.fixed_dictionaries(arguments))


def people(most: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"camp": camps, "people": st.integers(1, most)},
        optional={
            "under5": st.integers(0, most // 5),
            "elderly": st.integers(0, most // 10),
            "disabled": st.integers(0, 5),
            "pregnant_lactating": st.integers(0, 10),
            "unaccompanied_minors": st.integers(0, 3),
        },
    )


stock_commands = st.one_of(
    command("receive_supplies", stockpile=stockpiles, item=items, quantity=quantities),
    command("reserve_supplies", stockpile=stockpiles, camp=camps, item=items, quantity=quantities),
    command(
        "release_reservation", stockpile=stockpiles, camp=camps, item=items, quantity=quantities
    ),
    command("dispatch_supplies", stockpile=stockpiles, camp=camps, item=items, quantity=quantities),
    command(
        "write_off_supplies",
        stockpile=stockpiles,
        item=items,
        quantity=quantities,
        reason=st.sampled_from(("expired", "damaged", "lost")),
    ),
)
camp_commands = st.one_of(
    st.tuples(st.just("register_arrivals"), people(800)),
    st.tuples(st.just("register_departures"), people(300)),
    command("distribute_supplies", camp=camps, item=items, quantity=quantities),
    command(
        "build_facilities",
        camp=camps,
        facility=st.sampled_from(FACILITY_NAMES),
        count=st.integers(1, 25),
    ),
    command("assign_sector", camp=camps, sector=st.sampled_from(SECTORS), partner=partners),
    command("reassign_sector", camp=camps, sector=st.sampled_from(SECTORS), partner=partners),
    command("release_sector", camp=camps, sector=st.sampled_from(SECTORS)),
)
rare_commands = st.one_of(
    command("withdraw_partner", partner=partners),
    command("leave_plan", plan=st.just("p"), partner=partners),
    command(
        "join_plan",
        plan=st.just("p"),
        partner=partners,
        role=st.sampled_from(("coordinator", "implementer", "funder", "supplier")),
    ),
    command("close_camp", camp=camps),
    command("activate_plan", plan=st.just("p")),
    command("stand_down_plan", plan=st.just("p")),
    command("commit_stockpile", plan=st.just("p"), stockpile=st.just("s2")),
)
money_commands = st.one_of(
    command(
        "pledge_funds", plan=st.just("p"), partner=partners, amount=amounts, currency=currencies
    ),
    command(
        "receive_funds", plan=st.just("p"), partner=partners, amount=amounts, currency=currencies
    ),
    command(
        "disburse_funds", plan=st.just("p"), partner=partners, amount=amounts, currency=currencies
    ),
    command("split_pool", plan=st.just("p"), currency=currencies),
)
commands = st.one_of(stock_commands, camp_commands, camp_commands, money_commands, rare_commands)
steps = st.builds(Step, seconds=st.sampled_from(STEPS), command=commands, catch_up=st.booleans())


@st.composite
def scripts(draw: st.DrawFn, most_steps: int = 40) -> Script:
    """A world set up at START, then a random run of commands."""
    required = draw(st.lists(st.sampled_from(DEFAULT_REQUIRED_SECTORS), unique=True, max_size=4))
    setup: list[Command] = [
        ("register_partner", {"partner": slug, "name": slug.upper(), "kind": kind, "sectors": sec})
        for slug, (kind, sec) in PARTNERS.items()
    ]
    setup.append(
        (
            "draft_plan",
            {
                "plan": "p",
                "title": "Plan",
                "crisis": "crisis",
                "planning_figure": draw(st.sampled_from((500, 1_000))),
                "required_sectors": sorted(required, key=DEFAULT_REQUIRED_SECTORS.index),
                "ready_days": draw(st.sampled_from((1, 2, 3, 1.5))),
                "standards_profile": draw(
                    st.sampled_from(("sphere-emergency", "sphere-post-emergency"))
                ),
                "standards_overrides": draw(
                    st.sampled_from(({}, {"water": 10}, {"latrine": 100, "food_ration": 0.5}))
                ),
            },
        )
    )
    for slug in PARTNERS:
        setup.append(("join_plan", {"plan": "p", "partner": slug, "role": "implementer"}))
    setup.append(("open_stockpile", {"stockpile": "s1", "partner": "un", "location": "Tirana"}))
    setup.append(("open_stockpile", {"stockpile": "s2", "partner": "biz", "location": "Durrës"}))
    setup.append(("commit_stockpile", {"plan": "p", "stockpile": "s1"}))
    for slug in CAMPS:
        setup.append(
            (
                "establish_camp",
                {
                    "camp": slug,
                    "plan": "p",
                    "location": f"site-{slug}",
                    "site_area_m2": draw(st.sampled_from((5_000, 12_000, 20_000, 45_000))),
                    "shelter_capacity": draw(st.sampled_from((100, 400, 2_000))),
                },
            )
        )
    run = draw(st.lists(steps, min_size=1, max_size=most_steps))
    return Script(setup, run, batch_size=draw(st.integers(1, 12)))


# -- running scripts ----------------------------------------------------------------------------


def run(planner: Planner, clock: TickClock, timed: Sequence[tuple[datetime, Command, bool]]) -> int:
    """Apply commands at their times (refusals skipped); catch up where asked. Return applied."""
    applied = 0
    for at, (name, arguments), catch_up in timed:
        clock.now = at
        try:
            getattr(planner.service, name)(**arguments)
            applied += 1
        except PlannerError:
            pass
        if catch_up:
            planner.catch_up()
    return applied


@contextmanager
def replayed(timed: Sequence[tuple[datetime, Command, bool]]) -> Iterator[Planner]:
    """A fresh in-memory planner holding these commands, its views caught up."""
    clock = TickClock()
    planner = memory_planner(clock)
    try:
        run(planner, clock, [(at, cmd, False) for at, cmd, _ in timed])
        planner.catch_up()
        yield planner
    finally:
        planner.close()


def assert_timeline_is_a_chain(planner: Planner, views: ViewDocs) -> None:
    """Per camp and plan: each change starts where the last ended and ends at the current status."""
    last: dict[tuple[str, str], str | None] = {}
    for entry in planner.queries.timeline():
        key = (entry["kind"], entry["id"])
        assert entry["from"] == last.get(key), entry
        assert entry["from"] != entry["to"], entry
        last[key] = entry["to"]
    for (kind, entity_id), doc in views.items():
        if kind in ("camp", "plan"):
            assert last[(kind, entity_id)] == doc["status"]


SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- (a) incremental == rebuilt == pure fold ----------------------------------------------------


@SETTINGS
@given(script=scripts())
def test_incremental_views_equal_a_rebuild_and_the_pure_fold(script: Script) -> None:
    clock = TickClock()
    planner = memory_planner(clock)
    try:
        planner.follower.batch_size = script.batch_size
        run(planner, clock, script.timed())
        planner.catch_up()
        incremental = store_views(planner.queries)
        assert_timeline_is_a_chain(planner, incremental)

        planner.views.drop_all()
        assert store_views(planner.queries) == {}
        planner.follower = ProjectionFollower(planner.service, planner.views, batch_size=7)
        assert planner.follower.position == 0
        planner.catch_up()
        rebuilt = store_views(planner.queries)
        assert_timeline_is_a_chain(planner, rebuilt)

        folded = fold_views(stored_records(planner.service))
        assert incremental == rebuilt
        assert rebuilt == folded
    finally:
        planner.close()


# -- (b) as of T == a store holding only the events up to T -------------------------------------


@SETTINGS
@given(script=scripts(most_steps=30), picks=st.lists(st.integers(0, 10_000), max_size=3))
def test_as_of_view_equals_the_view_of_the_prefix(script: Script, picks: list[int]) -> None:
    timed = script.timed()
    clock = TickClock()
    planner = memory_planner(clock)
    try:
        planner.follower.batch_size = script.batch_size
        run(planner, clock, timed)
        planner.catch_up()
        keys = list(store_views(planner.queries))
        times = sorted({at for at, _, _ in timed})
        # before anything, at some command times, and half an hour after some
        moments = [START - timedelta(microseconds=1)]
        for pick in picks:
            at = times[pick % len(times)]
            moments.append(at + timedelta(minutes=30) if pick % 2 else at)
        for moment in moments:
            then = store_views(planner.queries, as_of=moment)
            prefix = [step for step in timed if step[0] <= moment]
            with replayed(prefix) as past:
                assert then == store_views(past.queries), moment
                for kind, entity_id in keys:
                    as_of = strip(planner.queries.view(kind, entity_id, as_of=moment))
                    assert as_of == strip(past.queries.view(kind, entity_id)), (kind, moment)
    finally:
        planner.close()


# -- (c) delivering events twice changes nothing ------------------------------------------------


@SETTINGS
@given(script=scripts(most_steps=25), split=st.integers(0, 10_000))
def test_events_delivered_twice_change_nothing(script: Script, split: int) -> None:
    clock = TickClock()
    planner = memory_planner(clock)
    try:
        planner.follower.batch_size = script.batch_size
        run(planner, clock, script.timed())
        planner.catch_up()
        records = stored_records(planner.service)
        last = records[-1].position
        assert planner.views.position() == last

        # the follower's projector has seen them all: a second delivery is an empty batch
        again = planner.follower.projector.process(records)
        assert (again.versions, again.timeline, again.states) == ([], [], {})
        assert again.last_position == last

        # a fresh projector: a prefix, then everything (the prefix delivered twice)
        projector = ReadinessProjector()
        cut = split % (len(records) + 1)
        projector.process(records[:cut])
        projector.process(records)
        twice = projector.process(records)
        assert (twice.versions, twice.timeline, twice.states, twice.last_position) == (
            [],
            [],
            {},
            last,
        )
        assert _docs(projector) == fold_views(records)

        # the store refuses a batch whose position is already recorded, and changes nothing
        before = table_rows(planner.views)
        replay = ReadinessProjector().process(records)  # the same events, from scratch
        assert replay.last_position == last and replay.versions
        with pytest.raises(IntegrityError):
            planner.views.write(replay)
        forged = ViewBatch(
            last_position=last,
            versions=[
                ViewVersion("camp", "x", "x", None, "ready", None, last + 1, 0, b"{}"),
            ],
            timeline=[StatusChange("camp", "x", "x", last + 1, 0, None, "ready")],
            states={("camp", "x"): b"{}"},
        )
        with pytest.raises(IntegrityError):
            planner.views.write(forged)
        assert table_rows(planner.views) == before
        assert planner.catch_up() == last
        assert table_rows(planner.views) == before
    finally:
        planner.close()


def _docs(projector: ReadinessProjector) -> ViewDocs:
    """The projector's last document of every view it emitted."""
    return {key: orjson.loads(doc) for key, doc in projector._docs.items()}
