"""Every kind of error: problem+json with type, title, detail, field; nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from planner.wiring import Planner
from tests.api.conftest import auth, last_position

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, kind: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    doc = response.json()
    assert doc["type"] == f"urn:response-planner:problem:{kind}"
    assert doc["status"] == status
    assert doc["title"] and doc["detail"]
    assert "Traceback" not in response.text
    if field is not None:
        assert doc["field"] == field
    return doc


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/camps/c/arrivals", {"people": 5, "babies": 1}, "babies", "unknown field"),
        ("/camps/c/arrivals", {"people": "5"}, "people", "valid integer"),
        ("/camps/c/arrivals", {"people": 5.5}, "people", "valid integer"),
        ("/camps/c/arrivals", {"people": True}, "people", "valid integer"),
        ("/camps/c/arrivals", {"people": 0}, "people", "greater than 0"),
        ("/camps/c/arrivals", {"people": -3}, "people", "greater than 0"),
        ("/camps/c/arrivals", {"people": 5, "under5": -1}, "under5", "greater than or equal"),
        ("/camps/c/arrivals", {}, "people", "Field required"),
        ("/stockpiles/depot-amda/receipts", {"item": "gold", "quantity": 1}, "item", "'gold'"),
        (
            "/stockpiles/depot-amda/receipts",
            {"item": "water", "quantity": 0},
            "quantity",
            "greater than 0",
        ),
        (
            "/plans/p/pledges",
            {"partner": "amda", "amount": 5, "currency": "XYZ"},
            "currency",
            "'XYZ'",
        ),
        (
            "/plans/p/pledges",
            {"partner": "amda", "amount": -5, "currency": "EUR"},
            "amount",
            "greater than 0",
        ),
        ("/plans/p/join", {"partner": "amda", "role": "boss"}, "role", "'boss'"),
        ("/camps/c/sectors", {"sector": "XXX", "partner": "amda"}, "sector", "'XXX'"),
        ("/camps/c/facilities", {"facility": "pool", "count": 1}, "facility", "'pool'"),
        ("/camps/c/facilities", {"facility": "latrine", "count": 1.5}, "count", "integer"),
        ("/partners", {"partner": "x", "name": "X", "kind": "cult"}, "kind", "'cult'"),
        ("/partners", {"partner": "x y", "name": "X", "kind": "ngo"}, "partner", "pattern"),
        ("/partners", {"partner": "x", "name": "   ", "kind": "ngo"}, "name", "pattern"),
        (
            "/partners",
            {"partner": "x", "name": "X", "kind": "ngo", "sectors": ["CCM", "CCM"]},
            "sectors",
            "twice",
        ),
        (
            "/camps",
            {
                "camp": "e",
                "plan": "p",
                "location": "L",
                "site_area_m2": "big",
                "shelter_capacity": 1,
            },
            "site_area_m2",
            "number",
        ),
        (
            "/camps",
            {"camp": "e", "plan": "p", "location": "L", "site_area_m2": 0, "shelter_capacity": 1},
            "site_area_m2",
            "greater than 0",
        ),
        ("/camps/c/sectors/XXX/release", None, "sector", "'XXX'"),
    ],
)
def test_invalid_input_is_422_naming_the_field(
    client: TestClient, world: Planner, path: str, body: Any, field: str, words: str
) -> None:
    before = last_position(world)
    response = client.post(path, json=body, headers=auth("admin"))
    doc = assert_problem(response, 422, "validation", field)
    assert words in doc["detail"], doc["detail"]
    assert doc["errors"][0]["field"] == field
    assert last_position(world) == before


def test_domain_validation_beyond_types_is_422(client: TestClient) -> None:
    response = client.post(
        "/camps/c/arrivals", json={"people": 2, "under5": 3}, headers=auth("admin")
    )
    doc = assert_problem(response, 422, "validation")
    assert "cannot exceed 'people'" in doc["detail"]


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/camps/c/arrivals",
        content=b"{people: 5",
        headers=auth("admin", **{"Content-Type": "application/json"}),
    )
    assert_problem(response, 422, "validation", "body")


def test_a_missing_body_is_422(client: TestClient) -> None:
    response = client.post("/camps/c/arrivals", headers=auth("admin"))
    doc = assert_problem(response, 422, "validation", "body")
    assert "body is required" in doc["detail"]


@pytest.mark.parametrize(
    ("path", "body", "kind", "field"),
    [
        ("/camps/nowhere/arrivals", {"people": 5}, "camp", "camp"),
        (
            "/stockpiles/depot-amda/dispatches",
            {"camp": "nowhere", "item": "water", "quantity": 1},
            "camp",
            "camp",
        ),
        ("/plans/p/join", {"partner": "nobody", "role": "funder"}, "partner", "partner"),
        ("/plans/nope/activate", None, "plan", "plan"),
    ],
)
def test_unknown_entities_are_404(
    client: TestClient, world: Planner, path: str, body: Any, kind: str, field: str
) -> None:
    before = last_position(world)
    doc = assert_problem(
        client.post(path, json=body, headers=auth("admin")), 404, "not-found", field
    )
    assert doc["entity"] == kind
    assert last_position(world) == before


def test_unknown_views_are_404(client: TestClient) -> None:
    for path in ("/camps/nowhere", "/plans/nope", "/stockpiles/none"):
        assert_problem(client.get(path, headers=auth("viewer")), 404, "not-found")


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/nothing/here", headers=auth("viewer")), 404, "not-found")


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/camps/c", headers=auth("admin")), 405, "method-not-allowed")


@pytest.mark.parametrize(
    ("path", "body", "rule"),
    [
        (
            "/stockpiles/depot-amda/dispatches",
            {"camp": "c", "item": "water", "quantity": 10_000_000},
            "never exceeds",
        ),
        ("/camps/c/departures", {"people": 5000}, "departures never exceed the population"),
        ("/plans/p/receipts", {"partner": "gov", "amount": 1, "currency": "EUR"}, "pledge"),
        ("/camps/c/sectors", {"sector": "WSH", "partner": "pwj"}, "lead"),
        ("/plans/p/join", {"partner": "amda", "role": "implementer"}, ""),
    ],
)
def test_domain_refusals_are_409_with_the_rule(
    client: TestClient, world: Planner, path: str, body: Any, rule: str
) -> None:
    before = last_position(world)
    doc = assert_problem(client.post(path, json=body, headers=auth("admin")), 409, "domain-refusal")
    assert rule in doc["rule"]
    assert last_position(world) == before


def test_a_taken_slug_is_409(client: TestClient) -> None:
    response = client.post(
        "/partners", json={"partner": "amda", "name": "A", "kind": "ngo"}, headers=auth("admin")
    )
    doc = assert_problem(response, 409, "already-exists", "partner")
    assert doc["rule"] == "slugs are unique per kind"


def test_a_closed_camp_refuses_everything(client: TestClient) -> None:
    assert client.post("/camps/c/close", headers=auth("admin")).status_code == 200
    response = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
    assert_problem(response, 409, "domain-refusal")


def test_a_stale_if_match_is_412_and_changes_nothing(client: TestClient, world: Planner) -> None:
    first = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
    stale = first.json()["version"] - 1
    before = last_position(world)
    response = client.post(
        "/camps/c/arrivals",
        json={"people": 1},
        headers=auth("admin", **{"If-Match": f'"{stale}"'}),
    )
    doc = assert_problem(response, 412, "precondition-failed", "If-Match")
    assert doc["expected_version"] == stale
    assert doc["actual_version"] == stale + 1
    assert response.headers["etag"] == f'"{stale + 1}"'
    assert last_position(world) == before


def test_if_match_on_an_entity_that_does_not_exist_is_412(client: TestClient) -> None:
    response = client.post(
        "/partners",
        json={"partner": "new", "name": "N", "kind": "ngo"},
        headers=auth("admin", **{"If-Match": '"1"'}),
    )
    assert_problem(response, 412, "precondition-failed")


def test_a_malformed_if_match_is_422(client: TestClient) -> None:
    response = client.post(
        "/camps/c/arrivals", json={"people": 1}, headers=auth("admin", **{"If-Match": "yesterday"})
    )
    assert_problem(response, 422, "validation", "If-Match")


def test_query_parameters_are_validated(client: TestClient) -> None:
    for path, field in (
        ("/camps?limit=0", "limit"),
        ("/camps?limit=100000", "limit"),
        ("/camps?offset=-1", "offset"),
        ("/camps?status=fine", "status"),
        ("/camps?sector=XXX", "sector"),
        ("/camps?as_of=yesterday", "as_of"),
        ("/camps?as_of=1999-04-01T00:00:00", "as_of"),  # no offset
        ("/camps/c?after=-1", "after"),
        ("/stockpiles?item=gold", "item"),
    ):
        doc = assert_problem(client.get(path, headers=auth("viewer")), 422, "validation", field)
        assert doc["errors"][0]["location"] == "query"


def test_a_whole_number_float_is_an_integer_as_json_schema_says(client: Any) -> None:
    response = client.post("/camps/c/arrivals", json={"people": 5.0}, headers=auth("admin"))
    assert response.status_code == 200, response.text
