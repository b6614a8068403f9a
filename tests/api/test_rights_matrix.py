"""Role × command × other organization, generated from the rights table; the revocation race.

Every command of `domain.rights.RIGHTS` must have a sample request here (a new command fails
`test_every_command_has_a_sample` until it gets one). Each sample acts on plan `p`'s world
(tests/api/conftest.py); tokens of an organization with no stake in it — a coordinator of
another plan, a partner of that organization, a viewer, an unregistered organization — are
refused (403) and nothing is stored, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import PATH_ARGS
from domain.rights import RIGHTS
from planner.wiring import Planner, open_planner
from tests.api.conftest import auth, build_world, last_position

SAMPLES: dict[str, dict[str, Any]] = {
    "register_partner": {"partner": "new", "name": "New", "kind": "ngo"},
    "withdraw_partner": {"partner": "amda"},
    "draft_plan": {"plan": "z", "title": "Z", "crisis": "Z", "planning_figure": 9},
    "join_plan": {"plan": "p", "partner": "other", "role": "implementer"},
    "leave_plan": {"plan": "p", "partner": "gov"},
    "pledge_funds": {"plan": "p", "partner": "amda", "amount": 5, "currency": "EUR"},
    "receive_funds": {"plan": "p", "partner": "amda", "amount": 5, "currency": "EUR"},
    "disburse_funds": {"plan": "p", "partner": "amda", "amount": 5, "currency": "EUR"},
    "split_pool": {"plan": "p", "currency": "EUR"},
    "activate_plan": {"plan": "p"},
    "stand_down_plan": {"plan": "p"},
    "close_plan": {"plan": "p"},
    "open_stockpile": {"stockpile": "s2", "partner": "amda", "location": "L"},
    "commit_stockpile": {"plan": "p", "stockpile": "depot-biz"},
    "withdraw_stockpile": {"plan": "p", "stockpile": "depot-amda"},
    "receive_supplies": {"stockpile": "depot-amda", "item": "soap", "quantity": 5},
    "reserve_supplies": {"stockpile": "depot-amda", "camp": "c", "item": "water", "quantity": 5},
    "release_reservation": {
        "stockpile": "depot-amda",
        "camp": "c",
        "item": "water",
        "quantity": 5,
    },
    "dispatch_supplies": {"stockpile": "depot-amda", "camp": "c", "item": "water", "quantity": 5},
    "write_off_supplies": {
        "stockpile": "depot-amda",
        "item": "water",
        "quantity": 5,
        "reason": "expired",
    },
    "establish_camp": {
        "camp": "e",
        "plan": "p",
        "location": "L",
        "site_area_m2": 100,
        "shelter_capacity": 1,
    },
    "assign_sector": {"camp": "c", "sector": "SHL", "partner": "amda"},
    "reassign_sector": {"camp": "c", "sector": "WSH", "partner": "pwj"},
    "release_sector": {"camp": "c", "sector": "HEA"},
    "register_arrivals": {"camp": "c", "people": 5},
    "register_departures": {"camp": "c", "people": 5},
    "distribute_supplies": {"camp": "c", "item": "water", "quantity": 5},
    "build_facilities": {"camp": "c", "facility": "latrine", "count": 1},
    "close_camp": {"camp": "c"},
    "send_shipment": {
        "shipment": "sh2",
        "stockpile": "depot-amda",
        "camp": "c",
        "item": "water",
        "quantity": 5,
    },
    "deliver_shipment": {"shipment": "sh1"},
    "lose_shipment": {"shipment": "sh1", "reason": "lost"},
    "return_shipment": {"shipment": "sh1"},
    "offer_supplies": {"offer": "of2", "partner": "biz", "item": "blanket", "quantity": 5},
    "accept_offer": {"offer": "of1", "camp": "c", "quantity": 5},
    "decline_offer": {"offer": "of1", "reason": "not_needed"},
    "deliver_offer": {"offer": "of1", "camp": "c", "quantity": 5},
    "withdraw_offer": {"offer": "of1"},
}
# Entities the samples name beyond plan p's world (tests/api/conftest.py).
EXTRA_WORLD: list[tuple[str, dict[str, Any]]] = [
    (
        "send_shipment",
        {"shipment": "sh1", "stockpile": "depot-amda", "camp": "c", "item": "water", "quantity": 9},
    ),
    (
        "offer_supplies",
        {"offer": "of1", "partner": "biz", "item": "blanket", "quantity": 50, "plan": "p"},
    ),
]
# Organizations with no stake in plan p's world, through every non-admin role.
OUTSIDERS = ("coord-other", "other", "viewer", "ghost")


@pytest.fixture(scope="module")
def paths(shared_app: Any) -> dict[str, str]:
    """command -> path template, from the OpenAPI document."""
    client = TestClient(shared_app)
    return {
        item["post"]["operationId"]: template
        for template, item in client.get("/openapi.json").json()["paths"].items()
        if "post" in item
    }


def request_of(paths: dict[str, str], command: str) -> tuple[str, dict[str, Any]]:
    """The path and body of a command's sample request."""
    args = dict(SAMPLES[command])
    path = paths[command]
    for name in PATH_ARGS[command]:
        path = path.replace("{" + name + "}", str(args.pop(name)))
    assert not re.search(r"\{\w+\}", path), path
    return path, args


