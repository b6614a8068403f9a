"""Probes, the OpenAPI document, and errors nobody planned for."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.context import ApiContext
from domain.commands import COMMANDS
from planner.wiring import Planner
from tests.api.conftest import auth, last_position


def test_healthz(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_reports_the_projection_lag(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(world)
    assert client.get("/readyz").json() == {
        "status": "ready",
        "database": "ok",
        "last_position": last_position(world),
        "views_position": last_position(world),
        "lag": 0,
        "projector": "in-process",
        "quarantined": 0,
    }
    client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
    client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
    assert client.get("/readyz").json()["lag"] == 2
    world.catch_up()
    assert client.get("/readyz").json()["lag"] == 0


def test_readyz_is_503_when_the_database_does_not_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    context: ApiContext = client.app.state.api  # type: ignore[attr-defined]

    def broken() -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(context, "last_position", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "error: OperationalError"
    assert "disk I/O" not in response.text


def test_a_database_failure_in_a_request_is_a_503_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    context: ApiContext = client.app.state.api  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked at /secret/path")

    monkeypatch.setattr(context.planner.queries, "view", broken)
    response = client.get("/camps/c", headers=auth("viewer"))
    assert response.status_code == 503
    assert response.json()["type"].endswith(":database-unavailable")
    assert "/secret/path" not in response.text


def test_an_unexpected_error_is_a_bare_500_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    context: ApiContext = client.app.state.api  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(context.planner.queries, "view", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    response = quiet.get("/camps/c", headers=auth("viewer"))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(":internal")
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_the_openapi_document_has_every_operation_schema_and_example(
    empty_client: TestClient,
) -> None:
    doc = empty_client.get("/openapi.json").json()
    operations = {
        op["operationId"]: op
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert set(COMMANDS) <= set(operations)
    schemas = doc["components"]["schemas"]
    for command in COMMANDS:
        name = "".join(p.capitalize() for p in command.split("_")) + "Request"
        assert schemas[name]["additionalProperties"] is False, name
        assert "examples" in schemas[name], name
        responses = operations[command]["responses"]
        for code in ("401", "403", "404", "409", "412", "422"):
            assert "application/problem+json" in responses[code]["content"], (command, code)
    assert schemas["PledgeFundsRequest"]["properties"]["amount"]["exclusiveMinimum"] == 0
    assert "JPY" in schemas["PledgeFundsRequest"]["properties"]["currency"]["enum"]
    assert "water" in schemas["DispatchSuppliesRequest"]["properties"]["item"]["enum"]
    for name in (
        "CampView",
        "PlanView",
        "StockpileView",
        "CommandResponse",
        "Problem",
        "ThreeWRow",
        "TimelineEntry",
        "StoredEventRecord",
        "ScenarioReport",
        "Readiness",
    ):
        assert name in schemas, name
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path in (
        "/camps",
        "/camps/{camp}",
        "/plans",
        "/plans/{plan}",
        "/stockpiles",
        "/stockpiles/{stockpile}",
        "/stockpiles/totals",
        "/timeline",
        "/3w",
        "/3w.csv",
        "/events",
        "/events/stream",
        "/scenarios/replay",
        "/scenarios/check",
        "/healthz",
        "/readyz",
        "/partners/{partner}",
    ):
        assert path in doc["paths"], path
