"""Idempotency-Key: a retried command replays its first response and stores nothing new."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.context import ApiContext
from api.idempotency import IdempotencyStore
from planner.wiring import Planner, open_planner
from tests.api.conftest import auth, build_world, last_position


def key(value: str, token: str = "admin") -> dict[str, str]:
    return auth(token, **{"Idempotency-Key": value})


def test_a_retry_with_the_same_key_and_body_replays_the_first_response(
    client: TestClient, world: Planner
) -> None:
    body = {"people": 25, "under5": 3}
    first = client.post("/camps/c/arrivals", json=body, headers=key("k-1"))
    assert first.status_code == 200
    stored = last_position(world)
    again = client.post("/camps/c/arrivals", json={"under5": 3, "people": 25}, headers=key("k-1"))
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert last_position(world) == stored
    view = client.get(f"/camps/c?after={stored}", headers=auth("viewer")).json()
    assert view["population"] == 425


def test_a_created_entity_replays_with_its_location(
    empty_client: TestClient, planner: Planner
) -> None:
    body = {"partner": "pwj", "name": "Peace Winds Japan", "kind": "ngo"}
    first = empty_client.post("/partners", json=body, headers=key("create-pwj"))
    again = empty_client.post("/partners", json=body, headers=key("create-pwj"))
    assert first.status_code == again.status_code == 201
    assert again.headers["location"] == "/partners/pwj"
    assert again.content == first.content
    assert last_position(planner) == 1


def test_the_same_key_with_another_body_is_422(client: TestClient, world: Planner) -> None:
    client.post("/camps/c/arrivals", json={"people": 25}, headers=key("k-2"))
    stored = last_position(world)
    for path, body in (
        ("/camps/c/arrivals", {"people": 26}),
        ("/camps/c/departures", {"people": 25}),
    ):
        response = client.post(path, json=body, headers=key("k-2"))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith(":idempotency-key-reused")
        assert response.json()["field"] == "Idempotency-Key"
    assert last_position(world) == stored


def test_keys_belong_to_their_caller(client: TestClient, world: Planner) -> None:
    first = client.post("/camps/c/arrivals", json={"people": 1}, headers=key("shared", "admin"))
    other = client.post("/camps/c/arrivals", json={"people": 1}, headers=key("shared", "coord"))
    assert other.status_code == 200
    assert "idempotent-replayed" not in other.headers
    assert other.json()["version"] == first.json()["version"] + 1


def test_a_failed_command_does_not_keep_its_key(client: TestClient, world: Planner) -> None:
    too_much = {"camp": "c", "item": "water", "quantity": 90_000}
    refused = client.post("/stockpiles/depot-amda/dispatches", json=too_much, headers=key("k-3"))
    assert refused.status_code == 409
    again = client.post("/stockpiles/depot-amda/dispatches", json=too_much, headers=key("k-3"))
    assert again.status_code == 409  # run again, not replayed
    world.service.execute(
        "receive_supplies", {"stockpile": "depot-amda", "item": "water", "quantity": 20_000}
    )
    now_fine = client.post("/stockpiles/depot-amda/dispatches", json=too_much, headers=key("k-3"))
    assert now_fine.status_code == 200


def test_a_forbidden_command_does_not_claim_its_key(client: TestClient) -> None:
    body = {"people": 2}
    assert (
        client.post("/camps/c/arrivals", json=body, headers=key("k-4", "amda")).status_code == 403
    )
    assert (
        client.post("/camps/c/arrivals", json=body, headers=key("k-4", "amda")).status_code == 403
    )


def test_a_key_held_by_a_running_request_is_409(client: TestClient) -> None:
    context: ApiContext = client.app.state.api  # type: ignore[attr-defined]
    body = {"people": 2}
    fingerprint = hashlib.sha256(
        orjson.dumps(
            ["register_arrivals", {"camp": "c", "people": 2}, None], option=orjson.OPT_SORT_KEYS
        )
    ).hexdigest()
    assert context.idempotency.claim("admin:-", "k-5", fingerprint)
    response = client.post("/camps/c/arrivals", json=body, headers=key("k-5"))
    assert response.status_code == 409
    assert response.json()["type"].endswith(":idempotency-key-in-use")
    assert response.headers["retry-after"] == "1"


def test_malformed_keys_are_422(client: TestClient) -> None:
    for bad in ("has space", "x" * 201):
        response = client.post("/camps/c/arrivals", json={"people": 1}, headers=key(bad))
        assert response.status_code == 422
        assert response.json()["field"] == "Idempotency-Key"


def test_keys_are_kept_in_the_database_shared_by_server_processes(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    url = str(tmp_path / "planner.sqlite")
    first_process = open_planner(url)
    second_process = open_planner(url)
    try:
        build_world(first_process)
        one = make_client(first_process).post(
            "/camps/c/arrivals", json={"people": 7}, headers=key("k-6")
        )
        stored = last_position(first_process)
        two = make_client(second_process).post(
            "/camps/c/arrivals", json={"people": 7}, headers=key("k-6")
        )
        assert two.status_code == 200
        assert two.content == one.content
        assert two.headers["idempotent-replayed"] == "true"
        assert last_position(second_process) == stored
    finally:
        second_process.close()
        first_process.close()


def test_a_key_is_stored_in_its_commands_transaction_or_not_at_all(
    stored: Planner, make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite and PostgreSQL: the key's record is written in the events' transaction; if that
    transaction fails after writing it, neither the events nor the key are stored."""
    client = make_client(stored)
    context: ApiContext = client.app.state.api  # type: ignore[attr-defined]
    assert context.idempotency.in_events_transaction
    before = last_position(stored)
    real = IdempotencyStore._insert

    def crash_after_writing(self: IdempotencyStore, cursor: Any, *args: Any) -> None:
        real(self, cursor, *args)
        raise RuntimeError("the process dies before the commit")

    monkeypatch.setattr(IdempotencyStore, "_insert", crash_after_writing)
    with pytest.raises(RuntimeError, match="dies before the commit"):
        client.post("/camps/c/arrivals", json={"people": 3}, headers=key("k-7"))
    assert last_position(stored) == before
    assert context.idempotency.lookup("admin:-", "k-7") is None
    monkeypatch.undo()
    first = client.post("/camps/c/arrivals", json={"people": 3}, headers=key("k-7"))
    again = client.post("/camps/c/arrivals", json={"people": 3}, headers=key("k-7"))
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    assert last_position(stored) == first.json()["position"]
    assert context.idempotency.lookup("admin:-", "k-7") is not None


def test_keys_are_shared_by_processes_on_both_stores(
    make_store_url: Callable[[], str], make_client: Callable[..., TestClient]
) -> None:
    url = make_store_url()
    first_process, second_process = open_planner(url), open_planner(url)
    try:
        build_world(first_process)
        one = make_client(first_process).post(
            "/camps/c/arrivals", json={"people": 7}, headers=key("k-8")
        )
        two = make_client(second_process).post(
            "/camps/c/arrivals", json={"people": 7}, headers=key("k-8")
        )
        other = make_client(second_process).post(
            "/camps/c/arrivals", json={"people": 8}, headers=key("k-8")
        )
        assert two.status_code == 200 and two.content == one.content
        assert two.headers["idempotent-replayed"] == "true"
        assert other.status_code == 422
        assert last_position(second_process) == one.json()["position"]
    finally:
        second_process.close()
        first_process.close()
