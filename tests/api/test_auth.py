"""Bearer tokens: loading, 401 for strangers, and every role against every command family."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import Principal, TokenConfigError, TokenRegistry
from planner.wiring import Planner, open_planner
from tests.api.conftest import TOKENS, auth, build_world, last_position

# -- loading tokens -----------------------------------------------------------------------------


def test_tokens_load_from_a_json_file_as_hashes_only(tmp_path: Path) -> None:
    hashed = hashlib.sha256(b"second-secret").hexdigest()
    path = tmp_path / "tokens.json"
    path.write_text(
        '[{"token": "first-secret", "partner": "pwj", "role": "coordinator"},'
        f' {{"token_sha256": "{hashed}", "partner": "amda", "role": "partner"}},'
        ' {"token": "root-secret", "role": "admin"}]'
    )
    tokens = TokenRegistry.from_file(path)
    assert len(tokens) == 3
    assert tokens.identify("first-secret") == Principal("pwj", "coordinator")
    assert tokens.identify("second-secret") == Principal("amda", "partner")
    assert tokens.identify("root-secret") == Principal(None, "admin")
    assert tokens.identify("first-secret ") is None
    assert "first-secret" not in repr(vars(tokens))


def test_tokens_load_from_yaml_and_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("tokens:\n  - {token: abc-secret, partner: gov, role: viewer}\n")
    assert TokenRegistry.from_file(path).identify("abc-secret") == Principal("gov", "viewer")
    from_file_var = TokenRegistry.from_environment(environ={"PLANNER_TOKENS_FILE": str(path)})
    assert from_file_var.identify("abc-secret") == Principal("gov", "viewer")
    inline = TokenRegistry.from_environment(
        environ={"PLANNER_TOKENS": '[{"token": "t-1", "partner": "p", "role": "partner"}]'}
    )
    assert inline.identify("t-1") == Principal("p", "partner")
    explicit = TokenRegistry.from_environment(path, environ={"PLANNER_TOKENS": "[]"})
    assert len(explicit) == 1
    assert len(TokenRegistry.from_environment(environ={})) == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"token": "t", "partner": "p", "role": "god"}]', "role must be one of"),
        ('[{"token": "t", "role": "viewer"}]', "must name its partner"),
        ('[{"partner": "p", "role": "viewer"}]', "exactly one of"),
        (
            '[{"token": "t", "token_sha256": "ab", "partner": "p", "role": "viewer"}]',
            "exactly one of",
        ),
        ('[{"token_sha256": "xyz", "partner": "p", "role": "viewer"}]', "64 hexadecimal"),
        ('[{"token": "t", "partner": "p", "role": "viewer", "extra": 1}]', "unknown keys"),
        (
            '[{"token": "t", "partner": "p", "role": "viewer"},'
            ' {"token": "t", "partner": "q", "role": "admin"}]',
            "twice",
        ),
        ('{"token": "t"}', "expected a list"),
        ("[unclosed", "not JSON or YAML"),
    ],
)
def test_bad_token_configuration_is_refused_with_the_entry(text: str, words: str) -> None:
    with pytest.raises(TokenConfigError, match=words):
        TokenRegistry.from_text(text)


# -- 401 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-known-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_unknown_tokens_get_401(
    client: TestClient, world: Planner, headers: dict[str, str]
) -> None:
    before = last_position(world)
    for method, path, body in (
        ("GET", "/camps", None),
        ("GET", "/events", None),
        ("POST", "/camps/c/arrivals", {"people": 1}),
        ("POST", "/partners", {"partner": "x", "name": "X", "kind": "ngo"}),
    ):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["type"].endswith(":unauthorized")
    assert last_position(world) == before


def test_probes_are_public(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_every_role_may_query(client: TestClient) -> None:
    for name in TOKENS:
        assert client.get("/camps/c", headers=auth(name)).status_code == 200, name


# -- every role against every command family ------------------------------------------------------

ALL = tuple(TOKENS)
# (family, path, body, tokens allowed); every other token gets 403 and nothing is stored.
CASES: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("registry", "/partners", {"partner": "new", "name": "New", "kind": "ngo"}, {"admin"}),
    ("registry", "/partners/other/withdraw", None, {"admin"}),
    (
        "plan drafting",
        "/plans",
        {"plan": "z", "title": "Z", "crisis": "Z", "planning_figure": 9},
        {"admin", "coord", "coord-other"},
    ),
    (
        "plan membership",
        "/plans/p/join",
        {"partner": "other", "role": "implementer"},
        {"admin", "coord"},
    ),
    ("plan membership", "/plans/p/leave", {"partner": "gov"}, {"admin", "coord"}),
    ("plan lifecycle", "/plans/p/activate", None, {"admin", "coord"}),
    ("plan lifecycle", "/plans/q/activate", None, {"admin", "coord-other"}),
    ("plan lifecycle", "/plans/p/stand-down", None, set()),  # drafted: refused by the domain
    ("plan lifecycle", "/plans/p/close", {"reason": "r"}, {"admin", "coord"}),
    (
        "pledges",
        "/plans/p/pledges",
        {"partner": "amda", "amount": 5, "currency": "EUR"},
        {"admin", "amda"},
    ),
    (
        "pledges",
        "/plans/p/pledges",
        {"partner": "biz", "amount": 5, "currency": "EUR"},
        {"admin", "biz"},
    ),
    (
        "pledges",
        "/plans/p/pledges",
        {"partner": "other", "amount": 5, "currency": "EUR"},
        {"admin"},
    ),  # in its own name, but 'other' is no member of plan p
    (
        "funds",
        "/plans/p/disbursements",
        {"partner": "amda", "amount": 1, "currency": "EUR"},
        set(),
    ),  # empty pool: refused by the domain for those allowed
    ("funds", "/plans/p/split-pool", {"currency": "EUR"}, set()),
    ("funds", "/plans/p/receipts", {"partner": "gov", "amount": 1, "currency": "EUR"}, set()),
    ("stockpile commitment", "/plans/p/stockpiles", {"stockpile": "depot-biz"}, {"admin", "biz"}),
    ("stockpile commitment", "/plans/q/stockpiles", {"stockpile": "depot-biz"}, {"admin"}),
    (
        "stockpile commitment",
        "/plans/p/stockpile-withdrawals",
        {"stockpile": "depot-amda"},
        {"admin", "amda"},
    ),
    (
        "stockpile opening",
        "/stockpiles",
        {"stockpile": "s2", "partner": "amda", "location": "L"},
        {"admin", "amda"},
    ),
    (
        "stockpile opening",
        "/stockpiles",
        {"stockpile": "s2", "partner": "pwj", "location": "L"},
        {"admin", "coord"},
    ),
    (
        "own stockpile",
        "/stockpiles/depot-amda/receipts",
        {"item": "soap", "quantity": 5},
        {"admin", "amda"},
    ),
    (
        "own stockpile",
        "/stockpiles/depot-biz/receipts",
        {"item": "soap", "quantity": 5},
        {"admin", "biz"},
    ),
    (
        "own stockpile",
        "/stockpiles/depot-amda/write-offs",
        {"item": "water", "quantity": 5, "reason": "expired"},
        {"admin", "amda"},
    ),
    (
        "stock to camps",
        "/stockpiles/depot-amda/reservations",
        {"camp": "c", "item": "water", "quantity": 5},
        {"admin", "amda", "coord"},
    ),
    (
        "stock to camps",
        "/stockpiles/depot-amda/dispatches",
        {"camp": "c", "item": "water", "quantity": 5},
        {"admin", "amda", "coord"},
    ),
    (
        "stock to camps",
        "/stockpiles/depot-amda/reservations",
        {"camp": "d", "item": "water", "quantity": 5},
        {"admin", "amda"},
    ),  # camp d's plan q has not got depot-amda committed
    (
        "stock to camps",
        "/stockpiles/depot-biz/dispatches",
        {"camp": "c", "item": "blanket", "quantity": 5},
        {"admin", "biz"},
    ),
    (
        "stock to camps",
        "/stockpiles/depot-amda/releases",
        {"camp": "c", "item": "water", "quantity": 5},
        set(),
    ),  # nothing reserved
    (
        "camp establishing",
        "/camps",
        {"camp": "e", "plan": "p", "location": "L", "site_area_m2": 100, "shelter_capacity": 1},
        {"admin", "coord"},
    ),
    (
        "camp establishing",
        "/camps",
        {"camp": "e", "plan": "q", "location": "L", "site_area_m2": 100, "shelter_capacity": 1},
        {"admin", "coord-other"},
    ),
    ("sector leads", "/camps/c/sectors", {"sector": "SHL", "partner": "amda"}, {"admin", "coord"}),
    (
        "sector leads",
        "/camps/c/sectors/WSH/reassign",
        {"partner": "pwj"},
        {"admin", "coord", "amda"},
    ),
    ("sector leads", "/camps/c/sectors/HEA/release", None, {"admin", "coord", "amda"}),
    ("sector leads", "/camps/c/sectors/CCM/release", None, {"admin", "coord", "biz"}),
    ("camp work", "/camps/c/arrivals", {"people": 5}, {"admin", "coord", "biz"}),
    ("camp work", "/camps/c/departures", {"people": 5}, {"admin", "coord", "biz"}),
    (
        "camp work",
        "/camps/c/distributions",
        {"item": "water", "quantity": 5},
        {"admin", "coord", "amda"},
    ),
    (
        "camp work",
        "/camps/c/facilities",
        {"facility": "latrine", "count": 1},
        {"admin", "coord", "amda"},
    ),
    (
        "camp work",
        "/camps/c/facilities",
        {"facility": "health_post", "count": 1},
        {"admin", "coord", "amda"},
    ),
    (
        "camp work",
        "/camps/d/facilities",
        {"facility": "latrine", "count": 1},
        {"admin", "coord-other"},
    ),
    ("camp closing", "/camps/c/close", None, {"admin", "coord"}),
]
# Commands refused by the domain for the tokens allowed to send them (409), 403 for the rest.
DOMAIN_REFUSED = {
    "/plans/p/stand-down",
    "/plans/p/disbursements",
    "/plans/p/split-pool",
    "/plans/p/receipts",
    "/stockpiles/depot-amda/releases",
}
MAY_SEND = {
    "/plans/p/stand-down": {"admin", "coord"},
    "/plans/p/disbursements": {"admin", "coord"},
    "/plans/p/split-pool": {"admin", "coord"},
    "/plans/p/receipts": {"admin", "coord"},
    "/stockpiles/depot-amda/releases": {"admin", "amda", "coord"},
}


# Every command (Part 2's included) is covered by the matrix generated from the rights table:
# tests/api/test_rights_matrix.py (test_every_command_has_a_sample).


@pytest.mark.parametrize(
    ("family", "path", "body", "allowed"),
    CASES,
    ids=[f"{family}:{path}" for family, path, _, _ in CASES],
)
def test_role_rights(
    world: Planner,
    make_client: Callable[..., TestClient],
    family: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: set[str],
) -> None:
    """Each token in turn: refused ones on the shared world (nothing may change), accepted
    ones each on a fresh copy of the world."""
    client = make_client(world)
    may_send = MAY_SEND.get(path, allowed)
    for token in ALL:
        if token in may_send:
            continue
        before = last_position(world)
        response = client.post(path, json=body, headers=auth(token))
        assert response.status_code == 403, (token, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith(":forbidden")
        assert last_position(world) == before
    created = path in ("/plans", "/stockpiles", "/camps", "/partners")
    for token in sorted(may_send):
        fresh = open_planner("memory:")
        try:
            build_world(fresh)
            response = make_client(fresh).post(path, json=body, headers=auth(token))
        finally:
            fresh.close()
        expected = 409 if path in DOMAIN_REFUSED else 201 if created else 200
        assert response.status_code == expected, (token, response.text)


def test_a_withdrawn_organization_token_may_run_no_command(
    client: TestClient, world: Planner
) -> None:
    world.service.execute("withdraw_partner", {"partner": "amda"})
    response = client.post(
        "/stockpiles/depot-amda/receipts",
        json={"item": "soap", "quantity": 1},
        headers=auth("amda"),
    )
    assert response.status_code == 403
    assert "withdrawn" in response.json()["detail"]


def test_a_coordinator_who_left_its_plan_loses_its_rights(
    client: TestClient, world: Planner
) -> None:
    world.service.execute("join_plan", {"plan": "p", "partner": "other", "role": "coordinator"})
    assert (
        client.post(
            "/camps/c/facilities",
            json={"facility": "latrine", "count": 1},
            headers=auth("coord-other"),
        ).status_code
        == 200
    )
    world.service.execute("leave_plan", {"plan": "p", "partner": "other"})
    assert (
        client.post(
            "/camps/c/facilities",
            json={"facility": "latrine", "count": 1},
            headers=auth("coord-other"),
        ).status_code
        == 403
    )


def test_a_partner_token_of_a_coordinating_organization_has_partner_rights_only(
    client: TestClient, world: Planner, make_client: Any
) -> None:
    from api.app import build_context

    tokens = TokenRegistry()
    tokens.add("pwj-as-partner", "partner", "pwj")
    app = client.app
    app.state.api = build_context(world, tokens)  # type: ignore[attr-defined]
    response = client.post("/plans/p/activate", headers={"Authorization": "Bearer pwj-as-partner"})
    assert response.status_code == 403
