"""Properties of the readiness projections over random, mostly valid command sequences.

A world (partners of several kinds, a plan, two camps, two stockpiles) is set up at the start;
then a random run of commands follows, each after a random step of simulated time (often zero,
so several events share a timestamp). Arguments are drawn from the current state of the
aggregates so that most commands are valid (about one in eight asks for one too many); commands
the domain refuses are skipped. The commands actually tried are recorded, so the same run can be
replayed into another store. Checked:

(a) views kept up incrementally (catching up after random commands, in small batches) equal
    views rebuilt from scratch, which equal a pure fold over the stored events;
(b) the as-of view at a time T equals the current view of a store that holds only the commands
    up to T (replayed into a fresh in-memory planner);
(c) delivering events twice changes nothing: the projector returns an empty batch, and writing
    an already-recorded position raises the library's IntegrityError and leaves the tables as
    they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.camp import Camp
from domain.catalog import CONSUMABLES, DEFAULT_REQUIRED_SECTORS, FACILITIES, VULNERABLE_GROUPS
from domain.clock import iso_utc
from domain.errors import PlannerError
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service import PlannerService
from domain.shipment import Shipment
from domain.stockpile import Stockpile
from planner.wiring import Planner
from projections.follower import ProjectionFollower
from projections.logistics import time_us
from projections.projector import ReadinessProjector
from projections.store import StatusChange, ViewBatch, ViewVersion
from tests.projections_helpers import (
    START,
    TickClock,
    ViewDocs,
    fold_views,
    memory_planner,
    normalise,
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
STOCKPILES = ("s1", "s2")  # s1 is committed to the plan in the setup, s2 may be later
SECTORS = (*DEFAULT_REQUIRED_SECTORS, "EDU")
CURRENCIES = ("EUR", "USD")
STEPS = (0, 0, 0, 60, 3_600, 86_400)  # seconds between commands: often none
# How much of an item one receipt brings, at most.
RECEIPTS = {
    "water": 60_000,
    "food_ration": 5_000,
    "medical_kit": 2,
    "blanket": 1_500,
    "sleeping_mat": 1_500,
    "tent": 200,
}
# Which command to try next: a name appears as often as it should be chosen.
CHOICES = (
    *("receive_supplies",) * 6,
    *("reserve_supplies", "release_reservation", "write_off_supplies") * 2,
    *("dispatch_supplies",) * 8,
    *("register_arrivals",) * 3,
    *("register_departures", "distribute_supplies") * 2,
    "reassign_sector",
    *("build_facilities",) * 3,
    *("assign_sector",) * 4,
    "reassign_sector",
    "release_sector",
    *("pledge_funds", "disburse_funds", "split_pool") * 2,
    *("receive_funds",) * 4,
    "withdraw_partner",
    "join_plan",
    "leave_plan",
    "close_camp",
    "commit_stockpile",
    "activate_plan",
    "stand_down_plan",
    *("send_shipment", "offer_supplies", "accept_offer") * 3,
    *("deliver_shipment",) * 5,
    *("deliver_offer",) * 3,
    "lose_shipment",
    "return_shipment",
    *("decline_offer",) * 2,
    "withdraw_offer",
)
EXPIRIES = (None, 60, 3_600, 86_400)  # eta or expiry: none, or seconds after the command

Command = tuple[str, dict[str, Any]]
Timed = tuple[datetime, Command, bool]  # when, what, catch up after it


@dataclass
class World:
    """The setup commands (all at START), how the follower batches and how often it stores a
    checkpoint of the fold (where time travel starts)."""

    setup: list[Command]
    batch_size: int
    checkpoint_every: int
    timed: list[Timed] = field(default_factory=list)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    required = draw(st.lists(st.sampled_from(DEFAULT_REQUIRED_SECTORS), unique=True, max_size=4))
    setup: list[Command] = [
        ("register_partner", {"partner": slug, "name": slug.upper(), "kind": kind, "sectors": sec})
        for slug, (kind, sec) in PARTNERS.items()
    ]
    plan = {
        "plan": "p",
        "title": "Plan",
        "crisis": "crisis",
        "planning_figure": draw(st.sampled_from((500, 1_000))),
        "required_sectors": sorted(required, key=DEFAULT_REQUIRED_SECTORS.index),
        "ready_days": draw(st.sampled_from((1, 2, 3, 1.5))),
        "standards_profile": draw(st.sampled_from(("sphere-emergency", "sphere-post-emergency"))),
        "standards_overrides": draw(
            st.sampled_from(({}, {"water": 10}, {"latrine": 100, "food_ration": 0.5}))
        ),
    }
    setup.append(("draft_plan", plan))
    setup += [("join_plan", {"plan": "p", "partner": p, "role": "implementer"}) for p in PARTNERS]
    setup.append(("open_stockpile", {"stockpile": "s1", "partner": "un", "location": "Tirana"}))
    setup.append(("open_stockpile", {"stockpile": "s2", "partner": "biz", "location": "Durrës"}))
    setup.append(("commit_stockpile", {"plan": "p", "stockpile": "s1"}))
    for slug in CAMPS:
        camp = {
            "camp": slug,
            "plan": "p",
            "location": f"site-{slug}",
            "site_area_m2": draw(st.sampled_from((5_000, 12_000, 20_000, 45_000))),
            "shelter_capacity": draw(st.sampled_from((100, 400, 2_000))),
        }
        setup.append(("establish_camp", camp))
    if draw(st.booleans()):
        setup += PREPARE_C1  # c1 starts ready or at risk, so statuses move every way
    return World(
        setup,
        batch_size=draw(st.integers(1, 12)),
        checkpoint_every=draw(st.sampled_from((1, 3, 8, 1000))),
    )


# Camp c1 gets leads for every sector, 200 people and what they need (days, facilities, NFIs).
PREPARE_C1: list[Command] = [
    *(("assign_sector", {"camp": "c1", "sector": s, "partner": "ngo1"}) for s in SECTORS),
    *(
        ("receive_supplies", {"stockpile": "s1", "item": item, "quantity": quantity})
        for item, quantity in RECEIPTS.items()
    ),
    ("register_arrivals", {"camp": "c1", "people": 200, "under5": 20, "elderly": 5}),
    *(
        ("dispatch_supplies", {"stockpile": "s1", "camp": "c1", "item": item, "quantity": q})
        for item, q in (
            ("water", 12_000),  # 12,000 L ÷ (200 × 15 L/day) = 4 days (3 at 20 L/day)
            ("food_ration", 800),  # 4 days (8 at half a ration)
            ("medical_kit", 1),  # 450 days
            ("blanket", 200),
            ("sleeping_mat", 200),
        )
    ),
    *(
        ("build_facilities", {"camp": "c1", "facility": facility, "count": count})
        for facility, count in (
            ("latrine", 4),  # 50 people per latrine: at risk under post-emergency standards
            ("water_tap", 1),
            ("health_post", 1),
            ("waste_container", 4),
            ("bathing_shelter", 10),
        )
    ),
]


class Nothing(Exception):
    """The chosen command has nothing to act on yet: choose another."""


class Chooser:
    """Draws the next command's arguments from the aggregates' current state.

    A command with nothing to act on (no stock to reserve, no pledge to receive, …) is given up
    for another, except now and then, so that refusals are exercised too.
    """

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], service: PlannerService):
        self.draw = draw
        self.service = service
        self.now = START  # the time of the command being chosen
        self.shipments: list[str] = []
        self.offers: list[str] = []

    def pick(self, options: Iterable[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def amount(self, limit: int) -> int:
        """All of limit, half, or any of 1..limit; now and then limit + 1 (to be refused)."""
        if limit <= 0 or self.draw(st.integers(0, 7)) == 0:
            return max(limit, 0) + 1
        return int(self.draw(st.sampled_from((limit, (limit + 1) // 2, 0)))) or int(
            self.draw(st.integers(1, limit))
        )

    def partner(self, slug: str) -> Partner:
        return self.service.load("partner", slug, Partner)

    def camp(self, slug: str) -> Camp:
        return self.service.load("camp", slug, Camp)

    def stockpile(self, slug: str) -> Stockpile:
        return self.service.load("stockpile", slug, Stockpile)

    def plan(self) -> ResponsePlan:
        return self.service.load("plan", "p", ResponsePlan)

    def open_camps(self) -> list[str]:
        """The camps not closed (all of them if every one is closed)."""
        return [c for c in CAMPS if not self.camp(c).closed] or list(CAMPS)

    def rarely(self) -> bool:
        """True one time in four: for commands that end something."""
        return bool(self.draw(st.integers(0, 3)) == 0)

    def next(self) -> Command:
        while True:
            name = self.pick(CHOICES)
            if name in ("close_camp", "withdraw_partner", "stand_down_plan") and not self.rarely():
                continue
            try:
                arguments: dict[str, Any] = getattr(self, f"_{name}")()
            except Nothing:
                continue
            return name, arguments

    def some(self, options: list[Any], usable: list[Any]) -> Any:
        """One of the usable options; if there is none, give up (or, rarely, any option)."""
        if usable:
            return self.pick(usable)
        if self.draw(st.integers(0, 7)):
            raise Nothing
        return self.pick(options)

    # -- stock ---------------------------------------------------------------------------------

    def _receive_supplies(self) -> dict[str, Any]:
        item = self.pick((*RECEIPTS, *CONSUMABLES))  # consumables twice as often
        quantity = self.draw(st.integers(1, 4)) * RECEIPTS[item] // 4 or 1
        return {"stockpile": self.pick(STOCKPILES), "item": item, "quantity": quantity}

    def _stock_choice(
        self, levels: Callable[[Stockpile, str, str], int], prefer_missing: bool = False
    ) -> dict[str, Any]:
        """A (stockpile, open camp, item) with something to take if any, and a quantity.

        With `prefer_missing`, mostly a consumable the camp has none of (camps get supplied).
        """
        depots = {s: self.stockpile(s) for s in STOCKPILES}
        camps = self.open_camps()
        options = [
            (s, c, i, levels(depots[s], c, i)) for s in STOCKPILES for c in camps for i in RECEIPTS
        ]
        usable = [o for o in options if o[3] > 0]
        if prefer_missing and self.draw(st.integers(0, 3)):
            stock = {c: self.camp(c).stock for c in camps}
            missing = [o for o in usable if o[2] in CONSUMABLES and not stock[o[1]].get(o[2])]
            usable = missing or usable
        stockpile, camp, item, limit = self.some(options, usable)
        return {"stockpile": stockpile, "camp": camp, "item": item, "quantity": self.amount(limit)}

    def _reserved_for(self, depot: Stockpile, camp: str, item: str) -> int:
        return depot.reservations.get((self.service.id_of("camp", camp), item), 0)

    def _reserve_supplies(self) -> dict[str, Any]:
        return self._stock_choice(lambda depot, camp, item: depot.available(item))

    def _release_reservation(self) -> dict[str, Any]:
        return self._stock_choice(self._reserved_for)

    def _dispatch_supplies(self) -> dict[str, Any]:
        return self._stock_choice(
            lambda depot, camp, item: depot.available(item) + self._reserved_for(depot, camp, item),
            prefer_missing=True,
        )

    def _write_off_supplies(self) -> dict[str, Any]:
        arguments = self._stock_choice(lambda depot, camp, item: depot.available(item))
        del arguments["camp"]
        return arguments | {"reason": self.pick(("expired", "damaged", "lost"))}

    # -- camps ---------------------------------------------------------------------------------

    def _register_arrivals(self) -> dict[str, Any]:
        people = self.draw(st.integers(1, 300))
        groups = {g: self.draw(st.integers(0, people // 8)) for g in self._some_groups()}
        return {"camp": self.pick(self.open_camps()), "people": people, **groups}

    def _some_groups(self) -> list[str]:
        return list(self.draw(st.lists(st.sampled_from(VULNERABLE_GROUPS), unique=True)))

    def _register_departures(self) -> dict[str, Any]:
        camps = self.open_camps()
        slug = self.some(camps, [c for c in camps if self.camp(c).population["people"]])
        population = self.camp(slug).population
        people = self.amount(population["people"])
        groups = {
            g: min(self.draw(st.integers(0, population[g])), people) for g in self._some_groups()
        }
        return {"camp": slug, "people": people, **groups}

    def _distribute_supplies(self) -> dict[str, Any]:
        stock = {c: self.camp(c).stock for c in self.open_camps()}
        options = [(c, i, stock[c].get(i, 0)) for c in stock for i in RECEIPTS]
        camp, item, limit = self.some(options, [o for o in options if o[2] > 0])
        return {"camp": camp, "item": item, "quantity": self.amount(limit)}

    def _build_facilities(self) -> dict[str, Any]:
        count = self.draw(st.integers(1, 25))
        camp = self.pick(self.open_camps())
        return {"camp": camp, "facility": self.pick(FACILITIES), "count": count}

    def _members(self) -> list[str]:
        plan = self.plan()
        return [s for s in PARTNERS if plan.is_member(self.service.id_of("partner", s))]

    def _leads(self, slug: str) -> dict[str, Any]:
        return dict(self.camp(slug).leads)

    def _assign_sector(self) -> dict[str, Any]:
        slug = self.pick(self.open_camps())
        leads = self._leads(slug)
        free = [s for s in SECTORS if s not in leads]
        # mostly a required sector still without a lead: camps do get covered
        wanted = [s for s in self.plan().required_sectors if s in free]
        sector = (
            self.pick(wanted)
            if wanted and self.draw(st.booleans())
            else self.some(list(SECTORS), free)
        )
        eligible = [
            p
            for p in self._members()
            if self.partner(p).active and self.partner(p).can_lead(sector)
        ]
        return {"camp": slug, "sector": sector, "partner": self.pick(eligible or list(PARTNERS))}

    def _reassign_sector(self) -> dict[str, Any]:
        slug = self.pick(self.open_camps())
        leads = self._leads(slug)
        sector = self.some(list(SECTORS), list(leads))
        eligible = [
            p
            for p in self._members()
            if self.partner(p).active
            and self.partner(p).can_lead(sector)
            and self.service.id_of("partner", p) != leads.get(sector)
        ]
        return {"camp": slug, "sector": sector, "partner": self.pick(eligible or list(PARTNERS))}

    def _release_sector(self) -> dict[str, Any]:
        slug = self.pick(self.open_camps())
        return {"camp": slug, "sector": self.some(list(SECTORS), list(self._leads(slug)))}

    def _close_camp(self) -> dict[str, Any]:
        return {"camp": self.pick(CAMPS)}

    # -- shipments and offers ------------------------------------------------------------------

    def _later(self) -> str | None:
        seconds = self.pick(EXPIRIES)
        return None if seconds is None else iso_utc(self.now + timedelta(seconds=seconds))

    def _send_shipment(self) -> dict[str, Any]:
        arguments = self._dispatch_supplies()
        self.shipments.append(f"t{len(self.shipments)}")
        eta = self._later()
        return {"shipment": self.shipments[-1], **arguments} | ({"eta": eta} if eta else {})

    def _cargo(self) -> list[Shipment]:
        return [
            self.service.load("shipment", slug, Shipment)
            for slug in self.shipments
            if self.service.exists("shipment", slug)
        ]

    def _in_transit(self) -> Shipment | None:
        cargo = {c.slug: c for c in self._cargo()}
        if not cargo:
            return None
        moving = [slug for slug, c in cargo.items() if c.status == "in_transit"]
        return cargo[self.some(list(cargo), moving)]

    def _deliver_shipment(self) -> dict[str, Any]:
        cargo = self._in_transit()
        if cargo is None:
            raise Nothing
        if self.draw(st.booleans()):
            return {"shipment": cargo.slug}
        return {"shipment": cargo.slug, "quantity": self.amount(cargo.quantity)}

    def _lose_shipment(self) -> dict[str, Any]:
        cargo = self._in_transit()
        if cargo is None:
            raise Nothing
        return {"shipment": cargo.slug, "reason": self.pick(("lost", "damaged", "stolen"))}

    def _return_shipment(self) -> dict[str, Any]:
        cargo = self._in_transit()
        if cargo is None:
            raise Nothing
        return {"shipment": cargo.slug}

    def _offer_supplies(self) -> dict[str, Any]:
        self.offers.append(f"o{len(self.offers)}")
        item = self.pick(RECEIPTS)
        arguments = {
            "offer": self.offers[-1],
            "partner": self.pick(PARTNERS),
            "item": item,
            "quantity": self.draw(st.integers(1, RECEIPTS[item])),
        }
        expires = self._later()
        plan = {"plan": "p"} if self.draw(st.booleans()) else {}
        return arguments | plan | ({"expires": expires} if expires else {})

    def _gifts(self) -> list[Offer]:
        return [
            self.service.load("offer", slug, Offer)
            for slug in self.offers
            if self.service.exists("offer", slug)
        ]

    def _open_offer(self) -> Offer:
        gifts = {g.slug: g for g in self._gifts()}
        if not gifts:
            raise Nothing
        usable = [slug for slug, g in gifts.items() if g.remaining(self.now) > 0]
        return gifts[self.some(list(gifts), usable)]

    def _accept_offer(self) -> dict[str, Any]:
        gift = self._open_offer()
        camp = self.pick(self.open_camps())
        return {"offer": gift.slug, "camp": camp, "quantity": self.amount(gift.remaining(self.now))}

    def _decline_offer(self) -> dict[str, Any]:
        reason = self.pick(("not_needed", "unsuitable", "duplicate"))
        return {"offer": self._open_offer().slug, "reason": reason}

    def _deliver_offer(self) -> dict[str, Any]:
        options = [
            (g.slug, c, g.undelivered(self.service.id_of("camp", c)))
            for g in self._gifts()
            for c in CAMPS
        ]
        if not options:
            raise Nothing
        offer, camp, limit = self.some(options, [o for o in options if o[2] > 0])
        return {"offer": offer, "camp": camp, "quantity": self.amount(limit)}

    def _withdraw_offer(self) -> dict[str, Any]:
        gifts = self._gifts()
        if not gifts:
            raise Nothing
        usable = [g.slug for g in gifts if not g.withdrawn]
        return {"offer": self.some([g.slug for g in gifts], usable)}

    # -- partners and the plan -----------------------------------------------------------------

    def _withdraw_partner(self) -> dict[str, Any]:
        return {"partner": self.pick(PARTNERS)}

    def _join_plan(self) -> dict[str, Any]:
        role = self.pick(("coordinator", "implementer", "funder", "supplier"))
        return {"plan": "p", "partner": self.pick(PARTNERS), "role": role}

    def _leave_plan(self) -> dict[str, Any]:
        return {"plan": "p", "partner": self.pick(self._members() or list(PARTNERS))}

    def _commit_stockpile(self) -> dict[str, Any]:
        return {"plan": "p", "stockpile": "s2"}

    def _activate_plan(self) -> dict[str, Any]:
        return {"plan": "p"}

    def _stand_down_plan(self) -> dict[str, Any]:
        return {"plan": "p"}

    # -- money ---------------------------------------------------------------------------------

    def _pledge_funds(self) -> dict[str, Any]:
        amount = self.draw(st.integers(1, 100_000))
        currency = self.pick(CURRENCIES)
        return {"plan": "p", "partner": self.pick(PARTNERS), "amount": amount, "currency": currency}

    def _receive_funds(self) -> dict[str, Any]:
        plan = self.plan()
        options = [
            (p, c, plan.outstanding_pledge(self.service.id_of("partner", p), c))
            for p in PARTNERS
            for c in CURRENCIES
        ]
        partner, currency, limit = self.some(options, [o for o in options if o[2] > 0])
        amount = self.amount(limit)
        return {"plan": "p", "partner": partner, "amount": amount, "currency": currency}

    def _disburse_funds(self) -> dict[str, Any]:
        plan = self.plan()
        currency = self.some(list(CURRENCIES), [c for c in CURRENCIES if plan.pool_balance(c)])
        partner = self.pick(self._members() or list(PARTNERS))
        amount = self.amount(plan.pool_balance(currency))
        return {"plan": "p", "partner": partner, "amount": amount, "currency": currency}

    def _split_pool(self) -> dict[str, Any]:
        plan = self.plan()
        usable = [c for c in CURRENCIES if plan.pool_balance(c)]
        return {"plan": "p", "currency": self.some(list(CURRENCIES), usable)}


# -- running ------------------------------------------------------------------------------------


def apply(planner: Planner, clock: TickClock, at: datetime, command: Command) -> bool:
    """Apply one command at a simulated time; False if the domain refused it."""
    clock.now = at
    name, arguments = command
    try:
        getattr(planner.service, name)(**arguments)
    except PlannerError:
        return False
    return True


def play(data: st.DataObject, world: World, most: int = 40) -> Planner:
    """Set the world up, then draw and apply commands; record them in `world.timed`."""
    clock = TickClock()
    planner = memory_planner(clock)
    planner.follower.batch_size = world.batch_size
    planner.follower.projector.checkpoint_every = world.checkpoint_every
    for command in world.setup:
        assert apply(planner, clock, START, command), command
        world.timed.append((START, command, False))
    chooser = Chooser(data.draw, planner.service)
    now = START
    for _ in range(data.draw(st.integers(most // 4, most), label="commands")):
        now += timedelta(seconds=data.draw(st.sampled_from(STEPS)))
        chooser.now = now
        command = chooser.next()
        apply(planner, clock, now, command)
        catch_up = data.draw(st.booleans())
        if catch_up:
            planner.catch_up()
        world.timed.append((now, command, catch_up))
    return planner


@contextmanager
def replayed(timed: Sequence[Timed]) -> Iterator[Planner]:
    """A fresh in-memory planner holding these commands, its views caught up."""
    clock = TickClock()
    planner = memory_planner(clock)
    try:
        for at, command, _ in timed:
            apply(planner, clock, at, command)
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
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- (a) incremental == rebuilt == pure fold ----------------------------------------------------


@SETTINGS
@given(world=worlds(), data=st.data())
def test_incremental_views_equal_a_rebuild_and_the_pure_fold(
    world: World, data: st.DataObject
) -> None:
    planner = play(data, world)
    try:
        planner.catch_up()
        incremental = store_views(planner.queries)
        assert_timeline_is_a_chain(planner, incremental)

        planner.views.drop_all()
        assert store_views(planner.queries) == {}
        assert planner.views.position() == 0
        planner.follower = ProjectionFollower(
            planner.service, planner.views, batch_size=7, checkpoint_every=5
        )
        planner.catch_up()
        rebuilt = store_views(planner.queries)
        assert_timeline_is_a_chain(planner, rebuilt)

        # current offer and shipment views are as of the planner's clock
        now_us = time_us(planner.service.clock_fn())
        folded = fold_views(stored_records(planner.service), at_us=now_us)
        assert incremental == rebuilt
        assert rebuilt == folded
    finally:
        planner.close()


# -- (b) as of T == a store holding only the events up to T -------------------------------------


@SETTINGS
@given(world=worlds(), data=st.data(), picks=st.lists(st.integers(0, 10_000), max_size=3))
def test_as_of_view_equals_the_view_of_the_prefix(
    world: World, data: st.DataObject, picks: list[int]
) -> None:
    planner = play(data, world, most=30)
    try:
        planner.catch_up()
        keys = list(store_views(planner.queries))
        times = sorted({at for at, _, _ in world.timed})
        # before anything; at some command times (inclusive); half an hour after some
        moments = [START - timedelta(microseconds=1)]
        for pick in picks:
            at = times[pick % len(times)]
            moments.append(at + timedelta(minutes=30) if pick % 2 else at)
        for moment in moments:
            then = store_views(planner.queries, as_of=moment)
            with replayed([step for step in world.timed if step[0] <= moment]) as past:
                past.service.clock_fn = TickClock(moment)  # "now" for its views
                assert then == store_views(past.queries), moment
                for kind, entity_id in keys:
                    as_of = strip(planner.queries.view(kind, entity_id, as_of=moment))
                    assert as_of == strip(past.queries.view(kind, entity_id)), (kind, moment)
    finally:
        planner.close()


# -- (c) delivering events twice changes nothing ------------------------------------------------


@SETTINGS
@given(world=worlds(), data=st.data(), split=st.integers(0, 10_000))
def test_events_delivered_twice_change_nothing(
    world: World, data: st.DataObject, split: int
) -> None:
    planner = play(data, world, most=25)
    try:
        planner.catch_up()
        records = stored_records(planner.service)
        last = records[-1].position
        assert planner.views.position() == last

        # the follower's projector has seen them all: a second delivery is an empty batch
        again = planner.follower.projector.process(records)
        assert (again.current, again.timeline, again.states, again.checkpoints) == ([], [], {}, [])
        assert again.last_position == last

        # a fresh projector: a prefix, then everything (the prefix delivered twice), then again
        projector = ReadinessProjector()
        cut = split % (len(records) + 1)
        projector.process(records[:cut])
        projector.process(records)
        twice = projector.process(records)
        assert (twice.current, twice.timeline, twice.states, twice.checkpoints) == ([], [], {}, [])
        assert twice.last_position == last
        assert _docs(projector) == fold_views(records)

        # the store refuses a batch whose position is already recorded, and changes nothing
        before = table_rows(planner.views)
        replay = ReadinessProjector().process(records)  # the same events, from scratch
        assert replay.last_position == last
        assert replay.current
        with pytest.raises(IntegrityError):
            planner.views.write(replay)
        forged = ViewBatch(
            last_position=last,
            current=[ViewVersion("camp", "x", "x", None, "ready", None, last + 1, 0, b"{}")],
            timeline=[StatusChange("camp", "x", "x", last + 1, 0, None, "ready")],
            states={("camp", "x"): b"{}"},
            checkpoints=[(last + 1, 0, b"{}")],
        )
        with pytest.raises(IntegrityError):
            planner.views.write(forged)
        assert table_rows(planner.views) == before
        assert planner.catch_up() == last
        assert table_rows(planner.views) == before
    finally:
        planner.close()


def _docs(projector: ReadinessProjector) -> ViewDocs:
    """Every view the projector's fold defines."""
    return {key: normalise(projector.fold.view(*key)) for key in projector.fold.view_keys()}
