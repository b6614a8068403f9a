"""The planner's fast paths store exactly what the library's standard paths store.

Aggregates trigger events without the library's `@event` call machinery, and the service stores
them through its own mapper, event store and recorder. Running the same commands with the same
clock through the library's own decorators, Mapper, EventStore and recorder must give the same
records, byte for byte and with the same notification ids, for every event type.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CommandMethodDecorator,
    decorated_func_callers,
)
from eventsourcing.persistence import ApplicationRecorder, EventStore, Mapper

from adapters.postgres import PlannerPostgresRecorder
from adapters.storage import PLANNER_STORAGE
from domain.base import PlannerAggregate, created_event_shape
from domain.camp import Camp
from domain.clock import iso_utc, using_clock
from domain.errors import ConcurrencyError
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service import PlannerService
from domain.shipment import Shipment
from domain.stockpile import Stockpile
from planner.config import persistence_env
from planner.wiring import new_service

pytestmark = pytest.mark.integration

AGGREGATES = (Partner, ResponsePlan, Stockpile, Camp, Shipment, Offer)
SimulatedClock = Any  # tests.conftest.SimulatedClock


def event_types() -> set[str]:
    """Topics of every concrete event class of the planner's aggregates."""
    return {
        f"{value.__module__}:{value.__qualname__}"
        for aggregate in AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, PlannerAggregate.Event)
        and name not in ("Event", "Created")
    }


def every_event(service: PlannerService, clock: SimulatedClock) -> None:
    """Commands that between them trigger every event type of every aggregate."""
    for partner, kind, sectors in [
        ("unhcr", "un_agency", None),
        ("oxfam", "ngo", ["WSH", "SHL"]),
        ("care", "ngo", None),
        ("acme", "business", None),
        ("gov", "government", None),
    ]:
        service.register_partner(partner=partner, name=partner.upper(), kind=kind, sectors=sectors)
    service.draft_plan(
        plan="kukes",
        title="Kukës response",
        crisis="Kosovo 1999",
        planning_figure=20_000,
        required_sectors=["WSH"],
        ready_days=2.5,
        standards_overrides={"water": 20.0},
    )
    for partner, role in [
        ("oxfam", "implementer"),
        ("care", "implementer"),
        ("acme", "supplier"),
        ("gov", "funder"),
    ]:
        service.join_plan(plan="kukes", partner=partner, role=role)
    service.pledge_funds(plan="kukes", partner="gov", amount=1_000_000, currency="EUR")
    clock.advance(hours=6, microseconds=250)
    service.receive_funds(plan="kukes", partner="gov", amount=400_000, currency="EUR")
    service.disburse_funds(plan="kukes", partner="oxfam", amount=100_001, currency="EUR")
    service.split_pool(plan="kukes", currency="EUR")
    service.open_stockpile(stockpile="durres", partner="acme", location="Durrës port")
    service.commit_stockpile(plan="kukes", stockpile="durres")
    service.receive_supplies(stockpile="durres", item="water", quantity=90_000, source="acme")
    service.receive_supplies(stockpile="durres", item="blanket", quantity=5_000)
    service.activate_plan(plan="kukes")
    clock.advance(days=1)
    service.establish_camp(
        camp="kukes-1", plan="kukes", location="Kukës", site_area_m2=200_000.5, shelter_capacity=4
    )
    service.establish_camp(  # with site details: Camp.SiteDescribed too
        camp="kukes-2",
        plan="kukes",
        location="Kukës",
        site_area_m2=900.0,
        shelter_capacity=40,
        name="Kukës stadium",
        kind="transit_centre",
        adm1="AL09",
        adm2="AL0902",
        lat=42.08,
        lon=20.42,
    )
    service.assign_sector(camp="kukes-1", sector="WSH", partner="oxfam")
    service.reassign_sector(camp="kukes-1", sector="WSH", partner="care", co_leads=["oxfam"])
    service.release_sector(camp="kukes-1", sector="WSH")
    service.register_arrivals(camp="kukes-1", people=3_000, under5=450, unaccompanied_minors=20)
    service.reserve_supplies(stockpile="durres", camp="kukes-1", item="water", quantity=40_000)
    service.release_reservation(stockpile="durres", camp="kukes-1", item="water", quantity=9)
    clock.advance(hours=12)
    service.dispatch_supplies(stockpile="durres", camp="kukes-1", item="water", quantity=45_000)
    service.distribute_supplies(camp="kukes-1", item="water", quantity=15_000)
    service.write_off_supplies(stockpile="durres", item="blanket", quantity=10, reason="damaged")
    service.withdraw_stockpile(plan="kukes", stockpile="durres")
    service.build_facilities(camp="kukes-1", facility="latrine", count=60)
    service.register_departures(camp="kukes-1", people=200, under5=10)
    tomorrow = iso_utc(clock.now + timedelta(days=1))
    for truck, item, quantity in (
        ("t1", "water", 1_000),
        ("t2", "water", 500),
        ("t3", "blanket", 9),
    ):
        service.send_shipment(
            shipment=truck,
            stockpile="durres",
            camp="kukes-1",
            item=item,
            quantity=quantity,
            eta=tomorrow,
        )
    service.deliver_shipment(shipment="t1", quantity=900)
    service.lose_shipment(shipment="t2", reason="stolen")
    service.return_shipment(shipment="t3")
    service.offer_supplies(
        offer="o1", partner="acme", item="blanket", quantity=300, plan="kukes", expires=tomorrow
    )
    service.accept_offer(offer="o1", camp="kukes-1", quantity=100)
    service.deliver_offer(offer="o1", camp="kukes-1", quantity=60)
    service.decline_offer(offer="o1", reason="not_needed")
    service.withdraw_offer(offer="o1", reason="trucks requisitioned")
    service.leave_plan(plan="kukes", partner="acme")
    service.withdraw_partner(partner="unhcr", reason="mandate ended")
    service.close_camp(camp="kukes-1")
    service.stand_down_plan(plan="kukes", reason="crisis over")
    service.close_plan(plan="kukes", reason="done")


