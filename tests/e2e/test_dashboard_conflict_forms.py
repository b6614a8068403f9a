"""Resolving field-command conflicts from the dashboard without a browser (TestClient over the
API tests' world): who sees the forms, what a post stores, and that forged posts are refused.

The world's camp c has 400 people; a field pushes departures of 500 and 5: the first is a
conflict at headquarters (departures never exceed the population), the second is applied.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from domain.rights import Actor
from planner.wiring import Planner, open_planner
from tests.api.conftest import TOKENS, build_world, registry
from tests.dashboard_helpers import csrf_in, sign_in

PAGE = "/dashboard/conflicts"
CONFLICT = "cmd-conflict-1"


@pytest.fixture
def world() -> Iterator[Planner]:
    planner = open_planner("memory:")
    build_world(planner)
    outcomes = planner.sync.receive(
        Actor("coordinator", "pwj"),
        "field-1",
        [
            {
                "id": CONFLICT,
                "command": "register_departures",
                "args": {"camp": "c", "people": 500},
            },
            {
                "id": "cmd-ok-1",
                "command": "register_departures",
                "args": {"camp": "c", "people": 5},
            },
        ],
    )
    assert [o["outcome"] for o in outcomes] == ["conflict", "applied"]
    yield planner
    planner.close()


@pytest.fixture
def client(world: Planner) -> Iterator[TestClient]:
    app = create_app(world, registry())
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


def signed_in(client: TestClient, name: str) -> str:
    """Sign in as one of the API tests' tokens; the conflicts page's HTML."""
    assert sign_in(client, TOKENS[name][0]).status_code == 303
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    return page.text


def resolution(world: Planner) -> dict[str, object] | None:
    (conflict,) = world.sync.conflicts(open_only=False)
    found: dict[str, object] | None = conflict["resolution"]
    return found


def population(world: Planner) -> int:
    world.catch_up()
    doc = world.queries.view("camp", str(world.service.id_of("camp", "c")))
    assert doc is not None
    return int(doc["population"])


def action(_html: str) -> str:
    return f"{PAGE}/{CONFLICT}/resolve"


@pytest.mark.parametrize("name", ["viewer", "biz"])
def test_only_a_resolver_sees_the_forms(client: TestClient, name: str) -> None:
    html = signed_in(client, name)
    assert f'<tr data-id="{CONFLICT}">' in html
    assert "data-resolve=" not in html and 'name="action"' not in html


def test_a_coordinator_discards_with_a_reason(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "coord")
    assert f'data-resolve="{CONFLICT}"' in html
    assert "&#34;people&#34;: 500" in html or '"people":500' in html.replace("&#34;", '"')
    form = {"csrf": csrf_in(html), "action": "discard", "reason": "they stayed after all"}
    answer = client.post(action(html), data=form)
    assert answer.status_code == 200, answer.text
    assert f"Discarded conflict {CONFLICT}." in answer.text
    assert "data-resolve=" not in answer.text  # resolved: no more forms
    found = resolution(world)
    assert found is not None and found["action"] == "discard"
    assert found["reason"] == "they stayed after all" and found["by"] == "coordinator:pwj"
    again = client.post(action(html), data=form)
    assert again.status_code == 409 and 'id="refusal"' in again.text


def test_a_discard_without_a_reason_is_refused(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "admin")
    answer = client.post(action(html), data={"csrf": csrf_in(html), "action": "discard"})
    assert answer.status_code == 409 and "reason" in answer.text
    assert resolution(world) is None


def test_an_admin_applies_adjusted_arguments(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "admin")
    before = population(world)
    form = {
        "csrf": csrf_in(html),
        "action": "apply",
        "command": "register_departures",
        "args": '{"camp": "c", "people": 50}',
    }
    answer = client.post(action(html), data=form)
    assert answer.status_code == 200, answer.text
    assert f"Applied conflict {CONFLICT}." in answer.text
    assert population(world) == before - 50
    found = resolution(world)
    assert found is not None and found["action"] == "apply" and found["by"] == "admin:-"


def test_applying_as_taken_is_refused_again_and_stores_nothing(
    client: TestClient, world: Planner
) -> None:
    html = signed_in(client, "coord")
    args = re.search(r'<textarea name="args"[^>]*>([^<]*)<', html)
    assert args is not None
    form = {"csrf": csrf_in(html), "action": "apply", "args": args.group(1).replace("&#34;", '"')}
    answer = client.post(action(html), data=form)
    assert answer.status_code == 409 and "Refused" in answer.text
    assert resolution(world) is None


@pytest.mark.parametrize("name", ["viewer", "biz"])
def test_a_forged_resolution_is_refused_and_stores_nothing(
    client: TestClient, world: Planner, name: str
) -> None:
    html = signed_in(client, name)
    form = {"csrf": csrf_in(html), "action": "discard", "reason": "forged"}
    answer = client.post(action(html), data=form)
    assert answer.status_code == 403 and 'id="refusal"' in answer.text
    assert resolution(world) is None


def test_bad_csrf_cross_origin_and_bad_json_are_refused(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "admin")
    discard = {"action": "discard", "reason": "x"}
    assert client.post(action(html), data=discard | {"csrf": "nope"}).status_code == 403
    cross = client.post(
        action(html),
        data=discard | {"csrf": csrf_in(html)},
        headers={"Origin": "http://evil.example"},
    )
    assert cross.status_code == 403
    bad = {"csrf": csrf_in(html), "action": "apply", "args": "{not json"}
    assert client.post(action(html), data=bad).status_code == 422
    unknown = {"csrf": csrf_in(html), "action": "explode"}
    assert client.post(action(html), data=unknown).status_code == 422
    assert resolution(world) is None


def test_signed_out_posts_go_to_the_sign_in_form(client: TestClient, world: Planner) -> None:
    answer = client.post(f"{PAGE}/{CONFLICT}/resolve", data={"action": "discard", "reason": "x"})
    assert answer.status_code == 303 and "/dashboard/login" in answer.headers["location"]
    assert resolution(world) is None
