"""Stockpiles: receiving, reserving, releasing, dispatching (atomically) and writing off."""

from __future__ import annotations

from typing import Any

import pytest

from domain.base import entity_id
from domain.camp import Camp
from domain.errors import (
    AlreadyExistsError,
    DomainRefusal,
    NotFoundError,
    StatusError,
    StockError,
)
from domain.service import PlannerService
from domain.stockpile import Stockpile


def stored_count(service: PlannerService) -> int:
    return len(service.recorder.select_notifications(start=1, limit=10_000))


def depot(service: PlannerService, slug: str = "s") -> Stockpile:
    return service.repository.get(service.id_of("stockpile", slug))


def camp_of(service: PlannerService, slug: str) -> Camp:
    return service.repository.get(service.id_of("camp", slug))


@pytest.fixture
def svc(service: PlannerService) -> PlannerService:
    """Stockpile `s` held by `wfp`, with 500 litres of water; camps `a` and `b` of plan `p`."""
    service.register_partner(partner="wfp", name="WFP", kind="un_agency")
    service.register_partner(partner="donor", name="Donor", kind="business")
    service.draft_plan(plan="p", title="T", crisis="C", planning_figure=1_000)
    for camp in ("a", "b"):
        service.establish_camp(
            camp=camp, plan="p", location=camp.upper(), site_area_m2=9_000, shelter_capacity=200
        )
    service.open_stockpile(stockpile="s", partner="wfp", location="Durrës port")
    service.receive_supplies(stockpile="s", item="water", quantity=500)
    return service


def test_open_records_holder_and_location(svc: PlannerService) -> None:
    s = depot(svc)
    assert s.partner_id == svc.id_of("partner", "wfp")
    assert s.location == "Durrës port"
    assert s.on_hand["water"] == 500 and s.reserved["water"] == 0


def test_stockpile_slug_is_unique_and_partner_must_exist(svc: PlannerService) -> None:
    with pytest.raises(AlreadyExistsError, match="a stockpile named 's' already exists"):
        svc.open_stockpile(stockpile="s", partner="wfp", location="X")
    with pytest.raises(NotFoundError, match="unknown partner 'nobody'"):
        svc.open_stockpile(stockpile="t", partner="nobody", location="X")
    assert not svc.exists("stockpile", "t")


def test_unknown_stockpile_is_not_found(svc: PlannerService) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("receive_supplies", {"item": "water", "quantity": 1}),
        ("reserve_supplies", {"camp": "a", "item": "water", "quantity": 1}),
        ("release_reservation", {"camp": "a", "item": "water", "quantity": 1}),
        ("dispatch_supplies", {"camp": "a", "item": "water", "quantity": 1}),
        ("write_off_supplies", {"item": "water", "quantity": 1, "reason": "lost"}),
    ]
    for name, args in calls:
        with pytest.raises(NotFoundError, match="unknown stockpile 'ghost'"):
            getattr(svc, name)(stockpile="ghost", **args)


def test_unknown_camp_is_not_found(svc: PlannerService) -> None:
    for name in ("reserve_supplies", "release_reservation", "dispatch_supplies"):
        with pytest.raises(NotFoundError, match="unknown camp 'ghost'"):
            getattr(svc, name)(stockpile="s", camp="ghost", item="water", quantity=1)


# -- receiving ---------------------------------------------------------------------------------


def test_receive_adds_to_on_hand_and_records_the_source(svc: PlannerService) -> None:
    result = svc.receive_supplies(stockpile="s", item="water", quantity=250, source="donor")
    assert depot(svc).on_hand["water"] == 750
    (event,) = list(svc.events.get(result.aggregate_id, gt=result.version - 1))
    assert isinstance(event, Stockpile.SuppliesReceived)
    assert event.source_id == svc.id_of("partner", "donor")
    with pytest.raises(NotFoundError, match="unknown partner 'stranger'"):
        svc.receive_supplies(stockpile="s", item="water", quantity=1, source="stranger")


def test_unknown_items_are_refused_everywhere(svc: PlannerService) -> None:
    before = stored_count(svc)
    message = "unknown item 'whisky'; the catalog has water, food_ration"
    with pytest.raises(DomainRefusal, match=message) as info:
        svc.receive_supplies(stockpile="s", item="whisky", quantity=1)
    assert info.value.rule == "items must be in the catalog"
    for name in ("reserve_supplies", "release_reservation", "dispatch_supplies"):
        with pytest.raises(DomainRefusal, match="unknown item 'whisky'"):
            getattr(svc, name)(stockpile="s", camp="a", item="whisky", quantity=1)
    with pytest.raises(DomainRefusal, match="unknown item 'whisky'"):
        svc.write_off_supplies(stockpile="s", item="whisky", quantity=1, reason="lost")
    assert stored_count(svc) == before


