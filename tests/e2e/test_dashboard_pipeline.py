"""The pipeline page in a real browser: `planner serve` on the bundled JANIC 2011 scenario (offers,
trucks on the road), then a plan written through the HTTP API on the same server, where a
donor's offer is accepted with one click by the plan's coordinator. A viewer sees no button,
and a post forged from the viewer's session is refused (403). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Server, screenshot, serve_scenario
from tests.e2e.test_dashboard import all_css, by_css, sign_in, wait_for

pytestmark = pytest.mark.e2e

ADMIN = "e2e-admin-token-0123456789"
COORDINATOR = "e2e-coordinator-token-0123456789"  # coordinates plan relief (written below)
DONOR = "e2e-donor-token-0123456789"
AS_OF = "2011-03-24T12:00"  # truck 2 on the road, 14,000 L of the water offer accepted


@pytest.fixture(scope="module")
def janic() -> Iterator[Server]:
    tokens = [
        (ADMIN, None, "admin"),
        (COORDINATOR, "hq", "coordinator"),
        (DONOR, "shop", "partner"),
    ]
    yield from serve_scenario(ROOT / "scenarios" / "janic-offers-2011.yaml", tokens)


@pytest.fixture
def browser_for(browser: Any, janic: Server) -> Iterator[Any]:
    yield browser
    # Cookies are per host, not per port: leave no session for the other servers' tests.
    browser.delete_all_cookies()


def post(server: Server, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            doc: dict[str, Any] = json.loads(response.read())
            return doc
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{path}: {error.code} {error.read()!r}") from None


def get(server: Server, path: str) -> dict[str, Any]:
    status, body = server.get(path, token=ADMIN)
    assert status == 200
    doc: dict[str, Any] = json.loads(body)
    return doc


def test_the_pipeline_of_the_janic_plan_as_of_a_day(browser_for: Any, janic: Server) -> None:
    page = browser_for
    sign_in(page, janic)
    page.get(f"{janic.url}/")
    by_css(page, "a[data-pipeline=janic-2011]").click()
    wait_for(lambda: "/dashboard/plans/janic-2011/pipeline" in page.current_url, what="the page")
    page.get(f"{page.current_url}?as_of={AS_OF}")
    assert by_css(page, "h1").text == "Pipeline: Company offers to Miyagi centres"
    api = get(janic, f"/plans/janic-2011/pipeline?as_of={AS_OF}:00Z")
    water = next(row for row in api["items"] if row["item"] == "water")
    cells = {
        cell.get_attribute("data-figure"): cell.text.split("\n")[0]
        for cell in all_css(page, "#pipeline tr[data-item=water] td[data-figure]")
    }
    assert cells == {
        figure: f"{water[figure]:,}"
        for figure in ("uncommitted", "offered", "committed", "delivered", "distributed")
    }
    assert (water["offered"], water["accepted"], water["in_transit"]) == (6_000, 14_000, 8_000)
    assert by_css(page, "#pipeline tr[data-item=water] svg.pipeline").get_attribute("aria-label")
    assert "Accepting acts on the current state" in by_css(page, "main").text
    assert not all_css(page, "button.accept")
    screenshot(page, "pipeline")


@pytest.fixture(scope="module")
def relief(janic: Server) -> Server:
    """A plan coordinated by hq with one camp short of 80 blankets, written through the API."""
    for partner, kind in (("hq", "ngo"), ("shop", "business")):
        post(janic, "/partners", {"partner": partner, "name": partner.upper(), "kind": kind}, ADMIN)
    plan = {"plan": "relief", "title": "Relief", "crisis": "test", "planning_figure": 100}
    post(janic, "/plans", plan, COORDINATOR)  # hq joins as its coordinator
    camp = {"camp": "hall", "plan": "relief", "location": "Town hall", "site_area_m2": 5000}
    post(janic, "/camps", camp | {"shelter_capacity": 200}, COORDINATOR)
    post(janic, "/camps/hall/arrivals", {"people": 80}, ADMIN)
    return janic


def offer(server: Server, slug: str, quantity: int) -> None:
    body = {"offer": slug, "partner": "shop", "item": "blanket", "quantity": quantity}
    post(server, "/offers", body, DONOR)


def test_a_coordinator_accepts_a_match_with_one_click(browser_for: Any, relief: Server) -> None:
    page, janic = browser_for, relief
    offer(janic, "quilts", 50)
    page.delete_all_cookies()
    sign_in(page, janic, COORDINATOR)
    page.get(f"{janic.url}/dashboard/plans/relief/pipeline")
    wait_for(lambda: all_css(page, "#matches tr[data-offer=quilts]"), what="the suggestion")
    button = by_css(page, "#matches tr[data-offer=quilts] button.accept")
    assert button.text == "Accept 50 for hall"
    screenshot(page, "pipeline-accept")
    button.click()
    wait_for(lambda: all_css(page, "#notice"), what="the answer")
    assert by_css(page, "#notice").text == "Accepted 50 of offer quilts for camp hall."
    view = get(janic, "/offers/quilts")
    assert (view["accepted"], view["by_camp"]) == (50, {"hall": {"accepted": 50, "delivered": 0}})
    blanket = by_css(page, "#pipeline tr[data-item=blanket] td[data-figure=committed]")
    assert blanket.text.startswith("50")
    assert not all_css(page, "#matches tr[data-offer=quilts]")


def test_a_viewer_sees_no_button_and_a_forged_post_is_refused(
    browser_for: Any, relief: Server
) -> None:
    page, janic = browser_for, relief
    offer(janic, "spare", 5)
    page.delete_all_cookies()
    sign_in(page, janic)
    page.get(f"{janic.url}/dashboard/plans/relief/pipeline")
    assert all_css(page, "#matches tbody tr") and not all_css(page, "button.accept")
    before = get(janic, "/plans/relief/pipeline")
    # The viewer's own session and CSRF token, the form a coordinator would get: refused.
    page.execute_script(
        """
        const csrf = document.querySelector('form[action$="/logout"] input[name=csrf]').value;
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/dashboard/plans/relief/pipeline/offers';
        const fields = {csrf, command: 'accept_offer', offer: arguments[0], camp: 'hall',
                        quantity: '1'};
        for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
        """,
        "spare",
    )
    wait_for(lambda: all_css(page, "#refusal"), what="the refusal")
    assert "a viewer token may only query" in by_css(page, "#refusal").text
    assert get(janic, "/plans/relief/pipeline") == before


def test_a_coordinator_discards_a_field_conflict_from_the_dashboard(
    browser_for: Any, relief: Server
) -> None:
    page, janic = browser_for, relief
    args = {"camp": "hall", "people": 5000}
    command = {"id": "e2e-conflict-1", "command": "register_departures", "args": args}
    pushed = post(janic, "/sync/commands", {"field_id": "e2e-field", "commands": [command]}, ADMIN)
    assert pushed["outcomes"][0]["outcome"] == "conflict"
    page.delete_all_cookies()
    sign_in(page, janic, COORDINATOR)
    page.get(f"{janic.url}/dashboard/conflicts")
    row = "#conflicts tr[data-resolve='e2e-conflict-1']"
    wait_for(lambda: all_css(page, row), what="the resolve forms")
    by_css(page, f"{row} form.discard input[name=reason]").send_keys("nobody left that day")
    by_css(page, f"{row} button.discard").click()
    wait_for(lambda: all_css(page, "#notice"), what="the answer")
    assert by_css(page, "#notice").text == "Discarded conflict e2e-conflict-1."
    assert not all_css(page, row)
    (done,) = get(janic, "/conflicts?state=all")["items"]
    assert done["resolution"]["reason"] == "nobody left that day"
