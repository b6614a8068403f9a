"""A field instance of some camps gets what they need, also what enters their scope later."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from planner.field.store import FieldStore
from planner.field.sync import FieldSync
from planner.wiring import Planner, open_planner
from tests.conftest import SimulatedClock
from tests.field_helpers import FlakyLink
from tests.integration.test_field_stateful import ADMIN, seed_hq

pytestmark = pytest.mark.integration


def view(planner: Planner, kind: str, slug: str) -> dict[str, object] | None:
    """A view without its store-local position."""
    planner.catch_up()
    doc = planner.queries.view(kind, str(planner.service.id_of(kind, slug)))
    return None if doc is None else {k: v for k, v in doc.items() if k != "position"}


def test_a_stockpile_committed_later_comes_with_its_history(tmp_path: Path) -> None:
    clock = SimulatedClock()
    hq = open_planner(str(tmp_path / "hq.sqlite"), clock_fn=clock)
    seed_hq(hq)
    run = hq.service.execute
    run("register_partner", {"partner": "far", "name": "Far", "kind": "ngo"}, actor=ADMIN)
    run("establish_camp", {"camp": "other", "plan": "p", "location": "X", "site_area_m2": 900.0,
                           "shelter_capacity": 10}, actor=ADMIN)  # fmt: skip
    run("open_stockpile", {"stockpile": "s", "partner": "pwj", "location": "Depot"}, actor=ADMIN)
    run("receive_supplies", {"stockpile": "s", "item": "water", "quantity": 500}, actor=ADMIN)
    path = tmp_path / "field.sqlite"
    plain = open_planner(str(path), clock_fn=clock)
    FieldStore.of(plain.service).create(str(uuid.uuid4()), "in-process", "-", ["c"])
    plain.close()
    field = open_planner(str(path), clock_fn=clock)
    sync = FieldSync(field, FlakyLink(hq, ADMIN))  # type: ignore[arg-type]
    try:
        sync.sync()
        assert view(field, "camp", "c") == view(hq, "camp", "c")
        assert view(field, "camp", "other") is None  # not one of its camps
        assert view(field, "partner", "far") is None  # no part in them
        assert view(field, "stockpile", "s") is None  # not committed to the plan yet
        run("commit_stockpile", {"plan": "p", "stockpile": "s"}, actor=ADMIN)
        field.service.execute("register_arrivals", {"camp": "c", "people": 3}, actor=ADMIN)
        report = sync.sync()
        assert report.counts["applied"] == 1
        for kind, slug in (("stockpile", "s"), ("camp", "c")):
            assert view(field, kind, slug) == view(hq, kind, slug), kind
        assert view(field, "stockpile", "s") is not None
        plan = view(field, "plan", "p")  # its camps here are the field's only
        assert plan is not None and plan["camp_list"] == ["c"]
    finally:
        sync.close()
        field.close()
        hq.close()


def test_a_field_instance_refuses_to_resolve_locally(tmp_path: Path) -> None:
    """Over the API and on the dashboard alike: a resolution taken in the field would be lost at the
    next pull, so the field refuses it (409) and stores nothing."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import TokenRegistry
    from tests.dashboard_helpers import csrf_in, sign_in

    clock = SimulatedClock()
    path = tmp_path / "field.sqlite"
    plain = open_planner(str(path), clock_fn=clock)
    FieldStore.of(plain.service).create(str(uuid.uuid4()), "in-process", "-", [])
    plain.close()
    field = open_planner(str(path), clock_fn=clock)
    tokens = TokenRegistry.from_entries([{"token": "adm", "role": "admin"}])
    try:
        before = field.service.recorder.max_notification_id()
        app = create_app(field, tokens)
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            answer = client.post(
                f"/conflicts/{uuid.uuid4()}/resolve",
                json={"action": "discard", "reason": "seen"},
                headers={"Authorization": "Bearer adm"},
            )
            assert answer.status_code == 409, answer.text
            assert answer.json()["rule"] == "resolved at headquarters"
            assert sign_in(client, "adm").status_code == 303
            html = client.get("/dashboard/conflicts").text
            form = {"csrf": csrf_in(html), "action": "discard", "reason": "seen"}
            page = client.post(f"/dashboard/conflicts/{uuid.uuid4()}/resolve", data=form)
            assert page.status_code == 409, page.text
            assert "resolves conflicts at headquarters" in page.text
        assert field.service.recorder.max_notification_id() == before
    finally:
        field.close()