class LibraryPathService(PlannerService):
    """A PlannerService storing through the library's own Mapper, EventStore and recorder
    (with the planner's transcoder)."""

    def construct_mapper(self) -> Mapper[Any]:
        """The library's Mapper with the planner's transcoder."""
        return Application.construct_mapper(self)

    def construct_recorder(self) -> ApplicationRecorder:
        """The library's recorder for the configured store."""
        return Application.construct_recorder(self)

    def construct_event_store(self) -> EventStore[Any]:
        """The library's EventStore."""
        return Application.construct_event_store(self)


def library_decorators() -> Iterator[tuple[type, str, CommandMethodDecorator]]:
    """Each `@event` method of the planner's aggregates, as the library's decorator."""
    for decorator in decorated_func_callers:
        func = decorator.decorated_func
        owner, _, name = func.__qualname__.partition(".")
        for aggregate in AGGREGATES:
            if aggregate.__module__ == func.__module__ and aggregate.__name__ == owner:
                yield aggregate, name, decorator


@pytest.fixture
def library_triggers(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call to make the aggregates trigger events through the library's own decorators."""

    def use_library() -> None:
        for aggregate, name, decorator in library_decorators():
            monkeypatch.setattr(aggregate, name, decorator)
        monkeypatch.delattr(PlannerAggregate, "collect_events")
        monkeypatch.delattr(PlannerAggregate, "_create")

    return use_library


def stored(service: PlannerService) -> list[tuple[Any, ...]]:
    """Every record of the store with its notification id."""
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
        for n in service.recorder.select_notifications(start=1, limit=10_000)
    ]


def run(cls: type[PlannerService], url: str, clock: SimulatedClock, *, batch: bool) -> Any:
    service = cls(
        persistence_env(url) | {"CREATE_TABLE": "y"}, clock_fn=clock, storage=PLANNER_STORAGE
    )
    try:
        if batch:
            with service.batch():
                every_event(service, clock)
        else:
            every_event(service, clock)
        return stored(service)
    finally:
        service.close()


def test_every_event_method_has_a_fast_trigger() -> None:
    methods = list(library_decorators())
    assert len(methods) == len(event_types()) - len(AGGREGATES)  # all but the created events
    for aggregate, name, _ in methods:
        assert not isinstance(vars(aggregate)[name], CommandMethodDecorator), name


