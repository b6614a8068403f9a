"""Racing clients on one SQLite or PostgreSQL store: nothing lost, invariants kept."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from domain.camp import Camp
from planner.wiring import Planner
from tests.api.conftest import auth

THREADS = 6


def race(calls: list[Callable[[], object]]) -> list:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_racing_commands_without_if_match_all_succeed(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(stored)
    responses = race(
        [
            lambda: client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
            for _ in range(24)
        ]
    )
    assert [r.status_code for r in responses] == [200] * 24
    assert len({r.json()["version"] for r in responses}) == 24
    last = max(r.json()["position"] for r in responses)
    assert client.get(f"/camps/c?after={last}", headers=auth("viewer")).json()["population"] == 424


def test_racing_dispatches_never_take_more_than_the_stock(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(stored)
    body = {"camp": "c", "item": "water", "quantity": 7000}  # 80,000 on hand: 11 fit
    responses = race(
        [
            lambda: client.post(
                "/stockpiles/depot-amda/dispatches", json=body, headers=auth("amda")
            )
            for _ in range(16)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 11 + [409] * 5
    last = max(r.json()["position"] for r in responses if r.status_code == 200)
    depot = client.get(f"/stockpiles/depot-amda?after={last}", headers=auth("viewer")).json()
    assert depot["items"]["water"]["on_hand"] == 80_000 - 11 * 7000
    camp = client.get("/camps/c", headers=auth("viewer")).json()
    assert camp["stock"]["water"] == 20_000 + 11 * 7000


def test_racing_commands_with_the_same_if_match_let_exactly_one_through(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(stored)
    version = client.get("/partners/amda", headers=auth("viewer"))  # warm up the app
    etag = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin")).headers[
        "etag"
    ]
    responses = race(
        [
            lambda: client.post(
                "/camps/c/arrivals", json={"people": 1}, headers=auth("admin", **{"If-Match": etag})
            )
            for _ in range(8)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [412] * 7
    assert version.status_code == 200


def test_racing_retries_with_one_idempotency_key_store_once(
    stored: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(stored)
    before = stored.service.recorder.max_notification_id()
    responses = race(
        [
            lambda: client.post(
                "/camps/c/arrivals",
                json={"people": 5},
                headers=auth("admin", **{"Idempotency-Key": "once"}),
            )
            for _ in range(8)
        ]
    )
    assert {r.status_code for r in responses} <= {200, 409}
    assert stored.service.recorder.max_notification_id() == (before or 0) + 1
    ok = [r for r in responses if r.status_code == 200]
    assert len({r.content for r in ok}) == 1
    in_use = [r for r in responses if r.status_code == 409]
    assert all(r.json()["type"].endswith(":idempotency-key-in-use") for r in in_use)


def test_version_conflicts_are_retried_then_reported(
    world: Planner, make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from domain.errors import ConcurrencyError

    client = make_client(world)
    real = world.service.execute
    failures = {"left": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConcurrencyError("another writer changed the same entity first")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world.service, "execute", flaky)
    failures["left"] = 3  # fewer than the 12 attempts: retried until it succeeds
    assert (
        client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin")).status_code
        == 200
    )
    failures["left"] = 12  # every attempt fails
    response = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin"))
    assert response.status_code == 409
    assert response.json()["type"].endswith(":concurrent-change")
    assert response.headers["retry-after"] == "1"
    failures["left"] = 1  # with If-Match a conflict is not retried: the version moved
    version = world.service.load("camp", "c", Camp).version
    response = client.post(
        "/camps/c/arrivals",
        json={"people": 1},
        headers=auth("admin", **{"If-Match": f'"{version}"'}),
    )
    assert response.status_code == 412
