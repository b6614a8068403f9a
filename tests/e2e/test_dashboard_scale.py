"""The overview at scale, without a browser: a plan of many sites over many areas.

The overview reads the plans' views and the areas' roll-ups: a plan with more sites than the
tiles shows links to the areas page, and more areas than the overview lists collapse to their
adm1 rows (each area page lists the rest). Through Starlette's TestClient over an in-memory
planner.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard.pages import CAMP_TILES, OVERVIEW_AREA_ROWS
from planner.wiring import Planner, open_planner
from projections.areas import area_views
from tests.api.conftest import TOKENS, registry
from tests.dashboard_helpers import sign_in
from tests.projections_helpers import TickClock

SITES = OVERVIEW_AREA_ROWS + 10  # one adm2 area each, over two adm1 areas
START = datetime(2011, 3, 11, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> Iterator[Planner]:
    clock = TickClock(START)
    planner = open_planner("memory:", clock_fn=clock)
    s = planner.service
    s.register_partner(partner="gov", name="Ministry", kind="government")
    for plan in ("big", "small"):
        s.draft_plan(plan=plan, title=plan.title(), crisis="c", planning_figure=1_000)
    for index in range(SITES):
        s.establish_camp(
            camp=f"site-{index:02d}",
            plan="big",
            location="L",
            site_area_m2=1_000,
            shelter_capacity=100,
            adm1=f"A{index % 2}",
            adm2=f"A{index % 2}-{index:02d}",
        )
    s.establish_camp(camp="lone", plan="small", location="L", site_area_m2=10, shelter_capacity=5)
    clock.advance(days=1)
    s.register_arrivals(camp="site-03", people=40)
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture(scope="module")
def viewer(world: Planner) -> Iterator[TestClient]:
    app = create_app(world, registry())
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        assert sign_in(client, TOKENS["viewer"][0]).status_code == 303
        yield client


def test_many_areas_collapse_to_their_adm1_rows_and_a_big_plan_links_to_its_sites(
    viewer: TestClient,
) -> None:
    page = viewer.get("/")
    assert page.status_code == 200
    rows = re.findall(r'data-area="([^"]+)" data-level="(adm[12])"', page.text)
    assert rows == [("A0", "adm1"), ("A1", "adm1")]
    assert 'id="areas-collapsed"' in page.text
    assert SITES > CAMP_TILES
    assert f'data-plan-sites="big">{SITES} sites' in page.text
    assert 'data-camp="site-' not in page.text  # no tile per site of the big plan
    assert 'data-camp="lone"' in page.text  # the small plan keeps its tiles


def test_the_overview_as_of_a_past_time_reads_the_areas_then(
    viewer: TestClient, world: Planner
) -> None:
    before = (START + timedelta(hours=1)).isoformat()
    page = viewer.get("/", params={"as_of": before})
    assert page.status_code == 200
    assert 'data-camp="lone"' in page.text
    a1 = world.queries.area("adm1", "A1", as_of=START + timedelta(hours=1))
    assert a1 is not None and a1["population"] == 0
    assert world.queries.area("adm1", "A1")["population"] == 40  # type: ignore[index]


def test_an_area_page_lists_the_adm2_areas_the_overview_leaves_out(viewer: TestClient) -> None:
    page = viewer.get("/dashboard/areas/adm1/A1")
    assert page.status_code == 200
    assert 'data-area="A1-03" data-level="adm2"' in page.text


def test_the_roll_ups_are_the_areas_summed_from_the_camps(world: Planner) -> None:
    assert world.queries.areas() == area_views(world.queries.views("camp"))
    assert [v["area"] for v in world.queries.areas(level="adm2", adm1="A0")] == [
        f"A0-{i:02d}" for i in range(0, SITES, 2)
    ]
