"""Every command endpoint, run in a realistic order; the response shape, ETag and Location."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.schemas import PATH_ARGS
from domain.commands import COMMANDS
from domain.service import AGGREGATE_CLASSES
from planner.wiring import Planner
from tests.api.conftest import auth, last_position

# (path, body, command, expected status) — every command of the contract once at least.
FLOW: list[tuple[str, dict[str, Any] | None, str, int]] = [
    (
        "/partners",
        {
            "partner": "pwj",
            "name": "Peace Winds Japan",
            "kind": "ngo",
            "sectors": ["CCM", "SHL", "WSH"],
        },
        "register_partner",
        201,
    ),
    ("/partners", {"partner": "amda", "name": "AMDA", "kind": "ngo"}, "register_partner", 201),
    (
        "/partners",
        {"partner": "biz", "name": "Logistics", "kind": "business"},
        "register_partner",
        201,
    ),
    ("/partners", {"partner": "gone", "name": "Gone", "kind": "media"}, "register_partner", 201),
    ("/partners/gone/withdraw", {"reason": "ceased operations"}, "withdraw_partner", 200),
    (
        "/plans",
        {
            "plan": "kosovo",
            "title": "Camp Japan",
            "crisis": "Kosovo 1999",
            "planning_figure": 5000,
            "region": "Albania",
            "ready_days": 3,
            "standards_profile": "sphere-post-emergency",
            "standards_overrides": {"water": 18},
        },
        "draft_plan",
        201,
    ),
    ("/plans/kosovo/join", {"partner": "pwj", "role": "coordinator"}, "join_plan", 200),
    ("/plans/kosovo/join", {"partner": "amda", "role": "implementer"}, "join_plan", 200),
    ("/plans/kosovo/join", {"partner": "biz", "role": "supplier"}, "join_plan", 200),
    (
        "/plans/kosovo/pledges",
        {"partner": "biz", "amount": 1_000_000, "currency": "JPY"},
        "pledge_funds",
        200,
    ),
    (
        "/plans/kosovo/receipts",
        {"partner": "biz", "amount": 900_000, "currency": "JPY"},
        "receive_funds",
        200,
    ),
    (
        "/plans/kosovo/disbursements",
        {"partner": "amda", "amount": 100_000, "currency": "JPY"},
        "disburse_funds",
        200,
    ),
    ("/plans/kosovo/split-pool", {"currency": "JPY"}, "split_pool", 200),
    ("/plans/kosovo/activate", None, "activate_plan", 200),
    (
        "/stockpiles",
        {"stockpile": "durres", "partner": "pwj", "location": "Durres port"},
        "open_stockpile",
        201,
    ),
    ("/plans/kosovo/stockpiles", {"stockpile": "durres"}, "commit_stockpile", 200),
    (
        "/stockpiles/durres/receipts",
        {"item": "water", "quantity": 50_000, "source": "biz"},
        "receive_supplies",
        200,
    ),
    ("/stockpiles/durres/receipts", {"item": "blanket", "quantity": 600}, "receive_supplies", 200),
    (
        "/camps",
        {
            "camp": "korce",
            "plan": "kosovo",
            "location": "Korce",
            "site_area_m2": 200000,
            "shelter_capacity": 5000,
        },
        "establish_camp",
        201,
    ),
    (
        "/stockpiles/durres/reservations",
        {"camp": "korce", "item": "water", "quantity": 10_000},
        "reserve_supplies",
        200,
    ),
    (
        "/stockpiles/durres/releases",
        {"camp": "korce", "item": "water", "quantity": 2_000},
        "release_reservation",
        200,
    ),
    (
        "/stockpiles/durres/dispatches",
        {"camp": "korce", "item": "water", "quantity": 12_000},
        "dispatch_supplies",
        200,
    ),
    (
        "/stockpiles/durres/write-offs",
        {"item": "blanket", "quantity": 10, "reason": "damaged"},
        "write_off_supplies",
        200,
    ),
    ("/camps/korce/sectors", {"sector": "WSH", "partner": "pwj"}, "assign_sector", 200),
    ("/camps/korce/sectors/WSH/reassign", {"partner": "amda"}, "reassign_sector", 200),
    ("/camps/korce/sectors/WSH/release", None, "release_sector", 200),
    (
        "/camps/korce/arrivals",
        {
            "people": 300,
            "under5": 30,
            "elderly": 20,
            "disabled": 5,
            "pregnant_lactating": 10,
            "unaccompanied_minors": 2,
        },
        "register_arrivals",
        200,
    ),
    ("/camps/korce/departures", {"people": 50, "under5": 5}, "register_departures", 200),
    (
        "/camps/korce/distributions",
        {"item": "water", "quantity": 3_000},
        "distribute_supplies",
        200,
    ),
    ("/camps/korce/facilities", {"facility": "latrine", "count": 6}, "build_facilities", 200),
    (
        "/shipments",
        {
            "shipment": "t1",
            "stockpile": "durres",
            "camp": "korce",
            "item": "water",
            "quantity": 900,
            "eta": "2099-01-01T00:00:00+09:00",
        },
        "send_shipment",
        201,
    ),
    ("/shipments/t1/deliver", {"quantity": 800}, "deliver_shipment", 200),
    (
        "/shipments",
        {"shipment": "t2", "stockpile": "durres", "camp": "korce", "item": "water", "quantity": 9},
        "send_shipment",
        201,
    ),
    ("/shipments/t2/lose", {"reason": "stolen"}, "lose_shipment", 200),
    (
        "/shipments",
        {"shipment": "t3", "stockpile": "durres", "camp": "korce", "item": "water", "quantity": 9},
        "send_shipment",
        201,
    ),
    ("/shipments/t3/return", None, "return_shipment", 200),
    (
        "/offers",
        {
            "offer": "o1",
            "partner": "biz",
            "item": "blanket",
            "quantity": 500,
            "plan": "kosovo",
            "expires": "2099-01-01T00:00:00Z",
        },
        "offer_supplies",
        201,
    ),
    ("/offers/o1/accept", {"camp": "korce", "quantity": 200}, "accept_offer", 200),
    ("/offers/o1/deliver", {"camp": "korce", "quantity": 150}, "deliver_offer", 200),
    ("/offers/o1/decline", {"reason": "not_needed"}, "decline_offer", 200),
    ("/offers/o1/withdraw", {"reason": "stock sold"}, "withdraw_offer", 200),
    ("/camps/korce/close", {}, "close_camp", 200),
    (
        "/plans/kosovo/stockpile-withdrawals",
        {"stockpile": "durres"},
        "withdraw_stockpile",
        200,
    ),
    ("/plans/kosovo/stand-down", {"reason": "returns home"}, "stand_down_plan", 200),
    ("/plans/kosovo/leave", {"partner": "biz"}, "leave_plan", 200),
    ("/plans/kosovo/close", {"reason": "done"}, "close_plan", 200),
]


def test_the_flow_covers_every_command() -> None:
    assert {command for _, _, command, _ in FLOW} == set(COMMANDS)


def test_every_command_endpoint_runs_and_answers_with_its_entity_version_and_position(
    empty_client: TestClient, planner: Planner
) -> None:
    versions: dict[tuple[str, str], int] = {}
    for path, body, command, status in FLOW:
        before = last_position(planner)
        response = empty_client.post(path, json=body, headers=auth("admin"))
        assert response.status_code == status, (path, response.text)
        doc = response.json()
        spec = COMMANDS[command]
        assert set(doc) == {"entity", "slug", "id", "version", "position"}
        assert doc["entity"] == spec.entity
        assert doc["id"] == str(planner.service.id_of(doc["entity"], doc["slug"]))
        assert response.headers["etag"] == f'"{doc["version"]}"'
        assert doc["position"] == last_position(planner) > before
        key = (doc["entity"], doc["slug"])
        stored = planner.service.load(doc["entity"], doc["slug"], AGGREGATE_CLASSES[doc["entity"]])
        assert doc["version"] == stored.version > versions.get(key, 0)
        versions[key] = doc["version"]
        if status == 201:
            assert response.headers["location"] == f"/{spec.entity}s/{doc['slug']}"
    plan = empty_client.get(f"/plans/kosovo?after={last_position(planner)}", headers=auth("admin"))
    assert plan.status_code == 200
    view = plan.json()
    assert view["status"] == "closed"
    assert view["standards"] == {"profile": "sphere-post-emergency", "overrides": {"water": 18}}


def test_path_arguments_come_from_the_url_not_the_body(client: TestClient) -> None:
    assert PATH_ARGS["join_plan"] == ("plan",)
    response = client.post(
        "/plans/p/join",
        json={"plan": "q", "partner": "other", "role": "funder"},
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "plan"


def test_a_coordinator_drafting_a_plan_becomes_its_coordinator(
    client: TestClient, world: Planner
) -> None:
    response = client.post(
        "/plans",
        json={"plan": "new", "title": "New", "crisis": "Storm", "planning_figure": 10},
        headers=auth("coord"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2  # drafted, then pwj joined as coordinator
    view = client.get(f"/plans/new?after={response.json()['position']}", headers=auth("coord"))
    members = view.json()["member_list"]
    assert [(m["partner"], m["roles"]) for m in members] == [("pwj", ["coordinator"])]
    activate = client.post("/plans/new/activate", headers=auth("coord"))
    assert activate.status_code == 200


def test_an_admin_drafting_a_plan_joins_nobody(empty_client: TestClient) -> None:
    response = empty_client.post(
        "/plans",
        json={"plan": "new", "title": "New", "crisis": "Storm", "planning_figure": 10},
        headers=auth("admin"),
    )
    assert response.json()["version"] == 1


def test_if_match_with_the_current_version_changes_the_entity(client: TestClient) -> None:
    first = client.post(
        "/camps/c/facilities", json={"facility": "latrine", "count": 2}, headers=auth("admin")
    )
    version = first.json()["version"]
    second = client.post(
        "/camps/c/facilities",
        json={"facility": "latrine", "count": 2},
        headers=auth("admin", **{"If-Match": f'"{version}"'}),
    )
    assert second.status_code == 200
    assert second.json()["version"] == version + 1
    weak = client.post(
        "/camps/c/facilities",
        json={"facility": "latrine", "count": 1},
        headers=auth("admin", **{"If-Match": f'W/"{version + 1}"'}),
    )
    assert weak.status_code == 200
    star = client.post(
        "/camps/c/facilities",
        json={"facility": "latrine", "count": 1},
        headers=auth("admin", **{"If-Match": "*"}),
    )
    assert star.status_code == 200


def test_get_partner_reads_the_registry(client: TestClient) -> None:
    response = client.get("/partners/amda", headers=auth("viewer"))
    assert response.status_code == 200
    assert response.json()["name"] == "AMDA"
    assert response.json()["active"] is True
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    assert client.get("/partners/nobody", headers=auth("viewer")).status_code == 404
