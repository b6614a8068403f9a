"""The readiness dashboard in a real browser, against `planner serve` on a replayed scenario.

The store holds scenarios/japan-platform-standby.yaml: one tripartite plan (jpf-standby) with
two camps, both ready at the end; on 2001-10-17 camp-chaman was at risk and camp-peshawar not
ready (protection had no lead while vulnerable people were registered). Screenshots of the
main pages go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest

from projections.queries import THREE_W_COLUMNS
from tests.e2e.conftest import ROOT, Server, screenshot

pytestmark = pytest.mark.e2e

AS_OF = "2001-10-17T00:00"
HXL_ROW = ",".join(tag for _, tag in THREE_W_COLUMNS)


def by_css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def wait_for(condition: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def sign_in(driver: Any, server: Server, token: str | None = None) -> None:
    driver.get(server.url + "/dashboard/login")
    by_css(driver, "#token").send_keys(token or server.token)
    by_css(driver, "#sign_in").click()
    wait_for(lambda: "/dashboard/login" not in driver.current_url, what="sign-in")


@pytest.fixture
def page(browser: Any, server: Server) -> Any:
    """The browser, signed in as a viewer."""
    if not browser.get_cookie("planner_session"):
        sign_in(browser, server)
    return browser


def camp_statuses(driver: Any) -> dict[str, str]:
    return {
        tile.get_attribute("data-camp"): tile.get_attribute("data-status")
        for tile in all_css(driver, "a[data-camp]")
    }


def test_signing_in_takes_a_known_token_and_keeps_it_http_only(
    browser: Any, server: Server
) -> None:
    browser.delete_all_cookies()
    browser.get(server.url + "/dashboard/stockpiles")
    assert "/dashboard/login" in browser.current_url
    by_css(browser, "#token").send_keys("not-a-token")
    by_css(browser, "#sign_in").click()
    # The refusal is a new page: wait for it rather than read the old one mid-navigation.
    alerts = wait_for(lambda: all_css(browser, "[role=alert]"), what="the sign-in refusal")
    assert "not known" in alerts[0].text
    assert browser.get_cookie("planner_session") is None
    screenshot(browser, "login")

    by_css(browser, "#token").send_keys(server.token)  # the form still knows where to go
    by_css(browser, "#sign_in").click()
    wait_for(lambda: "/dashboard/login" not in browser.current_url, what="sign-in")
    assert browser.current_url == server.url + "/dashboard/stockpiles"
    cookie = browser.get_cookie("planner_session")
    assert cookie is not None and cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""  # not readable by scripts
    assert "mofa (viewer)" in by_css(browser, ".who").text


def test_overview_shows_every_plan_with_its_camps_by_status(page: Any, server: Server) -> None:
    page.get(server.url + "/")
    plan = by_css(page, "section.plan[data-plan=jpf-standby]")
    assert by_css(plan, "[data-lifecycle]").text == "activated"
    badges = {b.get_attribute("data-kind"): b.text for b in all_css(plan, "[data-kind]")}
    assert badges == {
        "ngo": "NGO ✓ present",
        "business": "business ✓ present",
        "government": "government ✓ present",
    }
    assert camp_statuses(page) == {"camp-chaman": "ready", "camp-peshawar": "ready"}
    facts = plan.text
    assert "7,500" in facts  # people in both camps
    assert "200,000,000 JPY" in facts  # pool balance
    assert "2 ready" in facts
    # The tiles are coloured by status, and the colour never stands alone: the word is there.
    tile = by_css(page, "a[data-camp=camp-chaman]")
    assert "st-ready" in tile.get_attribute("class")
    assert "ready" in tile.text
    screenshot(page, "overview")


def test_the_as_of_control_shows_the_state_at_that_time(page: Any, server: Server) -> None:
    page.get(server.url + "/")
    field = by_css(page, "#as_of")
    page.execute_script("arguments[0].value = arguments[1]", field, AS_OF)
    by_css(page, "#as_of_apply").click()
    wait_for(lambda: "as_of=" in page.current_url, what="the as-of page")
    assert "2001-10-17 00:00 UTC" in by_css(page, "#asof-note").text
    assert by_css(page, "#as_of").get_attribute("value") == AS_OF
    assert camp_statuses(page) == {"camp-chaman": "at_risk", "camp-peshawar": "not_ready"}
    assert "5,000" in by_css(page, "section.plan").text  # 3,000 + 2,000 people then
    # every link keeps the moment
    for link in all_css(page, "header nav a") + all_css(page, "a[data-camp]"):
        assert "as_of=2001-10-17T00" in link.get_attribute("href")
    screenshot(page, "overview-as-of")

    # Before the government joined: not tripartite, no camps yet.
    page.execute_script(
        "arguments[0].value = arguments[1]", by_css(page, "#as_of"), "2001-09-21T00:00"
    )
    by_css(page, "#as_of_apply").click()
    wait_for(lambda: "2001-09-21" in page.current_url, what="the earlier as-of page")
    plan = by_css(page, "section.plan")
    assert by_css(plan, "[data-lifecycle]").text == "drafted"
    assert by_css(plan, "[data-kind=government]").text == "government missing"
    assert camp_statuses(page) == {}

    by_css(page, "#as_of_now").click()
    wait_for(lambda: "as_of" not in page.current_url, what="back to now")
    assert camp_statuses(page) == {"camp-chaman": "ready", "camp-peshawar": "ready"}


def test_camp_page_shows_the_gaps_in_plain_words(page: Any, server: Server) -> None:
    page.get(f"{server.url}/?as_of={AS_OF}")
    by_css(page, "a[data-camp=camp-peshawar]").click()
    wait_for(lambda: "/dashboard/camps/" in page.current_url, what="the camp page")
    assert "as_of=" in page.current_url
    assert by_css(page, "h1").text == "Camp camp-peshawar"
    assert by_css(page, "#camp-status").get_attribute("data-status") == "not_ready"
    gaps = [li.text for li in all_css(page, "#gaps li")]
    assert "sector PRO (protection (social welfare)) has no lead" in gaps
    assert "latrine: none built for 2,000 people" in gaps
    assert any(g.startswith("vulnerable people registered (under5 360") for g in gaps)
    assert by_css(page, "#population").text == "2,000"
    assert "children under 5\n360" in by_css(page, "table.population").text.replace(" 360", "\n360")
    pro = by_css(page, "[data-sector=PRO]")
    assert "uncovered" in pro.get_attribute("class") and "uncovered" in pro.text
    assert "lead: pwj" in by_css(page, "[data-sector=CCM]").text
    cover = by_css(page, "table.cover")
    assert "dashed: ready, 5 days" in cover.text
    assert len(all_css(cover, "svg.cover rect.bar")) == 3
    levels = {
        row.get_attribute("data-item"): (
            row.get_attribute("data-cover"),
            all_css(row, "td")[-1].text,
        )
        for row in all_css(cover, "tr[data-item]")
    }
    assert levels == {
        "water": ("ready", "6 days"),
        "food_ration": ("ready", "7.5 days"),
        "medical_kit": ("ready", "▸ 90 days"),
    }
    assert by_css(page, "#congestion").text == "none"
    assert by_css(page, "svg.timeline") is not None
    screenshot(page, "camp-as-of")

    # The same camp now: no gaps left.
    by_css(page, "#as_of_now").click()
    wait_for(lambda: "as_of" not in page.current_url, what="the camp now")
    assert by_css(page, "#camp-status").get_attribute("data-status") == "ready"
    assert "No gaps" in by_css(page, "#gaps").text
    screenshot(page, "camp")


def test_timeline_charts_each_camps_status_and_days_of_cover(page: Any, server: Server) -> None:
    page.get(server.url + "/dashboard/timeline")
    sections = {s.get_attribute("data-camp"): s for s in all_css(page, "section.camp-timeline")}
    assert set(sections) == {"camp-chaman", "camp-peshawar"}
    chaman = sections["camp-chaman"]
    bands = [r.get_attribute("class") for r in all_css(chaman, "rect.band")]
    # not ready, ready, at risk, not ready, at risk, ready, at risk, ready, at risk, ready
    assert bands[0] == "band st-not_ready" and bands[-1] == "band st-ready"
    assert {"band st-at_risk", "band st-ready", "band st-not_ready"} <= set(bands)
    assert len(all_css(chaman, "path.series")) == 3
    rows = all_css(page, "#changes tbody tr")
    assert len(rows) == 16
    assert rows[0].text.startswith("2001-10-27 00:00 UTC camp camp-chaman")
    screenshot(page, "timeline")

    page.get(f"{server.url}/dashboard/timeline?as_of={AS_OF}")
    assert len(all_css(page, "#changes tbody tr")) == 8  # up to 2001-10-15
    chaman = by_css(page, "section.camp-timeline[data-camp=camp-chaman]")
    assert all_css(chaman, "rect.band")[-1].get_attribute("class") == "band st-at_risk"


def test_stockpiles_and_3w_with_a_csv_download(page: Any, server: Server, downloads: Path) -> None:
    page.get(server.url + "/dashboard/stockpiles")
    islamabad = by_css(page, "section.stockpile[data-stockpile=islamabad]")
    water = by_css(islamabad, "tr[data-item=water]").text
    assert water.startswith("water 740,000 0 740,000")
    assert "not committed to a plan" in by_css(page, "[data-stockpile=karachi]").text
    totals = by_css(page, "#totals tr[data-item=blanket]").text
    assert totals.startswith("blanket 4,500 2,000 2,500")
    three_w = by_css(page, "#three-w")
    assert "#sector+cluster" in by_css(three_w, "tr.hxl").text
    assert len(all_css(three_w, "tbody tr")) == 12  # 6 sectors x 2 camps
    screenshot(page, "stockpiles")

    # The link downloads the file ...
    for old in downloads.glob("3w*.csv"):
        old.unlink()
    by_css(page, "#csv").click()
    saved = wait_for(
        lambda: [p for p in downloads.glob("3w*.csv") if p.stat().st_size > 0],
        what="the CSV download",
    )[0]
    text = saved.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(column for column, _ in THREE_W_COLUMNS)
    assert lines[1] == HXL_ROW
    rows = list(csv.DictReader(io.StringIO(text)))[1:]
    assert len(rows) == 12
    wanted = {
        "partner": "jen",
        "kind": "ngo",
        "sector": "PRO",
        "location": "Chaman area, Balochistan (site assumed)",
        "status": "active",
        "since": "2001-10-11T00:00:00+00:00",
    }
    assert any(wanted.items() <= row.items() for row in rows)
    # each camp's population once: on the first of its rows
    assert sorted(int(r["population"]) for r in rows if r["population"]) == [2000, 5500]
    # ... which is byte for byte the API's /3w.csv,
    status, api_csv = server.get("/3w.csv")
    assert status == 200 and api_csv.decode("utf-8") == text
    # and fetching it in the page (with the session cookie) gives the same HXL rows.
    href = by_css(page, "#csv").get_attribute("href")
    fetched = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
        href,
    )
    assert fetched == text

    # As of a time, the link downloads the 3W of that time.
    page.get(f"{server.url}/dashboard/stockpiles?as_of=2001-10-10T12:00")
    assert "No sector leads at this time." in by_css(page, "main").text
    href = by_css(page, "#csv").get_attribute("href")
    assert "as_of=2001-10-10T12" in href
    earlier = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
        href,
    )
    assert earlier.splitlines() == lines[:2]


def _upload(page: Any, server: Server, path: Path) -> None:
    page.get(server.url + "/dashboard/scenario")
    by_css(page, "#scenario_file").send_keys(str(path))
    by_css(page, "#replay").click()
    wait_for(lambda: all_css(page, "#verdict, #scenario-error"), what="the replay report")


def test_a_scenario_upload_shows_its_report_without_touching_the_store(
    page: Any, server: Server
) -> None:
    _upload(page, server, ROOT / "scenarios" / "camp-japan-1999.yaml")
    assert "Camp Japan" in by_css(page, "#report-title").text
    assert by_css(page, "#verdict").text.startswith("OK: all")
    results = [td.text for td in all_css(page, "#checks tbody tr td:nth-child(5)")]
    assert results and set(results) == {"PASS"}
    assert all_css(page, "#readiness tbody tr")
    assert all_css(page, "#steps tbody tr")
    screenshot(page, "scenario")

    # The main store is untouched: still one plan, the replayed one.
    page.get(server.url + "/")
    plans = [s.get_attribute("data-plan") for s in all_css(page, "section.plan")]
    assert plans == ["jpf-standby"]


def test_a_failing_or_broken_scenario_says_why(page: Any, server: Server, tmp_path: Path) -> None:
    failing = tmp_path / "failing.yaml"
    failing.write_text(
        "scenario: tiny\ntitle: A tiny plan\nstart: 1999-04-01T00:00:00Z\nsteps:\n"
        "  - {at: +0d, do: register_partner, with: {partner: pwj, name: PWJ, kind: ngo}}\n"
        "  - {at: +0d, do: draft_plan, with: {plan: p, title: T, crisis: C, "
        "planning_figure: 100}}\n"
        "checks:\n  - {at: +0d, plan: p, expect: {status: activated}}\n",
        encoding="utf-8",
    )
    _upload(page, server, failing)
    assert by_css(page, "#verdict").text.startswith("NOT OK: 1 checks fail")
    row = by_css(page, "#checks tbody tr").text
    assert "FAIL" in row and 'status: expected "activated", got "drafted"' in row

    broken = tmp_path / "broken.yaml"
    broken.write_text("scenario: tiny\ntitle: T\nstart: yesterday\nsteps: []\n", encoding="utf-8")
    _upload(page, server, broken)
    error = by_css(page, "#scenario-error").text
    assert "broken.yaml" in error
