"""No poison input: bounds on totals, balances and stock; text and slugs refused before storing.

Every refusal here answers 422 (argument) or 409 (domain rule) with the field, and stores
nothing; the views keep following (`?after=` answers), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from domain.catalog import MAX_WHOLE_NUMBER
from planner.cli import main
from planner.wiring import Planner
from projections.projector import encode_view
from tests.api.conftest import auth, last_position

TOP = MAX_WHOLE_NUMBER


@pytest.fixture
def client(stored: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(stored)


def refused(
    client: TestClient, planner: Planner, path: str, body: Any, token: str, status: int
) -> dict[str, Any]:
    before = last_position(planner)
    response = client.post(path, json=body, headers=auth(token))
    assert response.status_code == status, response.text
    assert last_position(planner) == before
    problem: dict[str, Any] = response.json()
    return problem


def views_follow(client: TestClient) -> None:
    """Another organization's command still reaches the views."""
    done = client.post("/camps/c/arrivals", json={"people": 1}, headers=auth("biz"))
    assert done.status_code == 200, done.text
    position = done.json()["position"]
    assert client.get(f"/camps/c?after={position}", headers=auth("viewer")).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "token", "field"),
    [
        ("/plans/p/pledges", {"partner": "amda", "currency": "EUR"}, "amda", "amount"),
        ("/stockpiles/depot-biz/receipts", {"item": "soap"}, "biz", "quantity"),
        ("/camps/c/facilities", {"facility": "latrine"}, "amda", "count"),
    ],
)
def test_totals_never_pass_the_bound(
    client: TestClient,
    stored: Planner,
    path: str,
    body: dict[str, Any],
    token: str,
    field: str,
) -> None:
    key = "amount" if field == "amount" else field
    first = client.post(path, json={**body, key: TOP}, headers=auth(token))
    assert first.status_code == 200, first.text
    problem = refused(client, stored, path, {**body, key: 1}, token, 409)
    assert problem["field"] == field
    assert "2^53 - 1" in problem["rule"]
    views_follow(client)


def test_many_pledges_in_ones_own_name_cannot_freeze_the_views(
    client: TestClient, stored: Planner
) -> None:
    body = {"partner": "amda", "amount": TOP // 4, "currency": "USD"}
    codes = [
        client.post("/plans/p/pledges", json=body, headers=auth("amda")).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 4 + [409] * 2
    views_follow(client)
    plan = client.get("/plans/p", headers=auth("viewer")).json()
    assert plan["pledged"]["USD"] == 4 * (TOP // 4)


def test_population_and_deliveries_stay_within_the_bound(
    client: TestClient, stored: Planner
) -> None:
    assert (
        client.post("/camps/c/arrivals", json={"people": TOP - 400}, headers=auth("coord"))
    ).status_code == 200
    problem = refused(client, stored, "/camps/c/arrivals", {"people": 1}, "coord", 409)
    assert problem["field"] == "people"


@pytest.mark.parametrize(
    "text",
    ["Port\x00", "Port\u202eevil", "Port\u2066x", "Po\x1brt", "Port\x7f", "\u200f", "x" * 4001],
    ids=["NUL", "RLO", "LRI", "ESC", "DEL", "RLM", "too-long"],
)
def test_text_with_control_or_bidi_characters_is_refused(
    client: TestClient, stored: Planner, text: str
) -> None:
    body = {"stockpile": "s9", "partner": "amda", "location": text}
    problem = refused(client, stored, "/stockpiles", body, "amda", 422)
    assert "location" in str(problem)
    views_follow(client)


def test_a_lone_surrogate_is_refused(client: TestClient, stored: Planner) -> None:
    before = last_position(stored)
    response = client.post(
        "/stockpiles",
        content=b'{"stockpile": "s9", "partner": "amda", "location": "x\\ud800"}',
        headers={**auth("amda"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert last_position(stored) == before


@pytest.mark.parametrize("slug", ["..", "A", "a_b", "a.b", "-" * 129])
def test_slugs_follow_the_contract_pattern_over_http(
    client: TestClient, stored: Planner, slug: str
) -> None:
    refused(
        client,
        stored,
        "/stockpiles",
        {"stockpile": slug, "partner": "amda", "location": "L"},
        "amda",
        422,
    )
    before = last_position(stored)
    response = client.post(f"/camps/{slug}/arrivals", json={"people": 1}, headers=auth("admin"))
    assert response.status_code in (404, 422), response.text  # '..' never reaches a route
    assert last_position(stored) == before


def test_big_sums_across_entities_are_written_not_frozen() -> None:
    doc = {"population": 3 * 2**64, "nested": [{"x": -(2**70)}], "ok": 5, "flag": True}
    assert orjson.loads(encode_view(doc)) == {
        "population": float(3 * 2**64),
        "nested": [{"x": float(-(2**70))}],
        "ok": 5,
        "flag": True,
    }


SCENARIO = """\
scenario: poison
title: Poison
start: 2030-01-01T00:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: n, name: N, kind: ngo}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: C, planning_figure: 10}}
  - {at: +0d, do: pledge_funds,
     with: {plan: p, partner: n, amount: 9007199254740991, currency: EUR}}
  - {at: +0d, do: STEP}
"""


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("pledge_funds, with: {plan: p, partner: n, amount: 1, currency: EUR}", "2^53 - 1"),
        ('open_stockpile, with: {stockpile: s, partner: n, location: "a\\0b"}', "U+0000"),
        ('open_stockpile, with: {stockpile: s, partner: n, location: "a\\u202Eb"}', "U+202E"),
        ("open_stockpile, with: {stockpile: s.., partner: n, location: L}", "slug"),
    ],
    ids=["total", "NUL", "RLO", "slug"],
)
def test_scenario_files_have_the_same_limits_with_the_step_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], step: str, words: str
) -> None:
    path = tmp_path / "poison.yaml"
    path.write_text(SCENARIO.replace("STEP}", step + "}"))
    assert main(["replay", str(path)]) != 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "step 4" in out, out
    assert words in out, out
