"""Readiness queries: views, lists with filters and pages, time travel, waiting, 3W and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.context import ApiSettings
from planner.wiring import Planner, open_planner
from projections.queries import THREE_W_COLUMNS
from tests.api.conftest import auth, build_world, last_position

T0 = datetime(2024, 5, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(clock: Clock) -> Iterator[Planner]:
    """The world stored at T0, then more people and a closed camp two days later."""
    planner = open_planner("memory:", clock_fn=clock)
    build_world(planner)
    clock.now = T0 + timedelta(days=2)
    planner.service.execute("register_arrivals", {"camp": "c", "people": 600})
    planner.service.execute("close_camp", {"camp": "d"})
    planner.service.execute("activate_plan", {"plan": "p"})
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture
def tclient(timed: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(timed)


def get(client: TestClient, path: str) -> dict:
    response = client.get(path, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def slugs(doc: dict, kind: str) -> list[str]:
    return [item[kind] for item in doc["items"]]


def test_one_camp_plan_and_stockpile(tclient: TestClient) -> None:
    camp = get(tclient, "/camps/c")
    assert camp["population"] == 1000
    assert camp["plan"] == "p"
    assert camp["sector_leads"] == {"CCM": "biz", "HEA": "amda", "WSH": "amda"}
    plan = get(tclient, "/plans/p")
    assert plan["status"] == "activated"
    assert plan["tripartite"] is True
    depot = get(tclient, "/stockpiles/depot-amda")
    assert depot["items"]["water"] == {"on_hand": 80000, "reserved": 0, "available": 80000}
    assert depot["plans"] == ["p"]


def test_lists_filter_and_page(tclient: TestClient) -> None:
    assert slugs(get(tclient, "/camps"), "camp") == ["c", "d"]
    assert slugs(get(tclient, "/camps?plan=p"), "camp") == ["c"]
    assert slugs(get(tclient, "/camps?status=closed"), "camp") == ["d"]
    assert slugs(get(tclient, "/camps?location=Hilltop"), "camp") == ["d"]
    assert slugs(get(tclient, "/camps?sector=WSH"), "camp") == ["c", "d"]  # required in both
    assert slugs(get(tclient, "/camps?uncovered=WSH"), "camp") == ["d"]
    assert slugs(get(tclient, "/camps?plan=nope"), "camp") == []
    first = get(tclient, "/camps?limit=1")
    assert (slugs(first, "camp"), first["total"], first["limit"], first["offset"]) == (
        ["c"],
        2,
        1,
        0,
    )
    assert slugs(get(tclient, "/camps?limit=1&offset=1"), "camp") == ["d"]
    assert slugs(get(tclient, "/camps?offset=5"), "camp") == []
    assert slugs(get(tclient, "/plans"), "plan") == ["p", "q"]
    assert slugs(get(tclient, "/plans?status=activated"), "plan") == ["p"]
    assert slugs(get(tclient, "/plans?region=South"), "plan") == ["q"]
    assert slugs(get(tclient, "/plans?sector=NUT"), "plan") == []
    assert slugs(get(tclient, "/stockpiles"), "stockpile") == ["depot-amda", "depot-biz"]
    assert slugs(get(tclient, "/stockpiles?plan=p"), "stockpile") == ["depot-amda"]
    assert slugs(get(tclient, "/stockpiles?partner=biz"), "stockpile") == ["depot-biz"]
    assert slugs(get(tclient, "/stockpiles?location=Port"), "stockpile") == ["depot-amda"]
    assert slugs(get(tclient, "/stockpiles?item=blanket"), "stockpile") == ["depot-biz"]


def test_stock_totals(tclient: TestClient) -> None:
    totals = get(tclient, "/stockpiles/totals")["items"]
    assert totals == {
        "blanket": {"on_hand": 500, "reserved": 0, "available": 500},
        "water": {"on_hand": 80000, "reserved": 0, "available": 80000},
    }


def test_as_of_travels_in_time(tclient: TestClient) -> None:
    day1 = (T0 + timedelta(days=1)).isoformat()
    assert get(tclient, f"/camps/c?as_of={day1}")["population"] == 400
    assert get(tclient, "/camps/c")["population"] == 1000
    assert get(tclient, f"/plans/p?as_of={day1}")["status"] == "drafted"
    assert slugs(get(tclient, f"/camps?status=closed&as_of={day1}"), "camp") == []
    assert slugs(get(tclient, f"/camps?plan=q&as_of={day1}"), "camp") == ["d"]
    assert get(tclient, f"/stockpiles/totals?as_of={day1}")["items"]["water"]["on_hand"] == 80000
    before = (T0 - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = tclient.get(f"/camps/c?as_of={before}", headers=auth("viewer"))
    assert response.status_code == 404
    assert "at 2024-04-30" in response.json()["detail"]
    assert get(tclient, f"/camps?as_of={before}")["items"] == []
    offset = (T0 + timedelta(days=1)).astimezone().isoformat()
    assert get(tclient, f"/camps/c?as_of={offset.replace('+', '%2B')}")["population"] == 400


def test_timeline(tclient: TestClient, timed: Planner) -> None:
    entries = get(tclient, "/timeline")["items"]
    assert [(e["kind"], e["slug"], e["to"]) for e in entries][-2:] == [
        ("camp", "d", "closed"),
        ("plan", "p", "activated"),
    ]
    assert all(e["at"].startswith("2024-05-0") for e in entries)
    camp_d = get(tclient, "/timeline?camp=d")["items"]
    assert {e["slug"] for e in camp_d} == {"d"}
    plan_p = get(tclient, "/timeline?plan=p")["items"]
    assert {e["slug"] for e in plan_p} == {"p", "c"}
    assert {e["kind"] for e in get(tclient, "/timeline?kind=plan")["items"]} == {"plan"}
    day1 = (T0 + timedelta(days=1)).isoformat()
    assert all(e["to"] != "closed" for e in get(tclient, f"/timeline?as_of={day1}")["items"])
    assert len(get(tclient, "/timeline?limit=1")["items"]) == 1


def test_3w_json_with_filters(tclient: TestClient) -> None:
    rows = get(tclient, "/3w")["items"]
    assert [(r["partner"], r["sector"], r["camp"]) for r in rows] == [
        ("biz", "CCM", "c"),
        ("amda", "HEA", "c"),
        ("amda", "WSH", "c"),
    ]
    assert rows[0]["kind"] == "business"
    assert rows[0]["population"] == 1000
    assert [r["population"] for r in rows[1:]] == [None, None]  # once per camp
    assert get(tclient, "/3w?sector=WSH")["items"][0]["population"] == 1000
    assert [r["sector"] for r in get(tclient, "/3w?partner=amda")["items"]] == ["HEA", "WSH"]
    assert [r["partner"] for r in get(tclient, "/3w?sector=CCM")["items"]] == ["biz"]
    assert get(tclient, "/3w?plan=q")["items"] == []
    assert get(tclient, "/3w?camp=c&location=Riverside&status=active")["total"] == 3


def test_3w_csv_has_hxl_hashtags_on_the_second_row(tclient: TestClient) -> None:
    response = tclient.get("/3w.csv?plan=p", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [column for column, _ in THREE_W_COLUMNS]
    assert rows[1] == [tag for _, tag in THREE_W_COLUMNS]
    first = dict(zip(rows[0], rows[2], strict=True))
    assert first == {
        "partner": "biz",
        "partner_name": "Logistics Co",
        "kind": "business",
        "lead": "lead",
        "sector": "CCM",
        "camp": "c",
        "site_name": "c",
        "site_kind": "camp",
        "location": "Riverside",
        "adm1": "",
        "adm2": "",
        "lat": "",
        "lon": "",
        "plan": "p",
        "status": "active",
        "since": T0.isoformat(),
        "population": "1000",
    }
    assert [r[-1] for r in rows[3:]] == ["", ""]  # the camp's population is counted once
    assert len(rows) == 5
    as_of = tclient.get(
        f"/3w.csv?as_of={(T0 + timedelta(hours=1)).isoformat()}", headers=auth("viewer")
    )
    assert list(csv.reader(io.StringIO(as_of.text)))[2][-1] == "400"


def test_after_waits_for_a_commands_events(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(world)
    response = client.post("/camps/c/arrivals", json={"people": 100}, headers=auth("admin"))
    position = response.json()["position"]
    stale = get(client, "/camps/c")  # no follower thread here: the views lag
    assert stale["population"] == 400
    fresh = client.get(f"/camps/c?after={position}", headers=auth("viewer"))
    assert fresh.json()["population"] == 500
    assert int(fresh.headers["x-views-position"]) >= position
    for path in (
        "/camps",
        "/plans/p",
        "/plans",
        "/stockpiles",
        "/stockpiles/depot-amda",
        "/stockpiles/totals",
        "/timeline",
        "/3w",
        "/3w.csv",
    ):
        ok = client.get(f"{path}?after={position}", headers=auth("viewer"))
        assert ok.status_code == 200, path
        assert ok.headers["x-views-position"] == str(position)


def test_after_with_the_follower_thread(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    world.follower.start()
    client = make_client(world)
    for people in (1, 2, 3):
        position = client.post(
            "/camps/c/arrivals", json={"people": people}, headers=auth("admin")
        ).json()["position"]
        view = get(client, f"/camps/c?after={position}")
        assert view["position"] == position
    assert view["population"] == 406


def test_after_beyond_the_views_is_503_when_another_process_projects(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(world, ApiSettings(projector="external", wait_timeout=0.2))
    position = client.post("/camps/c/arrivals", json={"people": 100}, headers=auth("admin")).json()[
        "position"
    ]
    response = client.get(f"/camps/c?after={position}", headers=auth("viewer"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["x-views-position"]) == position - 1
    assert response.json()["field"] == "after"
    world.catch_up()  # the other process catches up
    assert get(client, f"/camps/c?after={position}")["population"] == 500
    assert last_position(world) == position