def test_quantities_in_another_unit_are_refused() -> None:
    s = Stockpile.open(
        id=entity_id("stockpile", "x"), slug="x", partner_id=entity_id("partner", "p"), location="L"
    )
    with pytest.raises(DomainRefusal, match="water is counted in litre, not gallon") as info:
        s.receive(item="water", quantity=10, unit="gallon")
    assert info.value.field == "unit"
    assert info.value.rule == "quantities are in the item's catalog unit"
    assert s.on_hand["water"] == 0
    s.receive(item="water", quantity=10, unit="litre")
    s.receive(item="blanket", quantity=3, unit="piece")
    assert (s.on_hand["water"], s.on_hand["blanket"]) == (10, 3)


@pytest.mark.parametrize("quantity", [0, -3])
def test_quantities_must_be_positive(svc: PlannerService, quantity: int) -> None:
    message = f"quantity must be from 1 to [0-9]+, got {quantity}"
    with pytest.raises(StockError, match=message):
        svc.receive_supplies(stockpile="s", item="water", quantity=quantity)
    for name in ("reserve_supplies", "release_reservation", "dispatch_supplies"):
        with pytest.raises(StockError, match=message):
            getattr(svc, name)(stockpile="s", camp="a", item="water", quantity=quantity)
    with pytest.raises(StockError, match=message):
        svc.write_off_supplies(stockpile="s", item="water", quantity=quantity, reason="lost")
    assert depot(svc).on_hand["water"] == 500


# -- reserving and releasing -------------------------------------------------------------------


def test_reserve_never_exceeds_available(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    before = stored_count(svc)
    with pytest.raises(StockError) as info:
        svc.reserve_supplies(stockpile="s", camp="b", item="water", quantity=301)
    assert str(info.value) == (
        "stockpile 's' cannot reserve 301 water for camp 'b': only 300 available "
        "(on hand 500, reserved 200)"
    )
    assert info.value.rule == "reserved never exceeds on hand"
    assert info.value.field == "quantity"
    assert stored_count(svc) == before
    svc.reserve_supplies(stockpile="s", camp="b", item="water", quantity=300)
    s = depot(svc)
    assert (s.on_hand["water"], s.reserved["water"], s.available("water")) == (500, 500, 0)
    with pytest.raises(StockError, match="only 0 available"):
        svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=1)
    with pytest.raises(StockError, match="only 0 available"):
        svc.reserve_supplies(stockpile="s", camp="a", item="food_ration", quantity=1)


def test_reserve_for_a_closed_camp_is_refused(svc: PlannerService) -> None:
    svc.close_camp(camp="b")
    with pytest.raises(StatusError, match="camp 'b' is closed; cannot have supplies reserved"):
        svc.reserve_supplies(stockpile="s", camp="b", item="water", quantity=1)
    assert depot(svc).reserved["water"] == 0


