"""Sites and areas on the real stores (SQLite and PostgreSQL): a scenario with site details and
area checks replays, its stored events decode back into the same camp and area views, now and
as of a past time, after the store is opened again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.base import workspace_namespace
from domain.camp import Camp
from planner.cli import main
from planner.replay import replay_scenario
from planner.scenario import parse_scenario
from planner.wiring import open_planner

pytestmark = pytest.mark.integration

SITES = """\
scenario: sites-on-stores
title: Two municipalities
start: 2011-03-11T06:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: jrc, name: Japanese Red Cross, kind: ngo}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: c, planning_figure: 100,
                                     required_sectors: [SHL]}}
  - {at: +0d, do: join_plan, with: {plan: p, partner: jrc, role: implementer}}
  - {at: +0d, do: establish_camp, with: {camp: miyako-1, plan: p, location: Miyako,
      site_area_m2: 4500, shelter_capacity: 100, name: "宮古小学校", kind: evacuation_centre,
      adm1: JP03, adm2: JP03202, lat: 39.6417, lon: 141.9572}}
  - {at: +0d, do: establish_camp, with: {camp: ofunato-1, plan: p, location: Ofunato,
      site_area_m2: 4500, shelter_capacity: 100, adm1: JP03, adm2: JP03203}}
  - {at: +0d, do: register_arrivals, with: {camp: miyako-1, people: 30, elderly: 9}}
  - {at: +0d, do: register_arrivals, with: {camp: ofunato-1, people: 20}}
  - {at: +1d, do: assign_sector, with: {camp: miyako-1, sector: SHL, partner: jrc}}
  - {at: +2d, do: close_camp, with: {camp: ofunato-1}}
checks:
  - {at: +0d, adm1: JP03, expect: {population: 50, elderly: 9, uncovered: {SHL: 2},
                                   camps: {not_ready: 2, closed: 0}}}
  - {at: +2d, adm1: JP03, expect: {population: 30, people_by_status: {not_ready: 30},
                                   camps: {not_ready: 1, closed: 1}, uncovered: {}}}
  - {at: +2d, adm2: JP03203, expect: {population: 0, camps: {closed: 1}}}
  - {at: +2d, camp: miyako-1, expect: {name: "宮古小学校", kind: evacuation_centre,
                                       lat: 39.6417, lon: 141.9572, adm2: JP03202}}
"""


def test_sites_and_areas_survive_the_store(store_url: str) -> None:
    scenario = parse_scenario(SITES, "sites.yaml")
    report = replay_scenario(scenario, store_url)
    assert report.ok, [c.as_dict() for c in report.checks]

    planner = open_planner(store_url, namespace=workspace_namespace(scenario.slug))
    try:
        planner.catch_up()
        site = planner.service.load("camp", "miyako-1", Camp).site
        assert (site.name, site.adm2, site.lat) == ("宮古小学校", "JP03202", 39.6417)
        queries = planner.queries
        now = queries.area("adm1", "JP03")
        assert now is not None
        assert now["camps"] == {"ready": 0, "at_risk": 0, "not_ready": 1, "closed": 1}
        assert now["population"] == 30
        first_day = queries.area("adm1", "JP03", as_of=datetime(2011, 3, 11, 7, tzinfo=UTC))
        assert first_day is not None
        assert (first_day["population"], first_day["uncovered"]) == (50, {"SHL": 2})
        assert queries.area("adm2", "JP03203", as_of=datetime(2011, 3, 10, tzinfo=UTC)) is None
        assert [(a["level"], a["area"]) for a in queries.areas()] == [
            ("adm1", "JP03"),
            ("adm2", "JP03202"),
            ("adm2", "JP03203"),
        ]
        page, total = queries.views_page("camp", limit=1, offset=1)
        assert total == 2 and [d["camp"] for d in page] == ["ofunato-1"]  # in slug order
        assert queries.views_page("camp", limit=5, offset=0, status="closed")[1] == 1
        camp = queries.views("camp")[0]
        assert {k: camp[k] for k in ("name", "kind", "lon")} == {
            "name": "宮古小学校",
            "kind": "evacuation_centre",
            "lon": 141.9572,
        }
    finally:
        planner.close()


SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-sites.csv"


def test_import_sites_from_the_command_line(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planner = open_planner(store_url)
    planner.service.draft_plan(plan="iwate", title="Iwate", crisis="tohoku", planning_figure=10)
    planner.close()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace(b"03211", b"03 211"))
    assert main(["import-sites", str(bad), "--plan", "iwate", "--db", store_url]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: row 4, column F (#adm2+code): 'adm2' must be a code string" in err
    assert "nothing was imported" in err

    planner = open_planner(store_url)
    try:
        assert not planner.service.exists("camp", "miyako-gym")  # nothing of the good rows
    finally:
        planner.close()

    assert main(["import-sites", str(SAMPLE), "--plan", "iwate", "--db", store_url]) == 0
    assert "imported 6 sites (3,070 people) into plan 'iwate'" in capsys.readouterr().out
    planner = open_planner(store_url)
    try:
        planner.catch_up()
        area = planner.queries.area("adm1", "03")
        assert area is not None and area["population"] == 3_070
        assert area["camps"]["not_ready"] == 6  # no sector has a lead yet
    finally:
        planner.close()
    # a second import of the same list is refused whole: the codes are taken
    assert main(["import-sites", str(SAMPLE), "--plan", "iwate", "--db", store_url]) == 2
    assert "row 3: a camp 'miyako-gym' already exists" in capsys.readouterr().err


def test_views_of_an_earlier_layout_get_the_area_columns(tmp_path: Path) -> None:
    """A store whose `rp_current` predates the area columns gains them, its views are rebuilt
    from the events, and an area's camps are found."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE rp_current (kind TEXT NOT NULL, entity_id TEXT NOT NULL, slug TEXT NOT "
            "NULL, plan_id TEXT, status TEXT, location TEXT, position INTEGER NOT NULL, ts "
            "INTEGER NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (kind, entity_id))"
        )
        conn.execute(
            "INSERT INTO rp_current VALUES ('camp', 'x', 'x', NULL, NULL, NULL, 1, 0, '{}')"
        )
    planner = open_planner(str(path))
    try:
        with sqlite3.connect(path) as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(rp_current)")}
        assert {"adm1", "adm2"} <= columns
        assert planner.views.position() == 0  # emptied: rebuilt from the events
        planner.service.draft_plan(plan="p", title="P", crisis="c", planning_figure=10)
        planner.service.establish_camp(
            camp="c", plan="p", location="L", site_area_m2=10, shelter_capacity=1, adm1="X"
        )
        planner.catch_up()
        area = planner.queries.area("adm1", "X")
        assert area is not None and area["camp_list"] == ["c"]
    finally:
        planner.close()


def test_views_stored_before_the_area_roll_ups_are_rebuilt_with_them(tmp_path: Path) -> None:
    """A store whose views predate `rp_areas` has them rebuilt when opened, so that every area
    has its roll-up."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    planner = open_planner(str(path))
    try:
        planner.service.draft_plan(plan="p", title="P", crisis="c", planning_figure=10)
        planner.service.establish_camp(
            camp="c", plan="p", location="L", site_area_m2=10, shelter_capacity=1, adm1="X"
        )
        planner.catch_up()
    finally:
        planner.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE rp_areas")
    reopened = open_planner(str(path))
    try:
        area = reopened.queries.area("adm1", "X")  # no event since: only a rebuild made it
        assert area is not None and area["camp_list"] == ["c"]
    finally:
        reopened.close()
