"""Fixtures of the API tests: an in-memory planner with a small world, an app, tokens by name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fastapi import FastAPI

from api.app import build_context, create_app
from api.auth import TokenRegistry
from api.context import ApiSettings
from planner.wiring import Planner, open_planner

# name -> (token, role, partner)
TOKENS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("tok-admin-0123456789", "admin", None),
    "coord": ("tok-coord-pwj-0123456789", "coordinator", "pwj"),
    "coord-other": ("tok-coord-other-0123456789", "coordinator", "other"),
    "amda": ("tok-partner-amda-0123456789", "partner", "amda"),
    "biz": ("tok-partner-biz-0123456789", "partner", "biz"),
    "viewer": ("tok-viewer-gov-0123456789", "viewer", "gov"),
    "ghost": ("tok-partner-ghost-0123456789", "partner", "ghost"),
    "other": ("tok-partner-other-0123456789", "partner", "other"),
}


def auth(name: str, **extra: str) -> dict[str, str]:
    """Headers authenticating as one of TOKENS."""
    return {"Authorization": f"Bearer {TOKENS[name][0]}", **extra}


def registry() -> TokenRegistry:
    tokens = TokenRegistry()
    for token, role, partner in TOKENS.values():
        tokens.add(token, role, partner)
    return tokens


WORLD: list[tuple[str, dict[str, Any]]] = [
    ("register_partner", {"partner": "pwj", "name": "Peace Winds Japan", "kind": "ngo"}),
    ("register_partner", {"partner": "amda", "name": "AMDA", "kind": "ngo"}),
    ("register_partner", {"partner": "biz", "name": "Logistics Co", "kind": "business"}),
    ("register_partner", {"partner": "gov", "name": "Ministry", "kind": "government"}),
    ("register_partner", {"partner": "other", "name": "Other NGO", "kind": "ngo"}),
    (
        "draft_plan",
        {
            "plan": "p",
            "title": "Plan P",
            "crisis": "Flood",
            "planning_figure": 1000,
            "region": "North",
        },
    ),
    ("join_plan", {"plan": "p", "partner": "pwj", "role": "coordinator"}),
    ("join_plan", {"plan": "p", "partner": "amda", "role": "implementer"}),
    ("join_plan", {"plan": "p", "partner": "biz", "role": "supplier"}),
    ("join_plan", {"plan": "p", "partner": "gov", "role": "funder"}),
    (
        "draft_plan",
        {
            "plan": "q",
            "title": "Plan Q",
            "crisis": "Quake",
            "planning_figure": 500,
            "region": "South",
        },
    ),
    ("join_plan", {"plan": "q", "partner": "other", "role": "coordinator"}),
    ("open_stockpile", {"stockpile": "depot-amda", "partner": "amda", "location": "Port"}),
    ("open_stockpile", {"stockpile": "depot-biz", "partner": "biz", "location": "Airport"}),
    ("commit_stockpile", {"plan": "p", "stockpile": "depot-amda"}),
    ("receive_supplies", {"stockpile": "depot-amda", "item": "water", "quantity": 100000}),
    ("receive_supplies", {"stockpile": "depot-biz", "item": "blanket", "quantity": 500}),
    (
        "establish_camp",
        {
            "camp": "c",
            "plan": "p",
            "location": "Riverside",
            "site_area_m2": 90000,
            "shelter_capacity": 2000,
        },
    ),
    (
        "establish_camp",
        {
            "camp": "d",
            "plan": "q",
            "location": "Hilltop",
            "site_area_m2": 20000,
            "shelter_capacity": 500,
        },
    ),
    ("assign_sector", {"camp": "c", "sector": "WSH", "partner": "amda"}),
    ("assign_sector", {"camp": "c", "sector": "HEA", "partner": "amda"}),
    ("assign_sector", {"camp": "c", "sector": "CCM", "partner": "biz"}),
    ("register_arrivals", {"camp": "c", "people": 400, "under5": 40}),
    (
        "dispatch_supplies",
        {"stockpile": "depot-amda", "camp": "c", "item": "water", "quantity": 20000},
    ),
    # shipment t1 on the road to c (what it takes is received first: depot-amda keeps 80,000 L);
    # biz offers water for plan p (300 L accepted for c) and blankets for any plan; other offers
    # water for plan q
    ("receive_supplies", {"stockpile": "depot-amda", "item": "water", "quantity": 100}),
    (
        "send_shipment",
        {
            "shipment": "t1",
            "stockpile": "depot-amda",
            "camp": "c",
            "item": "water",
            "quantity": 100,
        },
    ),
    (
        "offer_supplies",
        {"offer": "o1", "partner": "biz", "item": "water", "quantity": 1000, "plan": "p"},
    ),
    ("accept_offer", {"offer": "o1", "camp": "c", "quantity": 300}),
    ("offer_supplies", {"offer": "o2", "partner": "biz", "item": "blanket", "quantity": 50}),
    (
        "offer_supplies",
        {"offer": "o3", "partner": "other", "item": "water", "quantity": 10, "plan": "q"},
    ),
]


def build_world(planner: Planner) -> None:
    """Store the world's commands and bring the views up to date."""
    for command, args in WORLD:
        planner.service.execute(command, args)
    planner.catch_up()


@pytest.fixture
def planner() -> Iterator[Planner]:
    """An empty in-memory planner (no follower thread: `?after=` catches up on demand)."""
    opened = open_planner("memory:")
    yield opened
    opened.close()


@pytest.fixture
def stored(store_url: str) -> Iterator[Planner]:
    """The world on a real store: a SQLite file, and a PostgreSQL schema (tests/conftest.py)."""
    planner = open_planner(store_url)
    build_world(planner)
    yield planner
    planner.close()


@pytest.fixture
def world(planner: Planner) -> Planner:
    """The planner holding WORLD."""
    build_world(planner)
    return planner


@pytest.fixture(scope="session")
def shared_app() -> Iterator[FastAPI]:
    """One app for the whole session: FastAPI builds each route's validators on the first
    request an app serves (about 0.5 s), so tests swap the app's context instead of building
    an app each. Tests that need two apps at once call create_app() themselves."""
    placeholder = open_planner("memory:")
    app = create_app(placeholder, registry())
    yield app
    placeholder.close()


@pytest.fixture
def make_client(shared_app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """Point the shared app at a planner (with optional settings); a TestClient over it."""
    clients: list[TestClient] = []

    def make(planner: Planner, settings: ApiSettings | None = None) -> TestClient:
        shared_app.state.api = build_context(planner, registry(), settings)
        client = TestClient(shared_app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(world: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    """A client over the world."""
    return make_client(world)


@pytest.fixture
def empty_client(planner: Planner, make_client: Callable[..., TestClient]) -> TestClient:
    """A client over an empty planner."""
    return make_client(planner)


def last_position(planner: Planner) -> int:
    """The newest position in the event log."""
    return planner.service.recorder.max_notification_id() or 0
