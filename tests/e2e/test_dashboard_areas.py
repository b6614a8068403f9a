"""Sites at scale in a real browser: `planner serve` on the bundled Iwate 2011 scenario (399
evacuation centres). The overview groups sites by adm1, then adm2; the areas page filters sites
without JavaScript, draws them on an offline SVG map coloured by status, and shows the sector
coverage; the stockpiles page (with its 3W table of 2,394 rows) never scrolls sideways, from a
390 px phone to a 1920 px screen. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Server, screenshot, serve_scenario
from tests.e2e.test_dashboard import all_css, by_css, sign_in, wait_for

pytestmark = pytest.mark.e2e

PEAK = "2011-03-13T12:00"  # the sourced peak: 54,429 people, no centre ready
READY = "2011-03-25T12:00"  # after the first full supply round: every open centre ready


@pytest.fixture(scope="module")
def iwate() -> Iterator[Server]:
    yield from serve_scenario(ROOT / "scenarios" / "iwate-2011.yaml")


@pytest.fixture
def page(browser: Any, iwate: Server) -> Iterator[Any]:
    sign_in(browser, iwate)
    browser.set_window_size(1400, 1000)
    yield browser
    browser.set_window_size(1400, 1000)
    # Cookies are per host, not per port: this server's session cookie would shadow the other
    # servers' sessions for the tests that follow with the same browser.
    browser.delete_all_cookies()


def test_the_overview_groups_sites_by_adm1_then_adm2(page: Any, iwate: Server) -> None:
    page.get(f"{iwate.url}/?as_of={PEAK}")
    rows = all_css(page, "#areas tbody tr")
    assert [r.get_attribute("data-level") for r in rows[:2]] == ["adm1", "adm2"]
    assert len(rows) == 13  # Iwate and its twelve coastal municipalities
    iwate_row = rows[0].text
    assert iwate_row.startswith("adm1 03 0 0 331 0 0 0 54,429")  # 331 centres open, none ready
    # 399 camps: the plan links to the areas page instead of a tile per camp
    link = by_css(page, "a[data-plan-sites=iwate-2011]")
    assert link.text.startswith("331 sites")
    assert not all_css(page, "section.plan a[data-camp]")
    screenshot(page, "iwate-overview")


def test_filters_work_without_javascript_and_the_map_is_coloured(page: Any, iwate: Server) -> None:
    from selenium.webdriver.support.ui import Select

    page.get(f"{iwate.url}/dashboard/areas?as_of={READY}")
    assert "Sites by area" in by_css(page, "h1").text
    circles = all_css(page, "#site-map circle.site")
    assert len(circles) == int(by_css(page, "#kept").text.split()[0].replace(",", ""))
    # merged centres are closed by 25 March; every open one is ready
    assert {c.get_attribute("class") for c in circles} == {"site st-ready", "site st-closed"}
    Select(by_css(page, "#f-area")).select_by_value("adm2:03202")
    Select(by_css(page, "#f-kind")).select_by_value("evacuation_centre")
    by_css(page, "#f-apply").click()
    wait_for(lambda: "area=adm2%3A03202" in page.current_url, what="the filtered page")
    assert "as_of=2011-03-25" in page.current_url  # the time travels with the filters
    rows = all_css(page, "#coverage tbody tr")
    assert rows and all(r.get_attribute("data-camp").startswith("miyako-") for r in rows)
    assert not all_css(page, "#coverage td.uncovered")  # every sector led on 25 March
    screenshot(page, "iwate-areas")
    Select(by_css(page, "#f-status")).select_by_value("not_ready")
    by_css(page, "#f-apply").click()
    wait_for(lambda: "status=not_ready" in page.current_url, what="the status filter")
    assert "No site matches these filters." in by_css(page, "main").text


def test_an_area_page_with_its_coverage_matrix_and_pages(page: Any, iwate: Server) -> None:
    page.get(f"{iwate.url}/dashboard/areas/adm2/03202?as_of={PEAK}")
    assert by_css(page, "h1").text == "Area adm2 03202"
    population = int(by_css(page, "#area-population").text.replace(",", ""))
    assert population > 10_000
    uncovered = all_css(page, "#coverage td.uncovered")
    assert {c.text for c in uncovered} == {"✗"}  # HEA and PRO had no lead on 13 March
    assert len(all_css(page, "#coverage tbody tr")) == 50  # a page of 71 Miyako centres
    circles = all_css(page, "#site-map circle.st-not_ready")
    assert len(circles) == 71
    screenshot(page, "iwate-area")
    by_css(page, "#next").click()
    wait_for(lambda: "page=2" in page.current_url, what="the second page")
    assert len(all_css(page, "#coverage tbody tr")) == 21
    page.get(f"{iwate.url}/dashboard/areas/adm2/99999")
    assert "unknown area" in by_css(page, "main").text


@pytest.mark.parametrize("width", [390, 1366, 1920])
def test_the_stockpiles_page_never_scrolls_sideways(page: Any, iwate: Server, width: int) -> None:
    page.set_window_size(width, 900)
    page.get(f"{iwate.url}/dashboard/stockpiles?as_of={READY}")
    wait_for(lambda: all_css(page, "#three-w tbody tr"), what="the 3W table")
    overflow = page.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
    )
    assert overflow[0] <= overflow[1], f"{width} px: page {overflow[0]} px wide in {overflow[1]}"
    screenshot(page, f"iwate-stockpiles-{width}")