@pytest.mark.parametrize("batch", [False, True], ids=["one by one", "batched"])
def test_fast_paths_store_the_library_records(
    make_store_url: Callable[[], str],
    make_clock: Callable[[], SimulatedClock],
    library_triggers: Callable[[], None],
    batch: bool,
) -> None:
    fast = run(PlannerService, make_store_url(), make_clock(), batch=batch)
    library_triggers()
    library = run(LibraryPathService, make_store_url(), make_clock(), batch=batch)
    assert {row[3] for row in fast} == event_types()
    assert [row[0] for row in fast] == list(range(1, len(fast) + 1))
    assert fast == library


def test_created_events_are_built_as_the_library_builds_them(
    service: PlannerService, clock: SimulatedClock
) -> None:
    every_event(service, clock)
    for aggregate_class in AGGREGATES:
        for created in (
            value
            for value in vars(aggregate_class).values()
            if isinstance(value, type) and issubclass(value, CanInitAggregate)
        ):
            assert created_event_shape(aggregate_class, created) is not None, created
    aggregate = service.load("stockpile", "durres", Stockpile)
    kwargs = {"slug": "other", "partner_id": aggregate.partner_id, "location": "B"}
    new_id = service.id_of("stockpile", "other")
    with using_clock(clock):
        fast = Stockpile._create(Stockpile.Opened, id=new_id, **kwargs)
        library = BaseAggregate._create.__func__(  # type: ignore[attr-defined]
            Stockpile, Stockpile.Opened, id=new_id, **kwargs
        )
    assert list(vars(fast.pending_events[0]).items()) == list(
        vars(library.pending_events[0]).items()
    )
    assert fast.pending_events[0] == library.pending_events[0]
    assert vars(fast) == vars(library)


def test_a_fast_trigger_takes_its_arguments_in_any_order_or_position(
    service: PlannerService, clock: SimulatedClock
) -> None:
    service.register_partner(partner="p", name="P", kind="ngo")
    service.draft_plan(plan="x", title="X", crisis="C", planning_figure=10)
    service.establish_camp(camp="c", plan="x", location="L", site_area_m2=10, shelter_capacity=1)
    camp = service.load("camp", "c", Camp)
    camp._build_facilities("latrine", 2)
    camp._build_facilities(facility="latrine", count=3)
    camp._build_facilities(count=4, facility="latrine")
    events = camp.collect_events()
    assert [type(event) for event in events] == [Camp.FacilitiesBuilt] * 3
    assert [list(vars(event)) for event in events] == [
        ["originator_id", "originator_version", "timestamp", "facility", "count"]
    ] * 3
    built = [event for event in events if isinstance(event, Camp.FacilitiesBuilt)]
    assert [(event.originator_version, event.count) for event in built] == [(2, 2), (3, 3), (4, 4)]
    assert camp.facilities["latrine"] == 9
    assert camp.version == 4


