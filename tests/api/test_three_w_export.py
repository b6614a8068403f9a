"""The 3W export read back with libhxl (the HXL project's library): site columns, partner names
beside slugs, each camp's population counted once, and cells that could start a spreadsheet
formula neutralised (OWASP CSV injection) while numbers stay numbers."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import hxl
import pytest
from fastapi.testclient import TestClient

from api.three_w import neutralise
from planner.wiring import Planner, open_planner
from tests.api.conftest import auth

HOSTILE = ('=HYPERLINK("http://x")', "+SUM(A1)", "-1+1", "@cmd", "\tTab", "\rCR")


@pytest.fixture
def planner() -> Iterator[Planner]:
    planner = open_planner("memory:")
    s = planner.service
    s.register_partner(partner="jrc", name=HOSTILE[0], kind="ngo")
    s.register_partner(partner="pwj", name="Peace Winds Japan", kind="ngo")
    s.draft_plan(plan="p", title="T", crisis="c", planning_figure=100)
    for partner in ("jrc", "pwj"):
        s.join_plan(plan="p", partner=partner, role="implementer")
    sites = (
        ("miyako-1", "JP03202", "宮古小学校", 39.64, 141.95, 120),
        ("ofunato-1", "JP03203", HOSTILE[1], 39.07, 141.72, 80),
        ("south-1", "JP03203", "Southern site", -33.9, -70.6, 5),  # negative degrees stay numbers
    )
    for camp, adm2, name, lat, lon, people in sites:
        s.establish_camp(
            camp=camp,
            plan="p",
            location=HOSTILE[2] if camp == "south-1" else "Coast",
            site_area_m2=9000,
            shelter_capacity=200,
            name=name,
            kind="evacuation_centre",
            adm1="JP03",
            adm2=adm2,
            lat=lat,
            lon=lon,
        )
        s.register_arrivals(camp=camp, people=people)
        for sector, partner in (("SHL", "jrc"), ("WSH", "pwj"), ("HEA", "pwj")):
            s.assign_sector(camp=camp, sector=sector, partner=partner)
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture
def client(planner: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(planner)


def read_hxl(client: TestClient, path: str) -> list[dict[str, str | None]]:
    response = client.get(path, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    dataset = hxl.data(io.BytesIO(response.content))
    tags = [column.display_tag for column in dataset.columns]
    for tag in ("#adm1+code", "#adm2+code", "#loc+name", "#loc+type", "#geo+lat", "#geo+lon"):
        assert tag in tags
    assert "#org+code" in tags and "#org+name" in tags
    # by exact tag: the pattern "#loc" would also match "#loc+code"
    return [dict(zip(tags, row.values, strict=True)) for row in dataset]


def test_libhxl_reads_the_export_with_site_columns(client: TestClient) -> None:
    rows = read_hxl(client, "/3w.csv")
    assert len(rows) == 9  # 3 sites × 3 sector leads
    miyako = [r for r in rows if r["#loc+code"] == "miyako-1"]
    assert {r["#loc+name"] for r in miyako} == {"宮古小学校"}
    assert {(r["#adm1+code"], r["#adm2+code"], r["#loc+type"]) for r in miyako} == {
        ("JP03", "JP03202", "evacuation_centre")
    }
    assert {(float(str(r["#geo+lat"])), float(str(r["#geo+lon"]))) for r in miyako} == {
        (39.64, 141.95)
    }
    south = next(r for r in rows if r["#loc+code"] == "south-1")
    assert (south["#geo+lat"], south["#geo+lon"]) == ("-33.9", "-70.6")  # not neutralised
    names = {r["#org+code"]: r["#org+name"] for r in rows}
    assert names["pwj"] == "Peace Winds Japan"


def test_a_column_sum_counts_each_camp_once(client: TestClient) -> None:
    rows = read_hxl(client, "/3w.csv")
    total = sum(int(r["#affected+incamp"]) for r in rows if r["#affected+incamp"])
    assert total == 120 + 80 + 5
    only_wsh = read_hxl(client, "/3w.csv?sector=WSH")
    assert sum(int(r["#affected+incamp"] or 0) for r in only_wsh) == 205
    only_jrc = read_hxl(client, "/3w.csv?partner=jrc&camp=ofunato-1")
    assert [r["#affected+incamp"] for r in only_jrc] == ["80"]


def test_formula_cells_are_neutralised(client: TestClient) -> None:
    rows = read_hxl(client, "/3w.csv")
    assert {r["#org+name"] for r in rows if r["#org+code"] == "jrc"} == {"'" + HOSTILE[0]}
    assert {r["#loc+name"] for r in rows if r["#loc+code"] == "ofunato-1"} == {"'" + HOSTILE[1]}
    assert {r["#loc"] for r in rows if r["#loc+code"] == "south-1"} == {"'" + HOSTILE[2]}
    # JSON is data, not a spreadsheet: it keeps the text as typed
    json_rows = client.get("/3w?partner=jrc", headers=auth("viewer")).json()["items"]
    assert {r["partner_name"] for r in json_rows} == {HOSTILE[0]}


@pytest.mark.parametrize("text", HOSTILE)
def test_every_formula_start_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("Miyako " + text) == "Miyako " + text
    assert neutralise(-70.6) == -70.6
    assert neutralise(None) == ""
