"""Hostile field pushes: a whole number no store can encode, anywhere in a command's free-form
arguments, is a 422 naming where it is, stores nothing, and leaves headquarters taking pushes
(found by schemathesis: it was a 500 from the event encoder)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from planner.wiring import Planner
from tests.api.conftest import auth, last_position

HUGE = 10**30


def push(args: dict[str, Any], command_id: str = "c-1") -> dict[str, Any]:
    """One field command of arrivals at camp c with `args`."""
    command = {"id": command_id, "command": "register_arrivals", "args": {"camp": "c", **args}}
    return {"field_id": "f-1", "commands": [command]}


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ({"people": HUGE}, "args.people"),
        ({"people": -HUGE}, "args.people"),
        ({"extra": {"deep": [1, {"deeper": HUGE}]}}, "args.extra.deep[1].deeper"),
    ],
)
def test_a_whole_number_beyond_the_bound_is_refused_and_nothing_stored(
    stored: Planner, make_client: Callable[..., TestClient], args: dict[str, Any], where: str
) -> None:
    client = make_client(stored)
    before = last_position(stored)
    answer = client.post("/sync/commands", json=push(args), headers=auth("admin"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == "commands.0.args"
    assert where in answer.json()["detail"]
    assert last_position(stored) == before

    fine = client.post("/sync/commands", json=push({"people": 3}), headers=auth("admin"))
    assert fine.status_code == 200, fine.text
    assert last_position(stored) > before


def test_a_resolution_with_such_a_number_is_refused(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(stored)
    before = last_position(stored)
    answer = client.post(
        "/conflicts/some-conflict/resolve",
        json={"action": "apply", "args": {"camp": "c", "people": HUGE}},
        headers=auth("admin"),
    )
    assert answer.status_code == 422, answer.text
    assert "args.people" in answer.json()["detail"]
    assert last_position(stored) == before