def test_every_command_has_a_sample() -> None:
    assert set(SAMPLES) == set(RIGHTS)


@pytest.fixture
def stored(store_url: str) -> Iterator[Planner]:
    """Plan p's world on a real store."""
    planner = open_planner(store_url)
    build_world(planner)
    for command, args in EXTRA_WORLD:
        planner.service.execute(command, args)
    planner.catch_up()
    yield planner
    planner.close()


@pytest.mark.parametrize("command", list(RIGHTS))
def test_other_organizations_are_refused_every_command_and_nothing_is_stored(
    stored: Planner, make_client: Callable[..., TestClient], paths: dict[str, str], command: str
) -> None:
    client = make_client(stored)
    path, body = request_of(paths, command)
    for token in OUTSIDERS:
        if command == "draft_plan" and token == "coord-other":
            continue  # anyone with a coordinator token drafts plans of its own
        before = last_position(stored)
        response = client.post(path, json=body, headers=auth(token))
        assert response.status_code == 403, (token, response.text)
        assert response.json()["type"].endswith(":forbidden")
        assert last_position(stored) == before
    response = client.post(path, json=body, headers=auth("admin"))
    assert response.status_code != 403, response.text


# -- the revocation race --------------------------------------------------------------------------

ROUNDS = 5
IN_FLIGHT = 16


def test_no_command_checked_before_a_revocation_is_stored_after_it(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    """A coordinator is removed from the plan while its commands are in flight: in 5 rounds,
    not one of its commands is stored after the removal."""
    client = make_client(stored)
    late = 0
    for _ in range(ROUNDS):
        joined = client.post(
            "/plans/p/join", json={"partner": "other", "role": "coordinator"}, headers=auth("admin")
        )
        assert joined.status_code == 200, joined.text

        def work() -> Any:
            return client.post(
                "/camps/c/facilities",
                json={"facility": "water_tap", "count": 1},
                headers=auth("coord-other"),
            )

        def revoke() -> Any:
            return client.post("/plans/p/leave", json={"partner": "other"}, headers=auth("admin"))

        calls = [work] * (IN_FLIGHT // 2) + [revoke] + [work] * (IN_FLIGHT // 2)
        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(lambda call: call(), calls))
        left = responses[IN_FLIGHT // 2]
        assert left.status_code == 200, left.text
        revoked_at = left.json()["position"]
        for response in responses:
            assert response.status_code in (200, 403), response.text
        after = stored.service.recorder.select_notifications(start=revoked_at + 1, limit=1000)
        late += sum(1 for record in after if record.topic.endswith("FacilitiesBuilt"))
        stored_work = [r for r in responses if r is not left and r.status_code == 200]
        assert all(r.json()["position"] < revoked_at for r in stored_work)
    assert late == 0
