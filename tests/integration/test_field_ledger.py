"""Headquarters' field-command ledger (adapters/field_ledger.py) on SQLite and PostgreSQL: a row
per command received, in the events' transaction; a command id recorded once; a store whose
field commands were recorded as events before the ledger gets their rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from domain.camp import Camp
from domain.field_command import FieldCommand, FieldRecord
from domain.rights import Actor
from domain.service import PlannerService
from domain.service_field import FIELD_COMMAND, FieldCall
from tests.conftest import execute_autocommit, postgres_schema_url, require_postgres

pytestmark = pytest.mark.integration

ADMIN = Actor("admin", None)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A headquarters store: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield str(tmp_path / "hq.sqlite")
        return
    require_postgres()
    schema = f"test_ledger_{uuid.uuid4().hex[:12]}"
    execute_autocommit(f'CREATE SCHEMA "{schema}"')
    yield postgres_schema_url(schema)
    execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def seeded(factory: Callable[..., PlannerService], url: str) -> PlannerService:
    """Headquarters at `url` with plan p and camp c of 10 people."""
    hq = factory(url)
    for command, args in (
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
        ("register_arrivals", {"camp": "c", "people": 10}),
    ):
        hq.execute(command, args, actor=ADMIN)
    return hq


def arrivals(command_id: str, people: int = 1) -> FieldCall:
    """A field's arrivals in camp c."""
    return FieldCall(command_id, "register_arrivals", {"camp": "c", "people": people}, 3, "t")


@pytest.mark.parametrize("size", [1, 40])  # the library's INSERT, and COPY
def test_a_recorded_id_fails_the_whole_transaction(
    service_factory: Callable[..., PlannerService], url: str, size: int
) -> None:
    hq = seeded(service_factory, url)
    calls = [arrivals(f"a{n}") for n in range(size)]
    assert {o.outcome for o in hq.receive_field_commands("f", ADMIN, calls)} == {"applied"}
    ledger = hq.field_ledger
    assert ledger.known(["a0", "zz"]) == {"a0": FieldRecord("a0", "f", "applied", 3, "t")}
    with pytest.raises(IntegrityError):
        ledger.write(
            None, [FieldRecord("new", "f", "applied", 3, "t"), *ledger.known(["a0"]).values()]
        )
    assert ledger.known(["new"]) == {}
    again = hq.receive_field_commands("f", ADMIN, [*calls, arrivals("b", 2)])
    assert [o.replayed for o in again] == [True] * size + [False]
    fresh = service_factory(url)  # as stored: each command applied once
    assert fresh.load("camp", "c", Camp).population["people"] == 10 + size + 2
    assert hq.field_records(["b"])["b"].outcome == "applied"


def test_records_of_an_older_store_come_from_its_events(
    service_factory: Callable[..., PlannerService], url: str
) -> None:
    hq = seeded(service_factory, url)
    older = FieldCommand.received(
        id=hq.id_of(FIELD_COMMAND, "old"),
        slug="old",
        field_id="f",
        role="admin",
        partner=None,
        command="register_arrivals",
        args={"camp": "c", "people": 1},
        hq_position=2,
        taken_at="t",
        refusal=None,
    )
    hq._store_each([older])  # as headquarters stored every field command before the ledger
    fresh = service_factory(url)
    [outcome] = fresh.receive_field_commands("f", ADMIN, [arrivals("old")])
    assert (outcome.outcome, outcome.replayed) == ("applied", True)
    [other] = fresh.receive_field_commands("g", ADMIN, [arrivals("old")])
    assert other.outcome == "refused"
