"""The pipeline page and its one-click forms without a browser (TestClient over the API tests'
world): who sees which button, what a post does, and that forged posts are refused.

In the world, plan p (coordinated by pwj) has camp c short of 400 blankets; offer o2 (biz, 50
blankets, no plan) is suggested for c; offer o1 (biz, water for plan p) is not needed: c has
water enough.
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
from planner.wiring import Planner, open_planner
from tests.api.conftest import TOKENS, build_world, registry
from tests.dashboard_helpers import csrf_in, sign_in

PAGE = "/dashboard/plans/p/pipeline"
FORM = PAGE + "/offers"
ACCEPT = {"command": "accept_offer", "offer": "o2", "camp": "c", "quantity": "50"}


@pytest.fixture
def world() -> Iterator[Planner]:
    planner = open_planner("memory:")
    build_world(planner)
    yield planner
    planner.close()


@pytest.fixture
def client(world: Planner) -> Iterator[TestClient]:
    app = create_app(world, registry())
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


def signed_in(client: TestClient, name: str) -> str:
    """Sign in as one of the API tests' tokens; the pipeline page's HTML."""
    assert sign_in(client, TOKENS[name][0]).status_code == 303
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    return page.text


def accepted(world: Planner, offer: str = "o2") -> int:
    world.catch_up()
    doc = world.queries.view("offer", str(world.service.id_of("offer", offer)))
    assert doc is not None
    return int(doc["accepted"])


def test_a_viewer_sees_the_pipeline_and_the_matches_but_no_buttons(client: TestClient) -> None:
    html = signed_in(client, "viewer")
    assert "<h1>Pipeline: " in html
    assert re.search(r'<tr data-item="blanket">.*?data-figure="offered">50<', html, re.S)
    assert 'class="chart pipeline"' in html and "<title>blanket: still needed 400" in html
    assert '<tr data-offer="o2" data-camp="c">' in html  # the suggestion
    assert '<tr data-offer="o1">' in html  # not needed
    assert 'class="accept"' not in html and 'class="decline"' not in html


def test_the_overview_links_each_plan_to_its_pipeline(client: TestClient) -> None:
    signed_in(client, "viewer")
    assert f'href="{PAGE}" data-pipeline="p"' in client.get("/").text


def test_a_coordinator_accepts_with_one_click_and_a_second_click_changes_nothing(
    client: TestClient, world: Planner
) -> None:
    html = signed_in(client, "coord")
    assert ">Accept 50 for c</button>" in html
    assert 'class="decline"' in html  # o1 names plan p, which pwj coordinates
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    form = ACCEPT | {"csrf": csrf_in(html), "key": key.group(1)}
    answer = client.post(FORM, data=form)
    assert answer.status_code == 200, answer.text
    assert "Accepted 50 of offer o2 for camp c." in answer.text
    assert accepted(world) == 50
    # the answer already shows the new state: nothing left to suggest from o2
    assert '<tr data-offer="o2" data-camp="c">' not in answer.text
    again = client.post(FORM, data=form)
    assert "already done" in again.text and accepted(world) == 50


def test_a_coordinator_declines_an_unneeded_offer(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "coord")
    form = {
        "csrf": csrf_in(html),
        "command": "decline_offer",
        "offer": "o1",
        "reason": "not_needed",
    }
    answer = client.post(FORM, data=form)
    assert answer.status_code == 200 and "Declined what remained of offer o1" in answer.text
    world.catch_up()
    doc = world.queries.view("offer", str(world.service.id_of("offer", "o1")))
    assert doc is not None and doc["declined"] == 700


@pytest.mark.parametrize("name", ["viewer", "coord-other", "biz"])
def test_a_forged_accept_is_refused_by_the_rights_table(
    client: TestClient, world: Planner, name: str
) -> None:
    html = signed_in(client, name)
    answer = client.post(FORM, data=ACCEPT | {"csrf": csrf_in(html)})
    assert answer.status_code == 403
    assert 'id="refusal"' in answer.text
    assert accepted(world) == 0


def test_forms_need_the_sessions_csrf_token_and_this_site(
    client: TestClient, world: Planner
) -> None:
    html = signed_in(client, "coord")
    assert client.post(FORM, data=ACCEPT | {"csrf": "forged"}).status_code == 403
    cross = client.post(
        FORM, data=ACCEPT | {"csrf": csrf_in(html)}, headers={"Origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    assert accepted(world) == 0
    client.cookies.clear()
    assert client.post(FORM, data=ACCEPT).status_code == 303  # to the sign-in form


def test_refusals_and_bad_forms_say_why(client: TestClient, world: Planner) -> None:
    html = signed_in(client, "coord")
    csrf = csrf_in(html)
    too_much = client.post(FORM, data=ACCEPT | {"csrf": csrf, "quantity": "51"})
    assert too_much.status_code == 409 and "Refused:" in too_much.text
    bad = client.post(FORM, data=ACCEPT | {"csrf": csrf, "quantity": "lots"})
    assert bad.status_code == 422 and "whole number" in bad.text
    odd = client.post(FORM, data=ACCEPT | {"csrf": csrf, "command": "close_plan"})
    assert odd.status_code == 422
    assert accepted(world) == 0


def test_as_of_shows_the_past_without_buttons(client: TestClient) -> None:
    signed_in(client, "coord")
    past = client.get(PAGE + "?as_of=2100-01-01T00:00").text
    assert "Accepting acts on the current state" in past and 'class="accept"' not in past
    assert client.get("/dashboard/plans/nope/pipeline").status_code == 404
    assert client.get("/dashboard/areas/adm1/XX/pipeline").status_code == 404
    assert client.get("/dashboard/areas/adm9/XX/pipeline").status_code == 404
