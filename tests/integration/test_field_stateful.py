"""Headquarters, two field instances and a flaky link, driven by hypothesis (in-process).

Headquarters runs commands, each field takes commands offline, syncs run while the link is up,
down, or loses answers. At the end (the link healed, every field synced twice): every field
command was applied exactly once at headquarters or is a conflict there; headquarters' views
equal a fold of its own log from the start; each field's views equal headquarters'.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from domain.errors import PlannerError
from domain.field_command import FieldCommand
from domain.rights import Actor
from planner.field.client import SyncError
from planner.field.store import FieldStore
from planner.field.sync import FieldSync
from planner.wiring import Planner, open_planner
from tests.conftest import (
    SimulatedClock,
    execute_autocommit,
    postgres_schema_url,
    require_postgres,
)
from tests.field_helpers import FlakyLink, views_of

pytestmark = pytest.mark.integration

ADMIN = Actor("admin", None)
RECEIVED = f"{FieldCommand.Received.__module__}:{FieldCommand.Received.__qualname__}"
CAMP_COMMANDS = st.one_of(
    st.builds(lambda n: ("register_arrivals", {"camp": "c", "people": n}), st.integers(1, 10)),
    st.builds(lambda n: ("register_departures", {"camp": "c", "people": n}), st.integers(5, 20)),
    st.builds(
        lambda n: ("build_facilities", {"camp": "c", "facility": "latrine", "count": n}),
        st.integers(1, 3),
    ),
    st.builds(
        lambda n: ("distribute_supplies", {"camp": "c", "item": "water", "quantity": n}),
        st.integers(1, 50),
    ),
)


def seed_hq(hq: Planner) -> None:
    """A partner, a plan and camp `c` with 20 residents at headquarters."""
    for command, args in (
        ("register_partner", {"partner": "pwj", "name": "PWJ", "kind": "ngo"}),
        ("draft_plan", {"plan": "p", "title": "P", "crisis": "Flood", "planning_figure": 100}),
        (
            "establish_camp",
            {
                "camp": "c",
                "plan": "p",
                "location": "L",
                "site_area_m2": 9000.0,
                "shelter_capacity": 200,
            },
        ),
        ("register_arrivals", {"camp": "c", "people": 20}),
    ):
        hq.service.execute(command, args, actor=ADMIN)


def make_field(path: Path, link: FlakyLink, clock: SimulatedClock) -> Planner:
    """A field instance of headquarters' whole workspace at `path`, synced once."""
    plain = open_planner(str(path), clock_fn=clock)
    FieldStore.of(plain.service).create(str(uuid.uuid4()), "in-process", "-", [])
    plain.close()
    field = open_planner(str(path), clock_fn=clock)
    FieldSync(field, link).sync()  # type: ignore[arg-type]
    return field


