"""Needs, shipments in transit and donor offers (contract Part 2), one test per rule or refusal.

Figures are worked out next to each assert. The tests drive the in-memory planner on a simulated
clock and read the materialised views after catching up (current views are as of the planner's
clock, so expiry and `overdue` apply without a command), or as of a past time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.errors import (
    AlreadyExistsError,
    DomainRefusal,
    MembershipError,
    NotFoundError,
    StatusError,
    StockError,
)
from domain.offer import OfferError
from planner.wiring import Planner, open_planner
from tests.conftest import SimulatedClock
from tests.projections_helpers import fold_views, normalise, stored_records, view_of


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class World:
    """Plans `p` (camps `c`, `d`) and `q` (camp `e`); coordinator `care` (ngo), donor `acme`
    (business), `gov`; stockpile `depot` (held by `care`) with 10,000 L water and 500 blankets.
    Camp `c` has 101 people (sphere-emergency, 3 ready days)."""

    def __init__(self, planner: Planner, clock: SimulatedClock) -> None:
        self.planner, self.clock, self.s = planner, clock, planner.service
        s = self.s
        for slug, kind in (("care", "ngo"), ("acme", "business"), ("gov", "government")):
            s.register_partner(partner=slug, name=slug.upper(), kind=kind)
        for plan in ("p", "q"):
            s.draft_plan(plan=plan, title=plan, crisis="test", planning_figure=1_000)
            s.join_plan(plan=plan, partner="care", role="coordinator")
        s.open_stockpile(stockpile="depot", partner="care", location="Sendai")
        s.receive_supplies(stockpile="depot", item="water", quantity=10_000)
        s.receive_supplies(stockpile="depot", item="blanket", quantity=500)
        for camp, plan in (("c", "p"), ("d", "p"), ("e", "q")):
            s.establish_camp(
                camp=camp, plan=plan, location=camp, site_area_m2=100_000, shelter_capacity=500
            )
        s.register_arrivals(camp="c", people=101)

    def later(self, **delta: float) -> datetime:
        return self.clock.advance(**delta)

    def at(self, **delta: float) -> str:
        return iso(self.clock.now + timedelta(**delta))

    def view(self, kind: str, slug: str, as_of: datetime | None = None) -> Any:
        return view_of(self.planner, kind, slug, as_of)


@pytest.fixture
def world(clock: SimulatedClock) -> Iterator[World]:
    planner = open_planner("memory:", clock_fn=clock)
    yield World(planner, clock)
    planner.close()


# -- needs --------------------------------------------------------------------------------------


def test_needs_shortfalls_by_exact_ceiling(world: World) -> None:
    needs = world.view("camp", "c")["needs"]
    # water: ⌈101 × 15 × 3⌉ = 4,545; food: 101 × 1 × 3 = 303; medical kit: ⌈101 × 3 / 90,000⌉ = 1
    assert needs["water"] == {"shortfall": 4_545, "committed": 0, "uncommitted": 4_545}
    assert needs["food_ration"]["shortfall"] == 303
    assert needs["medical_kit"]["shortfall"] == 1
    # per person: 101 − 0 delivered; facilities: ⌈101 / 50⌉ = 3 latrines, ⌈101 / 250⌉ = 1 tap
    assert needs["blanket"]["shortfall"] == needs["sleeping_mat"]["shortfall"] == 101
    assert needs["latrine"] == {"shortfall": 3, "committed": 0, "uncommitted": 3}
    assert needs["water_tap"]["shortfall"] == needs["health_post"]["shortfall"] == 1
    assert "tent" not in needs


def test_needs_with_fractional_ready_days_and_overrides(world: World) -> None:
    world.s.draft_plan(
        plan="r",
        title="r",
        crisis="t",
        planning_figure=10,
        ready_days=2.5,
        standards_profile="sphere-post-emergency",
        standards_overrides={"water": 7.5},
    )
    world.s.establish_camp(camp="f", plan="r", location="f", site_area_m2=1e5, shelter_capacity=9)
    world.s.register_arrivals(camp="f", people=7)
    needs = world.view("camp", "f")["needs"]
    assert needs["water"]["shortfall"] == 132  # ⌈7 × 7.5 × 2.5⌉ = ⌈131.25⌉
    assert needs["food_ration"]["shortfall"] == 18  # ⌈7 × 1 × 2.5⌉ = ⌈17.5⌉
    assert needs["latrine"]["shortfall"] == 1  # ⌈7 / 20⌉ (post-emergency)


def test_needs_drop_with_stock_deliveries_and_facilities(world: World) -> None:
    s = world.s
    s.dispatch_supplies(stockpile="depot", camp="c", item="water", quantity=4_000)
    s.dispatch_supplies(stockpile="depot", camp="c", item="blanket", quantity=101)
    s.distribute_supplies(camp="c", item="blanket", quantity=50)  # delivered still counts
    s.build_facilities(camp="c", facility="latrine", count=2)
    needs = world.view("camp", "c")["needs"]
    assert needs["water"]["shortfall"] == 545  # 4,545 − 4,000
    assert "blanket" not in needs  # 101 delivered for 101 people
    assert needs["latrine"]["shortfall"] == 1


def test_committed_counts_reservations_shipments_and_accepted_offers(world: World) -> None:
    s = world.s
    s.reserve_supplies(stockpile="depot", camp="c", item="water", quantity=1_000)
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=500)
    s.offer_supplies(offer="o1", partner="acme", item="water", quantity=4_000)
    s.accept_offer(offer="o1", camp="c", quantity=3_000)
    s.deliver_offer(offer="o1", camp="c", quantity=1_000)
    water = world.view("camp", "c")["needs"]["water"]
    # the shipment took 500 of the 1,000 reserved: 500 reserved + 500 on the road + 2,000 accepted
    # and not delivered; the 1,000 delivered lowered the shortfall to 3,545
    assert water == {"shortfall": 3_545, "committed": 3_000, "uncommitted": 545}
    s.accept_offer(offer="o1", camp="c", quantity=1_000)
    water = world.view("camp", "c")["needs"]["water"]
    assert water == {"shortfall": 3_545, "committed": 4_000, "uncommitted": 0}


def test_reservations_for_one_camp_do_not_cover_another(world: World) -> None:
    s = world.s
    s.register_arrivals(camp="d", people=10)
    s.reserve_supplies(stockpile="depot", camp="d", item="water", quantity=9_000)
    plan = world.view("plan", "p")["needs"]
    # c: 4,545 short, 0 committed; d: 450 short, 9,000 committed (uncommitted 0)
    assert plan["water"] == {"shortfall": 4_995, "committed": 9_000, "uncommitted": 4_545}
    assert plan["latrine"]["shortfall"] == 3 + 1


def test_closed_and_empty_camps_have_no_needs(world: World) -> None:
    s = world.s
    assert world.view("camp", "d")["needs"] == {}  # population 0
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=100)
    s.close_camp(camp="c")
    camp = world.view("camp", "c")
    assert camp["needs"] == {}
    assert camp["in_transit"] == {"water": 100}  # a closed camp still shows what is coming
    assert world.view("plan", "p")["needs"] == {}  # only open camps count


# -- shipments ----------------------------------------------------------------------------------


def test_shipment_takes_the_reservation_first_then_free_stock(world: World) -> None:
    s = world.s
    s.reserve_supplies(stockpile="depot", camp="c", item="water", quantity=300)
    s.send_shipment(
        shipment="t1", stockpile="depot", camp="c", item="water", quantity=500, eta=world.at(days=2)
    )
    depot = world.view("stockpile", "depot")
    assert depot["items"]["water"] == {"on_hand": 9_500, "reserved": 0, "available": 9_500}
    assert depot["in_transit"] == {"water": 500}
    camp = world.view("camp", "c")
    assert camp["in_transit"] == {"water": 500}
    assert camp["stock"] == {}  # nothing reached the camp yet
    ship = world.view("shipment", "t1")
    assert ship | {"id": None, "plan_id": None, "position": None, "updated_at": None} == {
        "shipment": "t1",
        "id": None,
        "plan_id": None,
        "stockpile": "depot",
        "camp": "c",
        "item": "water",
        "quantity": 500,
        "received": 0,
        "lost_in_transit": 0,
        "status": "in_transit",
        "eta": world.at(days=2),
        "overdue": False,
        "position": None,
        "updated_at": None,
    }


def test_overdue_only_strictly_after_eta(world: World) -> None:
    eta = world.at(hours=6)
    world.s.send_shipment(
        shipment="t1", stockpile="depot", camp="c", item="water", quantity=5, eta=eta
    )
    start = world.clock.now
    world.later(hours=6)
    assert world.view("shipment", "t1")["overdue"] is False  # at eta: not yet
    world.later(seconds=1)
    assert world.view("shipment", "t1")["overdue"] is True  # now, on the planner's clock
    assert world.view("shipment", "t1", as_of=start + timedelta(hours=6))["overdue"] is False
    world.s.deliver_shipment(shipment="t1")
    assert world.view("shipment", "t1")["overdue"] is False
    moment = start + timedelta(hours=6, milliseconds=500)  # after eta, before the delivery
    assert world.view("shipment", "t1", as_of=moment)["overdue"] is True


def test_shipment_without_eta_is_never_overdue(world: World) -> None:
    world.s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=5)
    world.later(days=300)
    view = world.view("shipment", "t1")
    assert (view["eta"], view["overdue"]) == (None, False)


def test_partial_delivery_counts_the_rest_as_lost(world: World) -> None:
    s = world.s
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="blanket", quantity=100)
    s.deliver_shipment(shipment="t1", quantity=80)
    ship = world.view("shipment", "t1")
    assert (ship["status"], ship["received"], ship["lost_in_transit"]) == ("delivered", 80, 20)
    camp = world.view("camp", "c")
    assert camp["stock"]["blanket"] == camp["delivered"]["blanket"] == 80
    assert camp["in_transit"] == {}
    assert camp["per_person"]["blanket"] == pytest.approx(80 / 101, abs=1e-4)
    assert camp["needs"]["blanket"]["shortfall"] == 21
    assert world.view("stockpile", "depot")["in_transit"] == {}


def test_lost_and_returned_shipments(world: World) -> None:
    s = world.s
    s.reserve_supplies(stockpile="depot", camp="c", item="water", quantity=100)
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=100)
    s.send_shipment(shipment="t2", stockpile="depot", camp="c", item="water", quantity=200)
    s.lose_shipment(shipment="t1", reason="stolen")
    s.return_shipment(shipment="t2")
    assert world.view("shipment", "t1")["status"] == "lost"
    assert world.view("shipment", "t2")["status"] == "returned"
    # 10,000 − 100 (lost) on hand; the return is free stock, not reserved again
    depot = world.view("stockpile", "depot")
    assert depot["items"]["water"] == {"on_hand": 9_900, "reserved": 0, "available": 9_900}
    assert world.view("camp", "c")["stock"] == {}


@pytest.mark.parametrize(
    "end",
    [
        ("deliver_shipment", {}),
        ("lose_shipment", {"reason": "lost"}),
        ("return_shipment", {}),
    ],
)
def test_a_shipment_ends_once(world: World, end: tuple[str, dict[str, Any]]) -> None:
    s = world.s
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=5)
    s.execute(end[0], {"shipment": "t1", **end[1]})
    for command, args in (
        ("deliver_shipment", {}),
        ("lose_shipment", {"reason": "damaged"}),
        ("return_shipment", {}),
    ):
        with pytest.raises(StatusError) as refused:
            s.execute(command, {"shipment": "t1", **args})
        assert refused.value.rule == "a shipment ends once"
        assert refused.value.field == "shipment"


def test_shipment_refusals(world: World) -> None:
    s = world.s
    with pytest.raises(StockError) as refused:  # 10,000 on hand
        s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=10_001)
    assert refused.value.field == "quantity"
    with pytest.raises(DomainRefusal) as late:
        s.send_shipment(
            shipment="t1", stockpile="depot", camp="c", item="water", quantity=1, eta=world.at()
        )
    assert (late.value.field, late.value.rule) == ("eta", "eta is after the command's time")
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=10)
    with pytest.raises(AlreadyExistsError):
        s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=1)
    with pytest.raises(StockError) as refused:
        s.deliver_shipment(shipment="t1", quantity=11)
    assert refused.value.field == "quantity"
    with pytest.raises(NotFoundError):
        s.deliver_shipment(shipment="nope")
    with pytest.raises(NotFoundError):
        s.send_shipment(shipment="t2", stockpile="depot", camp="nope", item="water", quantity=1)


def test_shipments_to_a_closed_camp_can_only_be_lost_or_returned(world: World) -> None:
    s = world.s
    for slug in ("t1", "t2", "t3"):
        s.send_shipment(shipment=slug, stockpile="depot", camp="c", item="water", quantity=10)
    s.close_camp(camp="c")
    with pytest.raises(StatusError) as refused:
        s.deliver_shipment(shipment="t1")
    assert refused.value.field == "camp"
    assert "can only be lost or returned" in str(refused.value)
    with pytest.raises(StatusError):
        s.send_shipment(shipment="t4", stockpile="depot", camp="c", item="water", quantity=1)
    s.lose_shipment(shipment="t2", reason="lost")
    s.return_shipment(shipment="t3")
    assert world.view("camp", "c")["in_transit"] == {"water": 10}


# -- offers -------------------------------------------------------------------------------------


def test_offer_view_fields_and_by_camp_order(world: World) -> None:
    s = world.s
    expires = world.at(days=3)
    s.offer_supplies(
        offer="o1", partner="acme", item="blanket", quantity=300, plan="p", expires=expires
    )
    s.accept_offer(offer="o1", camp="d", quantity=50)
    s.accept_offer(offer="o1", camp="c", quantity=100)
    s.accept_offer(offer="o1", camp="d", quantity=10)
    s.deliver_offer(offer="o1", camp="c", quantity=40)
    view = world.view("offer", "o1")
    assert {k: view[k] for k in ("partner", "item", "plan", "expires", "status")} == {
        "partner": "acme",
        "item": "blanket",
        "plan": "p",
        "expires": expires,
        "status": "open",
    }
    assert (view["quantity"], view["accepted"], view["delivered"], view["declined"]) == (
        300,
        160,
        40,
        0,
    )
    assert (view["lapsed"], view["cancelled"], view["remaining"]) == (0, 0, 140)
    assert list(view["by_camp"].items()) == [
        ("d", {"accepted": 60, "delivered": 0}),
        ("c", {"accepted": 100, "delivered": 40}),
    ]
    camp = world.view("camp", "c")
    assert camp["delivered"]["blanket"] == 40
    assert camp["needs"]["blanket"] == {"shortfall": 61, "committed": 60, "uncommitted": 1}


def test_expiry_applies_without_a_command_at_exactly_expires(world: World) -> None:
    s = world.s
    start = world.clock.now
    s.offer_supplies(
        offer="o1", partner="acme", item="water", quantity=1_000, expires=world.at(days=1)
    )
    s.accept_offer(offer="o1", camp="c", quantity=400)
    world.later(days=1)  # at `expires`: lapsed, before any command at that time
    view = world.view("offer", "o1")
    assert (view["remaining"], view["lapsed"], view["status"]) == (0, 600, "committed")
    before = world.view("offer", "o1", as_of=start + timedelta(hours=23))
    assert (before["remaining"], before["lapsed"], before["status"]) == (600, 0, "open")
    with pytest.raises(StatusError) as refused:
        s.accept_offer(offer="o1", camp="c", quantity=1)
    assert refused.value.rule == "an expired offer can no longer be accepted"
    with pytest.raises(StatusError):
        s.decline_offer(offer="o1", reason="not_needed")
    s.deliver_offer(offer="o1", camp="c", quantity=400)  # accepted stays deliverable
    assert world.view("offer", "o1")["status"] == "fulfilled"
    # withdrawing after expiry cancels nothing of what lapsed
    s.withdraw_offer(offer="o1")
    view = world.view("offer", "o1")
    assert (view["lapsed"], view["cancelled"], view["remaining"]) == (600, 0, 0)
    assert view["status"] == "withdrawn"


def test_expired_with_nothing_accepted(world: World) -> None:
    world.s.offer_supplies(
        offer="o1", partner="acme", item="water", quantity=10, expires=world.at(hours=1)
    )
    world.later(hours=2)
    view = world.view("offer", "o1")
    assert (view["status"], view["lapsed"], view["remaining"]) == ("expired", 10, 0)


def test_decline_takes_the_whole_remaining(world: World) -> None:
    s = world.s
    s.offer_supplies(
        offer="o1", partner="acme", item="water", quantity=10, expires=world.at(days=1)
    )
    s.decline_offer(offer="o1", reason="unsuitable")
    world.later(days=2)
    view = world.view("offer", "o1")
    assert (view["declined"], view["lapsed"], view["remaining"]) == (10, 0, 0)
    assert view["status"] == "declined"
    with pytest.raises(StatusError):  # expired now; before expiry: nothing remaining
        s.decline_offer(offer="o1", reason="duplicate")
    s.offer_supplies(offer="o2", partner="acme", item="water", quantity=10)
    s.accept_offer(offer="o2", camp="c", quantity=4)
    s.decline_offer(offer="o2", reason="not_needed")
    with pytest.raises(OfferError) as refused:
        s.decline_offer(offer="o2", reason="not_needed")
    assert refused.value.field == "offer"
    view = world.view("offer", "o2")
    assert (view["declined"], view["status"]) == (6, "committed")


def test_withdrawal_cancels_remaining_and_undelivered(world: World) -> None:
    s = world.s
    start = world.clock.now
    s.offer_supplies(
        offer="o1", partner="acme", item="water", quantity=1_000, expires=world.at(days=1)
    )
    s.accept_offer(offer="o1", camp="c", quantity=500)
    s.deliver_offer(offer="o1", camp="c", quantity=200)
    world.later(hours=1)
    s.withdraw_offer(offer="o1", reason="trucks requisitioned")
    world.later(days=5)  # nothing lapses after a withdrawal
    view = world.view("offer", "o1")
    assert (view["accepted"], view["delivered"], view["lapsed"]) == (500, 200, 0)
    assert (view["cancelled"], view["remaining"], view["status"]) == (500 + 300, 0, "withdrawn")
    assert view["by_camp"] == {"c": {"accepted": 500, "delivered": 200}}
    assert world.view("camp", "c")["needs"]["water"]["committed"] == 0
    assert world.view("offer", "o1", as_of=start)["status"] == "open"
    with pytest.raises(StatusError) as refused:
        s.withdraw_offer(offer="o1")
    assert refused.value.rule == "an offer is withdrawn once"
    with pytest.raises(StatusError):
        s.deliver_offer(offer="o1", camp="c", quantity=1)
    with pytest.raises(StatusError):
        s.accept_offer(offer="o1", camp="c", quantity=1)


def test_offer_refusals(world: World) -> None:
    s = world.s
    with pytest.raises(NotFoundError):
        s.accept_offer(offer="nope", camp="c", quantity=1)
    with pytest.raises(DomainRefusal) as refused:
        s.offer_supplies(offer="o0", partner="acme", item="water", quantity=1, expires=world.at())
    assert refused.value.field == "expires"
    s.offer_supplies(offer="o1", partner="acme", item="water", quantity=100, plan="p")
    with pytest.raises(OfferError) as refused:
        s.accept_offer(offer="o1", camp="c", quantity=101)
    assert (refused.value.field, refused.value.rule) == (
        "quantity",
        "an acceptance never exceeds what remains of the offer",
    )
    with pytest.raises(MembershipError) as refused:
        s.accept_offer(offer="o1", camp="e", quantity=1)  # e is in plan q
    assert refused.value.field == "camp"
    s.accept_offer(offer="o1", camp="c", quantity=30)
    with pytest.raises(OfferError) as refused:
        s.deliver_offer(offer="o1", camp="c", quantity=31)
    assert refused.value.rule == "a delivery never exceeds what was accepted for the camp"
    with pytest.raises(OfferError):
        s.deliver_offer(offer="o1", camp="d", quantity=1)  # nothing accepted for d
    s.close_camp(camp="d")
    with pytest.raises(StatusError):
        s.accept_offer(offer="o1", camp="d", quantity=1)
    s.close_camp(camp="c")
    with pytest.raises(StatusError):
        s.deliver_offer(offer="o1", camp="c", quantity=1)
    with pytest.raises(DomainRefusal):
        s.decline_offer(offer="o1", reason="too-late")


def test_withdrawn_partner_makes_no_new_offers_but_old_ones_go_on(world: World) -> None:
    s = world.s
    s.offer_supplies(offer="o1", partner="acme", item="water", quantity=100)
    s.withdraw_partner(partner="acme")
    with pytest.raises(StatusError) as refused:
        s.offer_supplies(offer="o2", partner="acme", item="water", quantity=1)
    assert refused.value.field == "partner"
    s.accept_offer(offer="o1", camp="c", quantity=100)
    s.deliver_offer(offer="o1", camp="c", quantity=100)
    assert world.view("offer", "o1")["status"] == "fulfilled"


def test_offer_to_a_closed_plan_is_refused(world: World) -> None:
    world.s.close_plan(plan="q")
    with pytest.raises(StatusError):
        world.s.offer_supplies(offer="o1", partner="acme", item="water", quantity=1, plan="q")


def test_views_equal_the_pure_fold(world: World) -> None:
    s = world.s
    s.send_shipment(shipment="t1", stockpile="depot", camp="c", item="water", quantity=10)
    s.offer_supplies(
        offer="o1", partner="acme", item="water", quantity=100, expires=world.at(days=1)
    )
    s.accept_offer(offer="o1", camp="c", quantity=30)
    world.planner.catch_up()
    folded = fold_views(stored_records(s))
    for kind, slug in (("shipment", "t1"), ("offer", "o1"), ("camp", "c"), ("plan", "p")):
        view = world.view(kind, slug)
        key = (kind, view["id"])
        assert {k: v for k, v in view.items() if k not in ("position", "updated_at")} == normalise(
            folded[key]
        )
