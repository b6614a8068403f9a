"""The fast read path and what schemathesis found: inline view reads, bounded waits and streams,
non-UTF-8 bodies, huge If-Match versions, OpenAPI links."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.context import ApiSettings
from api.inline_views import InlineViews, PostgresInlineViews
from planner.wiring import Planner, open_planner
from tests.api.conftest import auth, build_world, last_position
from tests.api.test_errors import assert_problem


@pytest.fixture
def file_world(store_url: str) -> Iterator[Planner]:
    """The world in a SQLite file or a PostgreSQL schema (inline reads need one of them)."""
    planner = open_planner(store_url)
    build_world(planner)
    planner.service.execute("register_arrivals", {"camp": "c", "people": 100})
    planner.catch_up()
    yield planner
    planner.close()


def test_inline_reads_answer_the_same_bytes_as_the_planner(file_world: Planner) -> None:
    inline = InlineViews.for_store(file_world.views)
    assert inline is not None
    try:
        checked = 0
        for kind in ("camp", "plan", "stockpile"):
            for doc in file_world.queries.views(kind):
                expected = orjson.dumps(file_world.queries.view(kind, doc["id"]), default=str)
                assert inline.get(kind, doc["id"]) == expected
                checked += 1
        assert checked >= 6
        assert inline.get("camp", "no-such-id") is None
    finally:
        inline.close()


def test_inline_reads_only_for_stores_in_a_database(planner: Planner) -> None:
    assert InlineViews.for_store(planner.views) is None  # memory: the planner's path


def test_one_view_endpoints_over_a_database(
    file_world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(file_world)
    assert client.app.state.api.inline_views is not None  # type: ignore[attr-defined]
    for path, key, value in (
        ("/camps/c", "population", 500),
        ("/plans/p", "plan", "p"),
        ("/stockpiles/depot-amda", "stockpile", "depot-amda"),
    ):
        response = client.get(path, headers=auth("viewer"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()[key] == value
    assert_problem(client.get("/camps/nowhere", headers=auth("viewer")), 404, "not-found", "camp")
    before = client.get("/camps/c?as_of=1999-01-01T00:00:00Z", headers=auth("viewer"))
    assert_problem(before, 404, "not-found", "camp")
    position = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("admin")).json()[
        "position"
    ]
    fresh = client.get(f"/camps/c?after={position}", headers=auth("viewer"))
    assert fresh.json()["population"] == 501
    assert fresh.headers["x-views-position"] == str(position)
    then = fresh.json()["updated_at"]  # the arrival's moment: as of then, as of now
    past = client.get("/camps/c", params={"as_of": then}, headers=auth("viewer"))
    assert past.status_code == 200, past.text
    assert past.json() == fresh.json()
    camp_id = fresh.json()["id"]
    earlier = datetime.fromisoformat(then) - timedelta(microseconds=1)
    before_arrival = client.get(
        "/camps/c", params={"as_of": earlier.isoformat()}, headers=auth("viewer")
    )
    assert before_arrival.json() == file_world.queries.view("camp", camp_id, as_of=earlier)
    assert before_arrival.json()["population"] == 500


def test_after_beyond_the_last_event_is_409_at_once(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(world, ApiSettings(wait_timeout=30))
    beyond = last_position(world) + 1
    for path in ("/camps/c", "/camps", "/plans/p", "/timeline", "/3w.csv"):
        response = client.get(f"{path}?after={beyond}", headers=auth("viewer"))
        doc = assert_problem(response, 409, "position-not-stored", "after")
        assert f"position {beyond}" in doc["detail"]
    ok = client.get(f"/camps/c?after={beyond - 1}", headers=auth("viewer"))
    assert ok.status_code == 200


def test_a_body_that_is_not_utf8_is_422(client: TestClient) -> None:
    response = client.post(
        "/camps/c/arrivals",
        content=b'{"people": "\xff"}',
        headers=auth("admin", **{"Content-Type": "application/json"}),
    )
    doc = assert_problem(response, 422, "validation", "body")
    assert "UTF-8" in doc["detail"]


def test_the_event_stream_ends_after_its_longest_duration(
    world: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(world, ApiSettings(stream_max_duration=0.3, stream_poll_interval=0.05))
    with client.stream("GET", "/events/stream", headers=auth("viewer")) as r:
        text = "".join(r.iter_text())
    assert text == "retry: 1000\n\n"  # nothing new: the stream ends, the client reconnects


def test_the_openapi_document_links_created_entities_to_their_operations(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    links = paths["/camps"]["post"]["responses"]["201"]["links"]
    assert links["register_arrivals"] == {
        "operationId": "register_arrivals",
        "parameters": {"camp": "$response.body#/slug"},
        "description": "the camp just created",
    }
    ids = {op["operationId"] for item in paths.values() for op in item.values()}
    for resource in ("/partners", "/plans", "/stockpiles", "/camps"):
        targets = paths[resource]["post"]["responses"]["201"]["links"].values()
        assert targets and all(t["operationId"] in ids for t in targets)


def test_an_if_match_beyond_any_version_is_422(client: TestClient) -> None:
    response = client.post(
        "/partners/pwj/withdraw",
        json={},
        headers=auth("admin", **{"If-Match": '"20000000000000000000"'}),
    )
    assert_problem(response, 422, "validation", "If-Match")


@pytest.mark.parametrize(
    "query", ["offset=18446744073709551616", "after=18446744073709551616", "offset=-1"]
)
def test_out_of_range_numbers_are_422(client: TestClient, query: str) -> None:
    paths = ("/camps", "/timeline") if query.startswith("offset") else ("/camps", "/events")
    for path in paths:
        response = client.get(f"{path}?{query}", headers=auth("viewer"))
        assert_problem(response, 422, "validation", query.split("=")[0])


@pytest.mark.parametrize("last_event_id", ["²", "18446744073709551616", "x"])
def test_a_foreign_last_event_id_streams_from_now(
    world: Planner, make_client: Callable[..., TestClient], last_event_id: str
) -> None:
    client = make_client(world, ApiSettings(stream_max_duration=0.2, stream_poll_interval=0.05))
    headers: dict[str, Any] = auth("viewer")
    headers["Last-Event-ID"] = last_event_id.encode("latin-1")  # '²' is a digit to str.isdigit
    with client.stream("GET", "/events/stream", headers=headers) as r:
        assert r.status_code == 200
        assert "".join(r.iter_text()) == "retry: 1000\n\n"


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_inline_reads_on_postgres_share_a_few_connections(file_world: Planner) -> None:
    """Thirty-two threads reading at once open at most `size` connections to PostgreSQL."""
    inline = InlineViews.for_store(file_world.views)
    assert isinstance(inline, PostgresInlineViews)
    camp_id = file_world.queries.views("camp")[0]["id"]
    try:
        with ThreadPoolExecutor(32) as pool:
            bodies = set(pool.map(lambda _: inline.get("camp", camp_id), range(400)))
        assert len(bodies) == 1 and None not in bodies
        assert 1 <= len(inline._connections) <= PostgresInlineViews.size
    finally:
        inline.close()
