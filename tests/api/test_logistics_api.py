"""Shipments, offers and needs over HTTP: every role against every command, refusals as
problem+json, the views and their filters (now on the planner's clock, or as of a time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.clock import iso_utc
from planner.wiring import Planner, open_planner
from tests.api.conftest import TOKENS, auth, build_world, last_position
from tests.conftest import SimulatedClock

START = datetime(2011, 3, 22, tzinfo=UTC)
ETA = iso_utc(START + timedelta(hours=6))
EXPIRES = iso_utc(START + timedelta(days=2))

# The shared API world (shipment t1 from depot-amda to camp c; offers o1 of biz for plan p with
# 300 L accepted for c, o2 of biz for any plan, o3 of other for plan q), plus shipment t-late
# (due 6 h after the start) and offer o-soon (biz, 200 soap for plan p, expiring 2 days after it).
EXTRA: list[tuple[str, dict[str, Any]]] = [
    (
        "send_shipment",
        {
            "shipment": "t-late",
            "stockpile": "depot-amda",
            "camp": "c",
            "item": "water",
            "quantity": 50,
            "eta": ETA,
        },
    ),
    (
        "offer_supplies",
        {
            "offer": "o-soon",
            "partner": "biz",
            "item": "soap",
            "quantity": 200,
            "plan": "p",
            "expires": EXPIRES,
        },
    ),
]


def build(planner: Planner) -> None:
    build_world(planner)
    for command, args in EXTRA:
        planner.service.execute(command, args)
    planner.catch_up()


def fresh(clock: SimulatedClock | None = None) -> Planner:
    planner = open_planner("memory:", clock_fn=clock or SimulatedClock(START))
    build(planner)
    return planner


@pytest.fixture
def logistics() -> Iterator[Planner]:
    planner = fresh()
    yield planner
    planner.close()


# (path, body, tokens allowed); every other token gets 403 and nothing is stored.
CASES: list[tuple[str, dict[str, Any] | None, set[str]]] = [
    (
        "/shipments",
        {"shipment": "t2", "stockpile": "depot-amda", "camp": "c", "item": "water", "quantity": 5},
        {"admin", "amda", "coord"},  # holder, or coordinator of the camp's plan it is committed to
    ),
    (
        "/shipments",
        {"shipment": "t2", "stockpile": "depot-biz", "camp": "c", "item": "blanket", "quantity": 5},
        {"admin", "biz"},  # depot-biz is not committed to plan p
    ),
    ("/shipments/t1/deliver", {"quantity": 90}, {"admin", "coord", "amda"}),  # amda leads WSH
    ("/shipments/t1/lose", {"reason": "stolen"}, {"admin", "amda"}),
    ("/shipments/t1/return", None, {"admin", "amda"}),
    ("/offers", {"offer": "o9", "partner": "biz", "item": "soap", "quantity": 5}, {"admin", "biz"}),
    (
        "/offers",
        {"offer": "o9", "partner": "pwj", "item": "soap", "quantity": 5},
        {"admin", "coord"},
    ),
    ("/offers/o1/accept", {"camp": "c", "quantity": 10}, {"admin", "coord"}),
    ("/offers/o3/accept", {"camp": "d", "quantity": 1}, {"admin", "coord-other"}),
    ("/offers/o1/decline", {"reason": "not_needed"}, {"admin", "coord"}),
    ("/offers/o2/decline", {"reason": "duplicate"}, {"admin", "coord", "coord-other"}),
    ("/offers/o1/deliver", {"camp": "c", "quantity": 10}, {"admin", "biz"}),
    ("/offers/o1/withdraw", None, {"admin", "biz"}),
    ("/offers/o3/withdraw", {"reason": "sold"}, {"admin", "other", "coord-other"}),
    # allowed, then refused by the domain (409)
    ("/offers/o1/accept", {"camp": "c", "quantity": 701}, {"admin", "coord"}),
    ("/offers/o1/deliver", {"camp": "c", "quantity": 301}, {"admin", "biz"}),
    ("/shipments/t1/deliver", {"quantity": 101}, {"admin", "coord", "amda"}),
]
DOMAIN_REFUSED: dict[tuple[str, Any], str] = {
    ("/offers/o1/accept", 701): "quantity",
    ("/offers/o1/deliver", 301): "quantity",
    ("/shipments/t1/deliver", 101): "quantity",
}


def _refused(path: str, body: dict[str, Any] | None) -> str | None:
    return DOMAIN_REFUSED.get((path, (body or {}).get("quantity")))


@pytest.mark.parametrize(("path", "body", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_role_rights(
    logistics: Planner,
    make_client: Callable[..., TestClient],
    path: str,
    body: dict[str, Any] | None,
    allowed: set[str],
) -> None:
    client = make_client(logistics)
    for token in TOKENS:
        if token in allowed:
            continue
        before = last_position(logistics)
        response = client.post(path, json=body, headers=auth(token))
        assert response.status_code == 403, (token, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert last_position(logistics) == before
    for token in sorted(allowed):
        planner = fresh()
        try:
            response = make_client(planner).post(path, json=body, headers=auth(token))
        finally:
            planner.close()
        field = _refused(path, body)
        if field is not None:
            assert response.status_code == 409, (token, response.text)
            problem = response.json()
            assert response.headers["content-type"] == "application/problem+json"
            assert problem["field"] == field and problem["rule"], problem
        else:
            created = path in ("/shipments", "/offers")
            assert response.status_code == (201 if created else 200), (token, response.text)


def test_refusals_are_problems_with_rule_and_field(
    logistics: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(logistics)
    cases = [
        ("/offers/nope/accept", {"camp": "c", "quantity": 1}, 404, None),
        ("/offers/o1/accept", {"camp": "d", "quantity": 1}, 409, "camp"),  # d is in plan q
        (
            "/offers",
            {
                "offer": "o5",
                "partner": "biz",
                "item": "water",
                "quantity": 1,
                "expires": iso_utc(START),
            },
            409,
            "expires",
        ),
        (
            "/shipments",
            {
                "shipment": "t5",
                "stockpile": "depot-amda",
                "camp": "c",
                "item": "water",
                "quantity": 1,
                "eta": "tomorrow",
            },
            422,
            None,
        ),
        ("/offers/o2/decline", {"reason": "too late"}, 422, None),
    ]
    for path, body, status, field in cases:
        before = last_position(logistics)
        response = client.post(path, json=body, headers=auth("admin"))
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if field is not None:
            assert response.json()["field"] == field
        assert last_position(logistics) == before


def test_idempotency_if_match_and_read_your_writes(
    logistics: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(logistics)
    version = client.get("/offers/o1", headers=auth("admin")).json()
    stale = client.post(
        "/offers/o1/accept",
        json={"camp": "c", "quantity": 5},
        headers=auth("coord", **{"If-Match": '"1"'}),
    )
    assert stale.status_code == 412
    headers = auth("coord", **{"Idempotency-Key": "accept-1"})
    first = client.post("/offers/o1/accept", json={"camp": "c", "quantity": 5}, headers=headers)
    again = client.post("/offers/o1/accept", json={"camp": "c", "quantity": 5}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    position = first.json()["position"]
    view = client.get(f"/offers/o1?after={position}", headers=auth("viewer")).json()
    assert view["accepted"] == 305 and view["position"] == position
    assert version["accepted"] == 300


def test_offer_views_and_filters(
    logistics: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(logistics)
    get = lambda url: client.get(url, headers=auth("viewer")).json()  # noqa: E731
    assert {o["offer"] for o in get("/offers")["items"]} == {"o1", "o2", "o3", "o-soon"}
    assert [o["offer"] for o in get("/offers?donor=other")["items"]] == ["o3"]
    assert [o["offer"] for o in get("/offers?item=blanket")["items"]] == ["o2"]
    assert [o["offer"] for o in get("/offers?expiring_within_days=2")["items"]] == ["o-soon"]
    assert get("/offers?expiring_within_days=1.5")["items"] == []
    o1 = get("/offers/o1")
    assert (o1["status"], o1["remaining"], o1["by_camp"]) == (
        "open",
        700,
        {"c": {"accepted": 300, "delivered": 0}},
    )
    later = iso_utc(START + timedelta(days=3))
    expired = get(f"/offers/o-soon?as_of={later}")
    assert (expired["status"], expired["lapsed"], expired["remaining"]) == ("expired", 200, 0)
    assert {o["offer"] for o in get(f"/offers?open=true&as_of={later}")["items"]} == {
        "o1",
        "o2",
        "o3",
    }
    assert get(f"/offers/o-soon?as_of={iso_utc(START)}")["status"] == "open"
    # now, on the planner's clock: expiry applies without a command
    logistics.service.clock_fn.advance(days=2)  # type: ignore[attr-defined]
    assert get("/offers/o-soon")["status"] == "expired"
    assert [o["offer"] for o in get("/offers?open=false")["items"]] == ["o-soon"]


def test_shipment_views_and_filters(
    logistics: Planner, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(logistics)
    get = lambda url: client.get(url, headers=auth("viewer")).json()  # noqa: E731
    moving = get("/shipments?in_transit=true")["items"]
    assert [s["shipment"] for s in moving] == ["t-late", "t1"]
    assert get("/shipments?overdue=true")["items"] == []
    late = iso_utc(START + timedelta(hours=7))
    overdue = get(f"/shipments?overdue=true&as_of={late}")["items"]
    assert [s["shipment"] for s in overdue] == ["t-late"]
    logistics.service.clock_fn.advance(hours=7)  # type: ignore[attr-defined]
    late_one = get("/shipments/t-late")
    assert (late_one["status"], late_one["overdue"], late_one["eta"]) == ("in_transit", True, ETA)
    assert get("/shipments/t1")["overdue"] is False  # no eta
    response = client.post("/shipments/t-late/deliver", json={}, headers=auth("amda"))
    assert response.status_code == 200
    position = response.json()["position"]
    late_one = get(f"/shipments/t-late?after={position}")
    assert (late_one["status"], late_one["received"], late_one["overdue"]) == (
        "delivered",
        50,
        False,
    )
    assert [s["shipment"] for s in get("/shipments?in_transit=true")["items"]] == ["t1"]
    assert get("/stockpiles/depot-amda")["in_transit"] == {"water": 100}
    assert get("/camps/c")["in_transit"] == {"water": 100}


def test_needs_by_camp_and_plan(logistics: Planner, make_client: Callable[..., TestClient]) -> None:
    client = make_client(logistics)
    needs = client.get("/needs?plan=p", headers=auth("viewer")).json()
    # camp c: 400 people × 15 L × 3 days = 18,000 L; 20,000 L dispatched: no water shortfall.
    assert "water" not in needs["camps"]["c"]
    assert needs["camps"]["c"]["blanket"] == {"shortfall": 400, "committed": 0, "uncommitted": 400}
    assert needs["plans"]["p"]["blanket"] == needs["camps"]["c"]["blanket"]
    only = client.get("/needs?item=latrine", headers=auth("viewer")).json()
    assert only["camps"] == {"c": {"latrine": {"shortfall": 8, "committed": 0, "uncommitted": 8}}}
    before = iso_utc(START - timedelta(days=1))
    assert client.get(f"/needs?as_of={before}", headers=auth("viewer")).json() == {
        "camps": {},
        "plans": {},
    }


def test_matches(logistics: Planner, make_client: Callable[..., TestClient]) -> None:
    client = make_client(logistics)
    found = client.get("/matches", headers=auth("viewer")).json()
    # camp c lacks 400 blankets (none delivered) and no water (20,000 L for 18,000 needed)
    assert [(m["offer"], m["camp"], m["quantity"]) for m in found["matches"]] == [("o2", "c", 50)]
    assert found["not_needed"] == ["o-soon", "o1", "o3"]
    assert client.get("/matches?plan=q", headers=auth("viewer")).json()["matches"] == []
    before = iso_utc(START - timedelta(days=1))
    assert client.get(f"/matches?as_of={before}", headers=auth("viewer")).json() == {
        "matches": [],
        "not_needed": [],
    }