def test_release_never_exceeds_that_camps_reservation(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    with pytest.raises(StockError) as info:
        svc.release_reservation(stockpile="s", camp="a", item="water", quantity=201)
    assert str(info.value) == (
        "stockpile 's' holds 200 water reserved for camp 'a'; cannot release 201"
    )
    assert info.value.rule == "reserved never goes below zero"
    with pytest.raises(StockError, match="holds 0 water reserved for camp 'b'; cannot release 1"):
        svc.release_reservation(stockpile="s", camp="b", item="water", quantity=1)
    svc.release_reservation(stockpile="s", camp="a", item="water", quantity=150)
    s = depot(svc)
    assert s.reserved["water"] == 50
    assert s.reservations[(svc.id_of("camp", "a"), "water")] == 50
    assert s.available("water") == 450


# -- dispatching -------------------------------------------------------------------------------


def test_dispatch_takes_the_camps_reservation_first_then_free_stock(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    svc.reserve_supplies(stockpile="s", camp="b", item="water", quantity=100)
    result = svc.dispatch_supplies(stockpile="s", camp="a", item="water", quantity=250)
    s = depot(svc)
    assert s.on_hand["water"] == 250
    assert s.reserved["water"] == 100  # b's reservation is untouched
    assert s.reservations[(svc.id_of("camp", "a"), "water")] == 0
    assert s.reservations[(svc.id_of("camp", "b"), "water")] == 100
    (event,) = list(svc.events.get(result.aggregate_id, gt=result.version - 1))
    assert isinstance(event, Stockpile.SuppliesDispatched)
    assert (event.quantity, event.from_reservation) == (250, 200)
    a = camp_of(svc, "a")
    assert a.stock["water"] == 250 and a.delivered["water"] == 250


def test_dispatch_never_takes_another_camps_reservation(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    before = stored_count(svc)
    with pytest.raises(StockError) as info:
        svc.dispatch_supplies(stockpile="s", camp="b", item="water", quantity=301)
    assert str(info.value) == (
        "stockpile 's' cannot dispatch 301 water to camp 'b': at most 300 "
        "(reserved for it 0, free 300)"
    )
    assert info.value.rule == "a dispatch never exceeds what it may take"
    assert stored_count(svc) == before
    assert camp_of(svc, "b").stock["water"] == 0
    svc.dispatch_supplies(stockpile="s", camp="b", item="water", quantity=300)
    s = depot(svc)
    assert (s.on_hand["water"], s.reserved["water"], s.available("water")) == (200, 200, 0)


def test_dispatch_of_reserved_stock_only(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    svc.dispatch_supplies(stockpile="s", camp="a", item="water", quantity=120)
    s = depot(svc)
    assert (s.on_hand["water"], s.reserved["water"]) == (380, 80)
    assert s.reservations[(svc.id_of("camp", "a"), "water")] == 80


def test_dispatch_saves_both_aggregates_in_one_save(
    svc: PlannerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[Any]] = []
    insert = svc.recorder.insert_events

    def spy(stored_events: list[Any], **kwargs: Any) -> Any:
        calls.append(list(stored_events))
        return insert(stored_events, **kwargs)

    monkeypatch.setattr(svc.recorder, "insert_events", spy)
    result = svc.dispatch_supplies(stockpile="s", camp="a", item="water", quantity=100)
    assert len(calls) == 1, "the dispatch must be stored in one save (one transaction)"
    (stored,) = calls
    assert [(e.originator_id, e.topic) for e in stored] == [
        (svc.id_of("stockpile", "s"), "domain.stockpile:Stockpile.SuppliesDispatched"),
        (svc.id_of("camp", "a"), "domain.camp:Camp.SuppliesDelivered"),
    ]
    assert result.entity == "stockpile"
    assert result.position == stored_count(svc)
    delivered = list(svc.events.get(svc.id_of("camp", "a")))[-1]
    assert isinstance(delivered, Camp.SuppliesDelivered)
    assert delivered.stockpile_id == svc.id_of("stockpile", "s")
    assert (delivered.item, delivered.quantity) == ("water", 100)


def test_dispatch_to_a_closed_camp_stores_nothing(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=200)
    svc.close_camp(camp="a")
    before = stored_count(svc)
    versions = (depot(svc).version, camp_of(svc, "a").version)
    with pytest.raises(StatusError, match="camp 'a' is closed; cannot receive supplies") as info:
        svc.dispatch_supplies(stockpile="s", camp="a", item="water", quantity=10)
    assert info.value.rule == "nothing changes in a closed camp"
    assert stored_count(svc) == before
    assert (depot(svc).version, camp_of(svc, "a").version) == versions
    assert depot(svc).on_hand["water"] == 500
    # the reservation can still be given back to free stock
    svc.release_reservation(stockpile="s", camp="a", item="water", quantity=200)
    assert depot(svc).available("water") == 500


def test_dispatch_in_a_batch_to_a_closed_camp_stores_nothing_of_it(svc: PlannerService) -> None:
    svc.close_camp(camp="b")
    before = stored_count(svc)
    with pytest.raises(StatusError), svc.batch():
        svc.dispatch_supplies(stockpile="s", camp="a", item="water", quantity=10)
        svc.dispatch_supplies(stockpile="s", camp="b", item="water", quantity=10)
    assert stored_count(svc) == before + 2  # the first dispatch: stockpile and camp events
    assert depot(svc).on_hand["water"] == 490
    assert camp_of(svc, "b").stock["water"] == 0


# -- writing off -------------------------------------------------------------------------------


def test_write_off_never_exceeds_free_stock(svc: PlannerService) -> None:
    svc.reserve_supplies(stockpile="s", camp="a", item="water", quantity=450)
    before = stored_count(svc)
    with pytest.raises(StockError) as info:
        svc.write_off_supplies(stockpile="s", item="water", quantity=51, reason="expired")
    assert str(info.value) == (
        "stockpile 's' cannot write off 51 water: only 50 free (on hand 500, reserved 450); "
        "release reservations first"
    )
    assert info.value.rule == "a write-off never exceeds free stock"
    assert stored_count(svc) == before
    svc.write_off_supplies(stockpile="s", item="water", quantity=50, reason="damaged")
    s = depot(svc)
    assert (s.on_hand["water"], s.reserved["water"], s.available("water")) == (450, 450, 0)


def test_write_off_needs_a_known_reason(svc: PlannerService) -> None:
    with pytest.raises(DomainRefusal, match="write-off reason must be one of expired, damaged"):
        svc.write_off_supplies(stockpile="s", item="water", quantity=1, reason="stolen")
    assert depot(svc).on_hand["water"] == 500


def test_write_off_of_an_item_never_received(svc: PlannerService) -> None:
    with pytest.raises(StockError, match="cannot write off 1 tent: only 0 free"):
        svc.write_off_supplies(stockpile="s", item="tent", quantity=1, reason="lost")
