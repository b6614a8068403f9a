"""Field commands at headquarters (domain/service_field.py): received once each, re-validated
with the pushing token's rights, refused ones kept as conflicts, resolved once."""

from __future__ import annotations

import pytest

from domain.camp import Camp
from domain.errors import DomainRefusal, StatusError
from domain.rights import Actor, RightsError
from domain.service import PlannerService
from domain.service_field import FieldCall

ADMIN = Actor("admin", None)
PARTNER = Actor("partner", "pwj")
CAMP = {
    "camp": "c",
    "plan": "p",
    "location": "L",
    "site_area_m2": 9000.0,
    "shelter_capacity": 200,
}


@pytest.fixture
def hq(service: PlannerService) -> PlannerService:
    """Headquarters with partner pwj, plan p and camp c of 10 people."""
    for command, args in (
        ("register_partner", {"partner": "pwj", "name": "PWJ", "kind": "ngo"}),
        ("draft_plan", {"plan": "p", "title": "P", "crisis": "Flood", "planning_figure": 100}),
        ("establish_camp", CAMP),
        ("register_arrivals", {"camp": "c", "people": 10}),
    ):
        service.execute(command, args, actor=ADMIN)
    return service


def call(command_id: str, command: str, **args: object) -> FieldCall:
    """A field call taken at position 4."""
    return FieldCall(command_id, command, args, 4, "1999-04-01T00:00:00+00:00")


def test_applied_in_order_refused_ones_become_conflicts(hq: PlannerService) -> None:
    outcomes = hq.receive_field_commands(
        "f",
        ADMIN,
        [
            call("a", "register_departures", camp="c", people=6),
            call("b", "register_departures", camp="c", people=6),  # only 4 left
            call("c", "register_departures", camp="c", people=4),
        ],
    )
    assert [o.outcome for o in outcomes] == ["applied", "conflict", "applied"]
    assert outcomes[1].rule == "departures never exceed the population"
    assert outcomes[1].field == "people"
    assert hq.load("camp", "c", Camp).population["people"] == 0
    record = hq.field_command("b")
    assert (record.open, record.hq_position, record.field_id) == (True, 4, "f")
    ledger = hq.field_records(["a", "b", "c"])
    assert [ledger[i].outcome for i in "abc"] == ["applied", "conflict", "applied"]
    assert ledger["b"].rule == "departures never exceed the population"


def test_the_same_id_twice_in_one_push_is_applied_once(hq: PlannerService) -> None:
    twice = call("a", "register_arrivals", camp="c", people=5)
    first, again = hq.receive_field_commands("f", ADMIN, [twice, twice])
    assert (first.outcome, first.replayed, again.outcome, again.replayed) == (
        "applied",
        False,
        "applied",
        True,
    )
    assert hq.load("camp", "c", Camp).population["people"] == 15


def test_each_command_id_is_applied_at_most_once(hq: PlannerService) -> None:
    calls = [call("a", "register_arrivals", camp="c", people=5)]
    first = hq.receive_field_commands("f", ADMIN, calls)
    again = hq.receive_field_commands("f", ADMIN, [*calls, call("b", "close_camp", camp="c")])
    assert again[0].replayed and again[0].outcome == first[0].outcome == "applied"
    assert again[1].outcome == "applied" and not again[1].replayed
    assert hq.field_records(["a", "b", "z"]).keys() == {"a", "b"}
    assert hq.field_records(["a"])["a"].outcome == "applied"
    with pytest.raises(StatusError):  # an applied command has no conflict to resolve
        hq.resolve_field_conflict("a", ADMIN, action="discard", reason="late")
    other = hq.receive_field_commands("g", ADMIN, calls)
    assert other[0].outcome == "refused" and other[0].rule == "command ids are unique"


def test_a_token_pushes_only_what_it_may_do(hq: PlannerService) -> None:
    [outcome] = hq.receive_field_commands("f", PARTNER, [call("a", "close_camp", camp="c")])
    assert outcome.outcome == "conflict" and outcome.rule == "rights"


def test_bad_arguments_become_conflicts_not_errors(hq: PlannerService) -> None:
    [outcome] = hq.receive_field_commands(
        "f", ADMIN, [call("a", "register_arrivals", camp="c", people=-1)]
    )
    assert (outcome.outcome, outcome.rule, outcome.field) == ("conflict", "arguments", "people")
    [unknown] = hq.receive_field_commands("f", ADMIN, [call("b", "teleport", camp="c")])
    assert unknown.outcome == "conflict"


def test_a_conflict_is_resolved_once(hq: PlannerService) -> None:
    hq.receive_field_commands("f", ADMIN, [call("a", "register_departures", camp="c", people=50)])
    with pytest.raises(RightsError):
        hq.resolve_field_conflict("a", PARTNER, action="discard", reason="stale")
    with pytest.raises(DomainRefusal):
        hq.resolve_field_conflict("a", ADMIN, action="discard", reason=" ")
    position = hq.resolve_field_conflict(
        "a", ADMIN, action="apply", args={"camp": "c", "people": 5}
    )
    assert position is not None
    assert hq.field_command("a").resolution == "applied"
    with pytest.raises(StatusError):
        hq.resolve_field_conflict("a", ADMIN, action="discard", reason="twice")


def test_a_refused_adjustment_stores_nothing(hq: PlannerService) -> None:
    hq.receive_field_commands("f", ADMIN, [call("a", "register_departures", camp="c", people=50)])
    with pytest.raises(DomainRefusal):
        hq.resolve_field_conflict("a", ADMIN, action="apply", args={"camp": "c", "people": 40})
    assert hq.field_command("a").open
