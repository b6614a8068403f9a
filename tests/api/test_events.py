"""The notification log over HTTP: pages of events, and the server-sent-event stream."""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi.testclient import TestClient

from api.context import ApiSettings
from planner.wiring import Planner
from tests.api.conftest import WORLD, auth, last_position


def test_events_page_through_the_log_with_decoded_state(client: TestClient, world: Planner) -> None:
    first = client.get("/events?limit=5", headers=auth("viewer")).json()
    assert [e["id"] for e in first["items"]] == [1, 2, 3, 4, 5]
    assert first["next_after"] == 5
    assert first["last_position"] == last_position(world)
    event = first["items"][0]
    assert event["topic"] == "domain.partner:Partner.Registered"
    assert event["originator_id"] == str(world.service.id_of("partner", "pwj"))
    assert event["version"] == 1
    assert event["state"]["slug"] == "pwj"
    assert event["state"]["name"] == "Peace Winds Japan"
    assert event["state"]["timestamp"].startswith("20")  # a datetime, as ISO 8601
    rest = client.get("/events?after=5&limit=1000", headers=auth("viewer")).json()
    assert rest["items"][0]["id"] == 6
    assert rest["next_after"] == last_position(world)
    assert len(first["items"]) + len(rest["items"]) == last_position(world)
    dispatched = [e for e in rest["items"] if e["topic"].endswith("SuppliesDispatched")]
    assert dispatched[0]["state"]["camp_id"] == str(world.service.id_of("camp", "c"))
    done = client.get(f"/events?after={last_position(world)}", headers=auth("viewer")).json()
    assert done == {
        "items": [],
        "next_after": last_position(world),
        "last_position": last_position(world),
    }
    assert len(WORLD) <= last_position(world)


def test_events_need_a_token_and_valid_bounds(client: TestClient) -> None:
    assert client.get("/events").status_code == 401
    assert client.get("/events?limit=0", headers=auth("viewer")).status_code == 422
    assert client.get("/events?after=-1", headers=auth("viewer")).status_code == 422


def parse_sse(text: str) -> list[dict]:
    messages = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
        )
        if "data" in fields:
            messages.append({"id": int(fields["id"]), "data": orjson.loads(fields["data"])})
    return messages


def test_the_stream_sends_events_after_a_position(client: TestClient, world: Planner) -> None:
    with client.stream("GET", "/events/stream?after=3&limit=4", headers=auth("viewer")) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert text.startswith("retry: 1000")
    messages = parse_sse(text)
    assert [m["id"] for m in messages] == [4, 5, 6, 7]
    assert messages[0]["data"]["id"] == 4
    assert messages[0]["data"]["topic"].endswith("Partner.Registered")


def test_the_stream_follows_new_events(client: TestClient, world: Planner) -> None:
    start = last_position(world)
    client.post("/camps/c/arrivals", json={"people": 3}, headers=auth("admin"))
    headers = auth("viewer", **{"Last-Event-ID": str(start)})
    with client.stream("GET", "/events/stream?limit=1", headers=headers) as r:
        messages = parse_sse("".join(r.iter_text()))
    assert [m["id"] for m in messages] == [start + 1]
    assert messages[0]["data"]["state"]["people"] == 3


def test_a_stream_ends_after_a_bounded_time_and_streams_per_token_are_limited(
    world: Planner, make_client: Any
) -> None:
    settings = ApiSettings(
        stream_max_duration=0.5, stream_poll_interval=0.02, max_streams_per_token=1
    )
    client = make_client(world, settings)
    started = time.monotonic()
    with client.stream("GET", "/events/stream", headers=auth("viewer")) as first:
        assert first.status_code == 200
        second = client.get("/events/stream", headers=auth("viewer"))
        assert second.status_code == 429
        assert second.json()["type"].endswith(":too-many-streams")
        assert "Retry-After" in second.headers
        with client.stream("GET", "/events/stream?limit=1", headers=auth("amda")) as other:
            assert other.status_code == 200  # another token has slots of its own
        "".join(first.iter_text())  # no limit, nothing new: the stream ends by itself
    assert time.monotonic() - started < 10
    with client.stream("GET", "/events/stream", headers=auth("viewer")) as again:
        assert again.status_code == 200  # the slot was given back