@pytest.mark.parametrize("largest_rowid_taken", [False, True], ids=["usual", "largest taken"])
def test_sqlite_notification_ids_are_the_rowids_of_the_rows(
    tmp_path: Path, clock: SimulatedClock, largest_rowid_taken: bool
) -> None:
    source = new_service({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock_fn=clock)
    events: list[Any] = []
    source.observers.append(events.extend)
    every_event(source, clock)
    db = tmp_path / "planner.sqlite"
    service = new_service(persistence_env(str(db)) | {"CREATE_TABLE": "y"}, clock_fn=clock)
    try:
        if largest_rowid_taken:  # SQLite then picks new rowids at random
            with sqlite3.connect(db) as conn:
                conn.execute(
                    "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
                    "state) VALUES (9223372036854775807, 'x', 1, 't', x'')"
                )
        stored_events = [service.mapper.to_stored_event(event) for event in events]
        ids = service.recorder.insert_events(stored_events)
        assert ids is not None and len(ids) == len(stored_events) > 30
        with sqlite3.connect(db) as conn:
            rows = [
                conn.execute(
                    "SELECT originator_id, originator_version FROM stored_events WHERE rowid=?",
                    (notification_id,),
                ).fetchone()
                for notification_id in ids
            ]
        assert rows == [
            (UUID(str(s.originator_id)).hex, s.originator_version) for s in stored_events
        ]
        assert (list(ids) == list(range(ids[0], ids[0] + len(ids)))) is not largest_rowid_taken
    finally:
        service.close()
        source.close()


def test_recordings_are_the_library_recordings(clock: SimulatedClock) -> None:
    heard: list[Any] = []

    class Listening(PlannerService):
        def _notify(self, recordings: list[Any]) -> None:
            heard.extend(recordings)

    source = new_service({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock_fn=clock)
    events: list[Any] = []
    source.observers.append(events.extend)
    every_event(source, clock)
    memory = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    planner, library = new_service(memory), LibraryPathService(memory, storage=PLANNER_STORAGE)
    assert planner.events.put(events) == library.events.put(events)
    listening = Listening(memory, clock_fn=clock, storage=PLANNER_STORAGE)
    with listening.batch():
        every_event(listening, clock)
    assert [recording.notification.id for recording in heard] == list(range(1, len(events) + 1))
    assert [type(recording.domain_event) for recording in heard] == [type(e) for e in events]
    for service in (source, planner, library, listening):
        service.close()


def test_a_batch_with_a_conflict_in_the_middle_stores_nothing(
    store_url: str, make_clock: Callable[[], SimulatedClock]
) -> None:
    env = persistence_env(store_url) | {"CREATE_TABLE": "y"}
    first, second = new_service(env, clock_fn=make_clock()), new_service(env)
    try:
        first.register_partner(partner="wfp", name="WFP", kind="un_agency")
        first.open_stockpile(stockpile="a", partner="wfp", location="A")
        first.open_stockpile(stockpile="b", partner="wfp", location="B")
        before = stored(first)
        with pytest.raises(ConcurrencyError), second.batch():
            second.receive_supplies(stockpile="a", item="water", quantity=1)
            second.receive_supplies(stockpile="b", item="water", quantity=2)  # loaded at v1
            first.receive_supplies(stockpile="b", item="water", quantity=3)  # saved first
            second.receive_supplies(stockpile="a", item="water", quantity=4)
        assert stored(first) == [*before, stored(first)[-1]]
        assert len(stored(first)) == len(before) + 1
        assert second.repository.get(second.id_of("stockpile", "a")).on_hand["water"] == 0
    finally:
        first.close()
        second.close()


@pytest.fixture
def copy_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every batch goes through COPY on PostgreSQL; the sizes of the copied batches."""
    copied: list[int] = []
    real = PlannerPostgresRecorder._copy_events

    def counting(self: PlannerPostgresRecorder, stored_events: Any, *after_insert: Any) -> Any:
        copied.append(len(stored_events))
        return real(self, stored_events, *after_insert)

    monkeypatch.setattr(PlannerPostgresRecorder, "copy_from", 1)
    monkeypatch.setattr(PlannerPostgresRecorder, "_copy_events", counting)
    return copied


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
@pytest.mark.parametrize("batch", [False, True], ids=["one by one", "batched"])
def test_postgres_copy_stores_the_library_records(
    make_store_url: Callable[[], str],
    make_clock: Callable[[], SimulatedClock],
    library_triggers: Callable[[], None],
    copy_counter: list[int],
    batch: bool,
) -> None:
    fast = run(PlannerService, make_store_url(), make_clock(), batch=batch)
    assert sum(copy_counter) == len(fast) and (max(copy_counter) > 30) is batch
    library_triggers()
    library = run(LibraryPathService, make_store_url(), make_clock(), batch=batch)
    assert [row[0] for row in fast] == list(range(1, len(fast) + 1))
    assert fast == library


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_a_copied_batch_with_a_conflict_stores_nothing(
    store_url: str, make_clock: Callable[[], SimulatedClock], copy_counter: list[int]
) -> None:
    test_a_batch_with_a_conflict_in_the_middle_stores_nothing(store_url, make_clock)
    assert copy_counter


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_the_planner_stores_through_copy_on_postgres(store_url: str) -> None:
    service = new_service(persistence_env(store_url) | {"CREATE_TABLE": "y"})
    try:
        assert type(service.recorder) is PlannerPostgresRecorder
    finally:
        service.close()
