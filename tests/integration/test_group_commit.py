"""Group commit: commands run together are each atomic, each answered, stored in one transaction.

On SQLite and PostgreSQL: a refused command in a group stores nothing and leaves the others
untouched (even if it changed an aggregate before it was refused); each caller gets its own
result and position; rights and If-Match are checked against the state the commands before
left; concurrent callers lose nothing and count nothing twice; a conflicting store reruns each
command on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from domain.camp import Camp
from domain.errors import (
    AlreadyRecorded,
    ConcurrencyError,
    NotFoundError,
    PlannerError,
    VersionMismatchError,
)
from domain.rights import Actor, RightsError
from domain.service import CommandResult, PlannerService
from tests.api.conftest import WORLD

pytestmark = pytest.mark.integration

ADMIN = Actor("admin", None)
BIZ = Actor("partner", "biz")  # leads CCM (camp management) in camp c


@pytest.fixture
def world(service_factory: Callable[..., PlannerService], store_url: str) -> PlannerService:
    service = service_factory(store_url)
    for command, args in WORLD:
        service.execute(command, args)
    return service


def arrivals(people: int, camp: str = "c", actor: Actor = ADMIN) -> Any:
    return ("register_arrivals", {"camp": camp, "people": people}, None, actor)


def population(service: PlannerService, camp: str = "c") -> int:
    return int(service.load("camp", camp, Camp).population["people"])


def stored_count(service: PlannerService) -> int:
    return int(service.recorder.max_notification_id() or 0)


def test_each_command_in_a_group_is_atomic_and_answered(world: PlannerService) -> None:
    before, events_before = population(world), stored_count(world)
    answers = world.execute_group(
        [
            arrivals(5),
            arrivals(2, camp="nowhere"),  # 404: unknown camp
            ("register_departures", {"camp": "c", "people": 10**6}, None, ADMIN),  # refused
            arrivals(3),
        ]
    )
    first, missing, refused, last = answers
    assert isinstance(first, CommandResult) and isinstance(last, CommandResult)
    assert isinstance(missing, NotFoundError)
    assert isinstance(refused, PlannerError)
    assert first.position is not None and last.position is not None
    assert events_before < first.position < last.position == stored_count(world)
    assert stored_count(world) == events_before + 2
    assert last.version == first.version + 1
    assert population(world) == before + 8


def test_an_entity_made_by_a_refused_command_does_not_exist_for_the_next(
    world: PlannerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = world.establish_camp

    def made_then_refused(**args: Any) -> CommandResult:
        real(**args)
        raise PlannerError("refused after the camp was made")

    monkeypatch.setattr(world, "establish_camp", made_then_refused)
    events_before = stored_count(world)
    new_camp = {
        "camp": "new",
        "plan": "p",
        "location": "Ridge",
        "site_area_m2": 1000.0,
        "shelter_capacity": 50,
    }
    answers = world.execute_group(
        [("establish_camp", new_camp, None, ADMIN), arrivals(3, camp="new"), arrivals(3)]
    )
    assert isinstance(answers[0], PlannerError)
    assert isinstance(answers[1], NotFoundError)
    assert isinstance(answers[2], CommandResult)
    assert not world.exists("camp", "new")
    assert stored_count(world) == events_before + 1


def test_a_change_refused_mid_group_is_invisible_to_later_commands(
    world: PlannerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = world.register_arrivals
    calls = {"n": 0}

    def second_call_refused(**args: Any) -> CommandResult:
        calls["n"] += 1
        result = real(**args)
        if calls["n"] == 2:
            raise PlannerError("refused after the change")
        return result

    monkeypatch.setattr(world, "register_arrivals", second_call_refused)
    before, events_before = population(world), stored_count(world)
    answers = world.execute_group([arrivals(10), arrivals(100), arrivals(1000)])
    monkeypatch.undo()
    assert [type(a) for a in answers] == [CommandResult, PlannerError, CommandResult]
    assert population(world) == before + 1010
    assert stored_count(world) == events_before + 2
    camp = world.load("camp", "c", Camp)
    assert camp.version == answers[2].version  # type: ignore[union-attr]


def test_rights_and_if_match_see_the_commands_before_them(world: PlannerService) -> None:
    camp_version = world.load("camp", "c", Camp).version
    answers = world.execute_group(
        [
            arrivals(1, actor=BIZ),  # biz leads camp management: allowed
            ("register_arrivals", {"camp": "c", "people": 1}, camp_version + 1, ADMIN),
            ("register_arrivals", {"camp": "c", "people": 1}, camp_version + 1, ADMIN),
            ("release_sector", {"camp": "c", "sector": "CCM"}, None, ADMIN),  # revokes biz
            arrivals(1, actor=BIZ),
        ]
    )
    assert isinstance(answers[0], CommandResult)
    assert isinstance(answers[1], CommandResult)
    assert isinstance(answers[2], VersionMismatchError)
    assert isinstance(answers[3], CommandResult)
    assert isinstance(answers[4], RightsError)


def test_concurrent_callers_lose_nothing_and_count_nothing_twice(world: PlannerService) -> None:
    before, events_before = population(world), stored_count(world)
    threads, per_thread = 8, 15
    positions: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(per_thread):
            try:
                result = world.execute("register_arrivals", {"camp": "c", "people": 1}, actor=ADMIN)
            except BaseException as error:  # reported below
                with lock:
                    errors.append(error)
            else:
                assert result.position is not None
                with lock:
                    positions.append(result.position)

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(positions) == len(set(positions)) == threads * per_thread
    assert population(world) == before + threads * per_thread
    assert stored_count(world) == events_before + threads * per_thread
    assert max(positions) == stored_count(world)


def test_a_conflicting_group_reruns_each_command_alone(
    world: PlannerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stored first: the group's transaction fails, each command runs again
    on its own and gets its own answer."""
    real = world._store_each
    failures = {"left": 1}

    def conflict_once(events: Any, *after_insert: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise ConcurrencyError("another writer changed the same entity first")
        return real(events, *after_insert)

    monkeypatch.setattr(world, "_store_each", conflict_once)
    before = population(world)
    answers = world.execute_group([arrivals(1), arrivals(2, camp="nowhere"), arrivals(4)])
    assert isinstance(answers[0], CommandResult) and isinstance(answers[2], CommandResult)
    assert isinstance(answers[1], NotFoundError)
    assert answers[0].position is not None and answers[2].position is not None
    assert answers[0].position < answers[2].position
    assert population(world) == before + 5


class FakeReceipt:
    """A receipt kept in a dict (as the API keeps its idempotency records in a table)."""

    def __init__(self, book: dict[str, Any], key: str) -> None:
        self.book, self.key = book, key
        self.recorded: Any = None
        self.cursors: list[Any] = []

    def earlier(self, group: Any) -> dict[str, Any]:
        return {r.key: self.book[r.key] for r in group if r.key in self.book}

    def write(self, cursor: Any, result: Any) -> None:
        self.cursors.append(cursor)
        self.recorded = self.book[self.key] = ("recorded", result.position)


def test_receipts_are_written_with_their_commands_events_once_per_key(
    world: PlannerService,
) -> None:
    """A receipt is written inside its command's transaction (given its cursor) with its
    position; the same key again in the group, or in a later group, does not run; a refused
    command writes none."""
    book: dict[str, Any] = {}
    one, again, refused = FakeReceipt(book, "k1"), FakeReceipt(book, "k1"), FakeReceipt(book, "k2")
    before = population(world)
    answers = world.execute_group(
        [
            (*arrivals(5), one),
            (*arrivals(5), again),
            ("register_departures", {"camp": "c", "people": 10**6}, None, ADMIN, refused),
        ]
    )
    first, repeated, failed = answers
    assert isinstance(first, CommandResult)
    assert isinstance(repeated, AlreadyRecorded) and repeated.recorded == (
        "recorded",
        first.position,
    )
    assert isinstance(failed, PlannerError) and "k2" not in book
    assert one.cursors and one.cursors[0] is not None  # SQL stores: in the events' transaction
    assert population(world) == before + 5
    later = world.execute_group([(*arrivals(5), FakeReceipt(book, "k1"))])
    assert isinstance(later[0], AlreadyRecorded) and population(world) == before + 5
