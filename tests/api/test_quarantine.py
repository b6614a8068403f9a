"""A projector that never freezes: events that cannot be projected are quarantined.

Events are injected into the store behind the API's back (the recorder, as a buggy writer or a
hand-edited database would), on SQLite and PostgreSQL: the views move on past them, other
organizations' commands reach the views, `/readyz` answers 503 while anything is quarantined,
the dashboard says so, time travel skips them, and `planner rebuild` reports them and finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from domain.camp import Camp
from planner.cli import main
from planner.wiring import Planner
from tests.api.conftest import TOKENS, auth, last_position
from tests.dashboard_helpers import sign_in


def stored_event(planner: Planner, suffix: str) -> tuple[str, dict[str, Any]]:
    """The topic and state of the first stored event whose topic ends with `suffix`."""
    for record in planner.service.recorder.select_notifications(start=1, limit=1000):
        if record.topic.endswith(suffix):
            return record.topic, orjson.loads(record.state)
    raise AssertionError(suffix)


def inject(
    planner: Planner, topic: str, state: dict[str, Any], originator: Any = None, version: int = 1
) -> None:
    """Store one event directly with the recorder (no aggregate, no rule, no API)."""
    planner.service.recorder.insert_events(
        [
            StoredEvent(
                originator_id=originator or uuid4(),
                originator_version=version,
                topic=topic,
                state=orjson.dumps(state),
            )
        ]
    )


def poison(planner: Planner) -> int:
    """Inject events the fold cannot take; return how many."""
    topic, state = stored_event(planner, "Stockpile.SuppliesReceived")
    inject(planner, topic, state)  # a receipt into a stockpile nobody opened
    topic, state = stored_event(planner, "Camp.ArrivalsRegistered")
    state["people"] = 2**64 - 1  # beyond any bound: the camp's state cannot be stored
    camp = planner.service.load("camp", "c", Camp)
    inject(planner, topic, state, camp.id, camp.version + 1)
    inject(planner, "domain.camp:Camp.NoSuchEvent", {"timestamp": state["timestamp"]})
    return 3


def test_poisoned_events_are_quarantined_and_the_views_move_on(
    stored: Planner, make_client: Callable[..., TestClient], store_url: str
) -> None:
    client = make_client(stored)
    count = poison(stored)
    done = client.post("/camps/d/arrivals", json={"people": 7}, headers=auth("coord-other"))
    assert done.status_code == 200, done.text
    position = done.json()["position"]
    camp = client.get(f"/camps/d?after={position}", headers=auth("viewer"))
    assert camp.status_code == 200, camp.text
    assert camp.json()["population"] == 7
    assert client.get("/camps/c", headers=auth("viewer")).json()["population"] == 400

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "quarantined"
    assert ready.json()["quarantined"] == count
    assert ready.json()["lag"] == 0
    entries = stored.views.quarantined()
    assert len(entries) == count
    assert all(entry["error"] for entry in entries)

    # time travel skips them too
    now = client.get("/camps/c?as_of=2100-01-01T00:00:00Z", headers=auth("viewer"))
    assert now.status_code == 200, now.text
    assert now.json()["population"] == 400

    with TestClient(client.app, base_url="http://127.0.0.1") as browser:
        assert sign_in(browser, TOKENS["viewer"][0]).status_code == 303
        page = browser.get("/dashboard/timeline")
        assert page.status_code == 200
        assert "quarantined" in page.text

    more = client.post("/camps/d/arrivals", json={"people": 1}, headers=auth("coord-other"))
    assert more.status_code == 200
    assert stored.catch_up() == last_position(stored)


def test_rebuild_reports_the_quarantine_and_finishes(
    stored: Planner, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    count = poison(stored)
    stored.catch_up()
    assert main(["rebuild", "--db", store_url]) == 1
    out = capsys.readouterr().out
    assert f"views rebuilt up to event {last_position(stored)}" in out
    assert f"{count} event(s) could not be projected" in out
    assert "NoSuchEvent" in out


def test_text_the_database_cannot_store_is_quarantined_not_retried_for_ever(
    stored: Planner, make_client: Callable[..., TestClient], store_url: str
) -> None:
    """On PostgreSQL a NUL in a text field is a DataError when the views are written."""
    topic, state = stored_event(stored, "Stockpile.Opened")
    state["location"] = "Port\x00of call"
    state["slug"] = "sneaky"
    inject(stored, topic, state)
    client = make_client(stored)
    done = client.post("/camps/c/arrivals", json={"people": 2}, headers=auth("coord"))
    position = done.json()["position"]
    camp = client.get(f"/camps/c?after={position}", headers=auth("viewer"))
    assert camp.status_code == 200
    assert camp.json()["population"] == 402
    expected = 1 if store_url.startswith("postgres") else 0  # SQLite stores it; PostgreSQL cannot
    assert len(stored.views.quarantined()) == expected
