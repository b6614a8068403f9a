"""The supply pipeline over HTTP (issue 16, item 4): per plan and per area, now, as of a time,
after a command's position; unknown plans and areas are 404 problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from domain.clock import iso_utc
from planner.wiring import Planner
from tests.api.conftest import auth
from tests.api.test_logistics_api import START, logistics  # noqa: F401  (a fixture)


def rows(doc: dict) -> dict[str, dict]:
    return {row["item"]: row for row in doc["items"]}


def test_a_plans_pipeline_now_as_of_and_after(
    logistics: Planner,  # noqa: F811
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(logistics)
    get = lambda url: client.get(url, headers=auth("viewer"))  # noqa: E731
    found = get("/plans/p/pipeline").json()
    assert (found["scope"], found["code"], found["camps"]) == ("plan", "p", ["c"])
    water = rows(found)["water"]
    # o1 (plan p): 1,000 − 300 accepted; o3 is plan q's; t1 (100 L) and t-late (50 L) on the road
    assert (water["offered"], water["accepted"], water["in_transit"]) == (700, 300, 150)
    assert water["committed"] == water["reserved"] + 300 + 150
    assert (water["delivered"], water["distributed"]) == (20_000, 0)
    blanket = rows(found)["blanket"]
    assert (blanket["offered"], blanket["shortfall"], blanket["uncommitted"]) == (50, 400, 400)
    assert found["not_needed"] == ["o-soon", "o1"]  # nobody in plan p lacks water or soap

    response = client.post(
        "/offers/o2/accept", json={"camp": "c", "quantity": 20}, headers=auth("coord")
    )
    assert response.status_code == 200, response.text
    after = get(f"/plans/p/pipeline?after={response.json()['position']}")
    assert "X-Views-Position" in after.headers
    blanket = rows(after.json())["blanket"]
    assert (blanket["offered"], blanket["accepted"], blanket["uncommitted"]) == (30, 20, 380)

    before = iso_utc(START + timedelta(seconds=-1))
    assert get(f"/plans/p/pipeline?as_of={before}").status_code == 404
    then = get(f"/plans/p/pipeline?as_of={iso_utc(START)}").json()
    assert rows(then)["water"]["in_transit"] == 150
    missing = get("/plans/nope/pipeline")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_an_areas_pipeline(
    logistics: Planner,  # noqa: F811
    make_client: Callable[..., TestClient],
) -> None:
    logistics.service.execute(
        "establish_camp",
        {
            "camp": "e",
            "plan": "q",
            "location": "Bay",
            "site_area_m2": 10_000,
            "shelter_capacity": 300,
            "adm1": "JP03",
            "adm2": "JP03202",
        },
    )
    logistics.service.execute("register_arrivals", {"camp": "e", "people": 100})
    logistics.catch_up()
    client = make_client(logistics)
    found = client.get("/areas/adm2/JP03202/pipeline", headers=auth("viewer")).json()
    assert (found["scope"], found["plans"], found["camps"]) == ("adm2", ["q"], ["e"])
    water = rows(found)["water"]
    assert water["offered"] == 10  # o3 is plan q's; o1 is plan p's
    assert water["shortfall"] == 100 * 15 * 3
    assert rows(found)["blanket"]["offered"] == 50  # o2 names no plan
    assert client.get("/areas/adm1/JP03/pipeline", headers=auth("viewer")).json() == found | {
        "scope": "adm1",
        "code": "JP03",
    }
    unknown = client.get("/areas/adm1/XX/pipeline", headers=auth("viewer"))
    assert unknown.status_code == 404
    assert "no camp carries adm1 code 'XX'" in unknown.json()["detail"]
