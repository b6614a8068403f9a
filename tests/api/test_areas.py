"""Areas over HTTP: the list and one area by level and code, now and as of a time, `after`,
site details through POST /camps, and the errors (unknown area, bad code, refused details)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from planner.wiring import Planner, open_planner
from tests.api.conftest import auth, build_world

T0 = datetime(2024, 5, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def planner() -> Iterator[Planner]:
    clock = Clock()
    planner = open_planner("memory:", clock_fn=clock)
    build_world(planner)
    service = planner.service
    for camp, plan, adm2, people in (("a1", "p", "X01", 40), ("a2", "q", "X02", 10)):
        service.execute(
            "establish_camp",
            {
                "camp": camp,
                "plan": plan,
                "location": "Coast",
                "site_area_m2": 9000,
                "shelter_capacity": 100,
                "kind": "evacuation_centre",
                "adm1": "X",
                "adm2": adm2,
                "lat": 39.5,
                "lon": 141.9,
            },
        )
        service.execute("register_arrivals", {"camp": camp, "people": people})
    clock.now = T0 + timedelta(days=1)
    service.execute("close_camp", {"camp": "a2"})
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture
def client(planner: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(planner)


def test_list_of_areas(client: TestClient) -> None:
    response = client.get("/areas", headers=auth("viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(a["level"], a["area"]) for a in body["items"]] == [
        ("adm1", "X"),
        ("adm2", "X01"),
        ("adm2", "X02"),
    ]
    assert body["total"] == 3
    only = client.get("/areas?level=adm2&limit=1", headers=auth("viewer")).json()
    assert [a["area"] for a in only["items"]] == ["X01"] and only["total"] == 2


def test_one_area_now_and_as_of(client: TestClient) -> None:
    now = client.get("/areas/adm1/X", headers=auth("viewer")).json()
    assert now["camps"] == {"ready": 0, "at_risk": 0, "not_ready": 1, "closed": 1}
    assert now["population"] == 40
    assert now["people_by_status"] == {"ready": 0, "at_risk": 0, "not_ready": 40}
    before = client.get(
        "/areas/adm1/X", params={"as_of": "2024-05-01T12:00:00Z"}, headers=auth("viewer")
    ).json()
    assert before["population"] == 50 and before["camps"]["closed"] == 0
    adm2 = client.get("/areas/adm2/X02", headers=auth("viewer")).json()
    assert adm2["adm1"] == "X" and adm2["camps"]["closed"] == 1


def test_after_waits_for_the_views(client: TestClient, planner: Planner) -> None:
    position = planner.service.recorder.max_notification_id()
    response = client.get(f"/areas/adm1/X?after={position}", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.headers["X-Views-Position"] == str(position)


def test_unknown_area_and_bad_codes(client: TestClient) -> None:
    missing = client.get("/areas/adm1/ZZ", headers=auth("viewer"))
    assert missing.status_code == 404
    assert "unknown area" in missing.json()["detail"]
    early = client.get("/areas/adm1/X?as_of=2024-04-01T00:00:00Z", headers=auth("viewer"))
    assert early.status_code == 404
    assert client.get("/areas/adm3/X", headers=auth("viewer")).status_code == 422
    assert client.get("/areas/adm1/X%20Y", headers=auth("viewer")).status_code == 422


def test_camp_site_details_over_http(client: TestClient) -> None:
    view = client.get("/camps/a1", headers=auth("viewer")).json()
    assert (view["kind"], view["adm1"], view["adm2"], view["lat"], view["name"]) == (
        "evacuation_centre",
        "X",
        "X01",
        39.5,
        "a1",
    )
    body = {
        "camp": "z",
        "plan": "p",
        "location": "L",
        "site_area_m2": 10,
        "shelter_capacity": 1,
        "adm2": "X01",
    }
    refused = client.post("/camps", json=body, headers=auth("coord"))
    assert refused.status_code in (409, 422), refused.text
    assert "without adm1" in refused.text
    assert client.get("/camps/z", headers=auth("viewer")).status_code == 404
