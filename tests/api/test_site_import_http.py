"""Site lists over HTTP: POST /sites/import?plan=… for the plan's coordinators; a bad list gets
a 422 naming every fault and stores nothing; other roles get 403."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planner.wiring import Planner, open_planner
from tests.api.conftest import auth, build_world
from tests.projections_helpers import stored_records

SAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "sample-sites.csv").read_bytes()
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def planner() -> Iterator[Planner]:
    planner = open_planner("memory:")
    build_world(planner)  # pwj coordinates plan p
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture
def client(planner: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(planner)


def test_a_coordinator_imports_a_site_list(client: TestClient, planner: Planner) -> None:
    response = client.post("/sites/import?plan=p", content=SAMPLE, headers=auth("coord", **CSV))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["sites"], body["people"], body["camps"][0]) == (6, 3_070, "miyako-gym")
    area = client.get(f"/areas/adm2/03202?after={body['position']}", headers=auth("viewer")).json()
    assert area["population"] == 1_200


def test_a_bad_list_is_refused_whole(client: TestClient, planner: Planner) -> None:
    before = len(stored_records(planner.service))
    bad = SAMPLE.replace(b"39.2761", b"north").replace(b",500,2500", b",500,-1")
    response = client.post(
        "/sites/import?plan=p&name=iwate.csv", content=bad, headers=auth("coord", **CSV)
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["problems"][0].startswith("row 4, column H (#geo+lat): 'north': not a number")
    assert problem["problems"][1].startswith("row 4, column L (#loc+area)")
    assert "iwate.csv: row 4" in problem["detail"] and "nothing was imported" in problem["detail"]
    assert len(stored_records(planner.service)) == before


@pytest.mark.parametrize(
    ("token", "status"), [("viewer", 403), ("amda", 403), ("coord-other", 403)]
)
def test_only_the_plans_coordinators_import(client: TestClient, token: str, status: int) -> None:
    response = client.post("/sites/import?plan=p", content=SAMPLE, headers=auth(token, **CSV))
    assert response.status_code == status, response.text


def test_an_empty_or_huge_body_is_refused(client: TestClient) -> None:
    empty = client.post("/sites/import?plan=p", content=b"", headers=auth("coord", **CSV))
    assert empty.status_code == 422
    huge = client.post(
        "/sites/import?plan=p", content=b"x" * 2_000_001, headers=auth("coord", **CSV)
    )
    assert huge.status_code == 413