class FieldSyncMachine(RuleBasedStateMachine):
    """HQ commands, field commands, syncs and link failures, interleaved."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="field-stateful-"))
        self.clock = SimulatedClock()
        self.hq_url = self.new_hq_url()
        self.hq = open_planner(self.hq_url, clock_fn=self.clock)
        seed_hq(self.hq)
        self.links = [FlakyLink(self.hq, ADMIN) for _ in range(2)]
        self.fields = [
            make_field(self.dir / f"field-{n}.sqlite", link, self.clock)
            for n, link in enumerate(self.links)
        ]
        self.accepted: list[set[str]] = [set(), set()]

    def new_hq_url(self) -> str:
        """Headquarters' store: a SQLite file."""
        return str(self.dir / "hq.sqlite")

    @rule(command=CAMP_COMMANDS)
    def hq_command(self, command: tuple[str, dict[str, Any]]) -> None:
        """Headquarters runs a command (refused ones store nothing)."""
        self.clock.advance(minutes=1)
        with contextlib.suppress(PlannerError):
            self.hq.service.execute(*command, actor=ADMIN)

    @rule(n=st.integers(0, 2), people=st.integers(5, 20))
    def departures(self, n: int, people: int) -> None:
        """Departures at headquarters (n = 2) or in a field: where conflicts come from."""
        self.clock.advance(minutes=1)
        planner = self.hq if n == 2 else self.fields[n]
        with contextlib.suppress(PlannerError):
            planner.service.execute(
                "register_departures", {"camp": "c", "people": people}, actor=ADMIN
            )

    @rule(n=st.integers(0, 1), command=CAMP_COMMANDS)
    def field_command(self, n: int, command: tuple[str, dict[str, Any]]) -> None:
        """A field instance takes a command offline (if its own state accepts it)."""
        self.clock.advance(minutes=1)
        with contextlib.suppress(PlannerError):
            self.fields[n].service.execute(*command, actor=ADMIN)

    @rule(apply=st.booleans())
    def resolve(self, apply: bool) -> None:
        """A coordinator resolves the oldest open conflict: applies it halved, or discards it."""
        open_now = self.hq.sync.conflicts()
        if not open_now:
            return
        conflict = open_now[0]
        args = dict(conflict["args"])
        if "people" in args:
            args["people"] = max(1, args["people"] // 2)
        try:
            self.hq.sync.resolve(
                ADMIN, conflict["id"], "apply" if apply else "discard", None, args, "stale"
            )
        except PlannerError:
            self.hq.sync.resolve(ADMIN, conflict["id"], "discard", None, None, "no longer fits")

    @rule(n=st.integers(0, 1), mode=st.sampled_from(["ok", "ok", "down", "lost"]))
    def sync(self, n: int, mode: str) -> None:
        """A field syncs over a link that may be down or lose answers."""
        self.links[n].mode = mode
        try:
            FieldSync(self.fields[n], self.links[n]).sync()  # type: ignore[arg-type]
        except SyncError:
            assert mode != "ok"

    def teardown(self) -> None:
        """Heal the links, sync everything, check the three promises, close the stores."""
        try:
            for _ in range(2):
                for field, link in zip(self.fields, self.links, strict=True):
                    link.mode = "ok"
                    FieldSync(field, link).sync()  # type: ignore[arg-type]
            conflicts = sum(FieldStore.of(f.service).counts()["conflict"] for f in self.fields)
            event(f"conflicts: {min(conflicts, 3)}")
            self.check_once_each()
            self.check_hq_replays()
            hq_views = views_of(self.hq)
            for field in self.fields:
                assert views_of(field) == hq_views
        finally:
            for planner in (*self.fields, self.hq):
                planner.close()
            self.drop_hq()

    def drop_hq(self) -> None:
        """Remove headquarters' store (the folder goes with the test's temporary files)."""

    def check_once_each(self) -> None:
        """Every field command is recorded once at headquarters (its ledger; a conflict also
        once in the log), as its outbox says."""
        records = self.hq.service.recorder.select_notifications(
            start=1, limit=1_000_000, topics=(RECEIVED,)
        )
        conflicts = Counter(orjson.loads(r.state)["slug"] for r in records)
        assert all(count == 1 for count in conflicts.values())
        entries = [e for f in self.fields for e in FieldStore.of(f.service).entries()]
        ledger = self.hq.service.field_records([e.command_id for e in entries])
        assert {i for i, r in ledger.items() if r.outcome == "conflict"} == set(conflicts)
        for entry in entries:
            assert entry.status in ("applied", "conflict", "resolved"), entry
            expected = "conflict" if entry.status == "resolved" else entry.status
            assert ledger[entry.command_id].outcome == expected

    def check_hq_replays(self) -> None:
        """Headquarters' views equal a fold of its log from the first event."""
        before = views_of(self.hq)
        fresh = open_planner(self.hq_url, clock_fn=self.clock)
        try:
            fresh.rebuild()
            assert views_of(fresh) == before
        finally:
            fresh.close()


FieldSyncMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_field_sync_machine = FieldSyncMachine.TestCase


class FieldSyncMachinePostgres(FieldSyncMachine):
    """The same, headquarters on PostgreSQL (a schema of its own per example)."""

    def new_hq_url(self) -> str:
        """A fresh schema in the tests' PostgreSQL database."""
        self.schema = f"test_field_sm_{uuid.uuid4().hex[:12]}"
        execute_autocommit(f'CREATE SCHEMA "{self.schema}"')
        return postgres_schema_url(self.schema)

    def drop_hq(self) -> None:
        """Drop the schema."""
        execute_autocommit(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def test_field_sync_machine_with_headquarters_on_postgres() -> None:
    """The state machine with headquarters on PostgreSQL (fewer runs: each is slower)."""
    require_postgres()
    run_state_machine_as_test(
        FieldSyncMachinePostgres,
        settings=settings(
            max_examples=10,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
