"""Generated workloads for the benchmarks: a long, valid scenario for a busy response."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2030, 1, 1, tzinfo=UTC)
CAMPS = 20
STOCKPILES = 5
ITEMS = ("water", "food_ration", "blanket", "sleeping_mat", "medical_kit")


def setup_steps() -> list[tuple[str, dict[str, Any]]]:
    """Partners, one tripartite plan, stockpiles committed to it, camps with every sector led."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("register_partner", {"partner": "ngo-a", "name": "NGO A", "kind": "ngo"}),
        ("register_partner", {"partner": "biz-b", "name": "Business B", "kind": "business"}),
        ("register_partner", {"partner": "gov-c", "name": "Government C", "kind": "government"}),
        (
            "draft_plan",
            {"plan": "bench", "title": "Bench", "crisis": "Load", "planning_figure": 100_000},
        ),
    ]
    for partner, role in (("ngo-a", "coordinator"), ("biz-b", "supplier"), ("gov-c", "funder")):
        steps.append(("join_plan", {"plan": "bench", "partner": partner, "role": role}))
    for s in range(STOCKPILES):
        steps.append(
            (
                "open_stockpile",
                {"stockpile": f"depot-{s}", "partner": "biz-b", "location": f"Port {s}"},
            )
        )
        steps.append(("commit_stockpile", {"plan": "bench", "stockpile": f"depot-{s}"}))
        for item in ITEMS:
            steps.append(
                (
                    "receive_supplies",
                    {"stockpile": f"depot-{s}", "item": item, "quantity": 100_000_000},
                )
            )
    for c in range(CAMPS):
        steps.append(
            (
                "establish_camp",
                {
                    "camp": f"camp-{c}",
                    "plan": "bench",
                    "location": f"District {c % 7}",
                    "site_area_m2": 900_000,
                    "shelter_capacity": 20_000,
                },
            )
        )
        for sector in ("CCM", "SHL", "WSH", "FSC", "HEA", "PRO"):
            steps.append(
                ("assign_sector", {"camp": f"camp-{c}", "sector": sector, "partner": "ngo-a"})
            )
    return steps


def busy_steps(count: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """`count` valid commands that keep stock, population, shipments and offers flowing.

    In every ten: a receipt, a dispatch, two arrivals, a facility; a shipment sent and delivered;
    an offer made (every other one expiring), accepted in part for a camp and delivered there.
    """
    rng = random.Random(seed)
    steps: list[tuple[str, dict[str, Any]]] = []
    offer_camp = ""
    for i in range(count):
        camp = f"camp-{rng.randrange(CAMPS)}"
        depot = f"depot-{rng.randrange(STOCKPILES)}"
        item = ITEMS[rng.randrange(len(ITEMS))]
        kind, cycle = i % 10, i // 10
        if kind == 0:
            steps.append(
                ("receive_supplies", {"stockpile": depot, "item": item, "quantity": 1_000})
            )
        elif kind == 1:
            steps.append(
                (
                    "dispatch_supplies",
                    {"stockpile": depot, "camp": camp, "item": item, "quantity": 1},
                )
            )
        elif kind in (2, 4):
            group = "elderly" if kind == 2 else "under5"
            steps.append(
                ("register_arrivals", {"camp": camp, "people": 3 if kind == 2 else 2, group: 1})
            )
        elif kind == 3:
            steps.append(("build_facilities", {"camp": camp, "facility": "latrine", "count": 1}))
        elif kind == 5:
            shipment = {"shipment": f"sh-{cycle}", "stockpile": depot, "camp": camp}
            steps.append(("send_shipment", shipment | {"item": item, "quantity": 2}))
        elif kind == 6:
            steps.append(("deliver_shipment", {"shipment": f"sh-{cycle}"}))
        elif kind == 7:
            offer = {"offer": f"of-{cycle}", "partner": "biz-b", "item": item, "quantity": 10}
            expiry = {"expires": "2099-01-01T00:00:00Z"} if cycle % 2 else {}
            steps.append(("offer_supplies", offer | {"plan": "bench"} | expiry))
        elif kind == 8:
            offer_camp = camp
            steps.append(("accept_offer", {"offer": f"of-{cycle}", "camp": camp, "quantity": 6}))
        else:
            deliver = {"offer": f"of-{cycle}", "camp": offer_camp, "quantity": 4}
            steps.append(("deliver_offer", deliver))
    return steps


def scenario_yaml(count: int, minutes_per_step: int = 1) -> str:
    """A scenario file of `count` busy steps after the setup (one step a minute)."""
    lines = [
        "scenario: bench-busy",
        "title: Generated busy response",
        "start: 2030-01-01T00:00:00Z",
        "steps:",
    ]
    for n, (command, args) in enumerate(setup_steps() + busy_steps(count)):
        at = f"+{(n * minutes_per_step) // 60}h{(n * minutes_per_step) % 60}m"
        body = ", ".join(f"{k}: {_yaml_value(v)}" for k, v in args.items())
        lines.append(f"  - {{at: '{at}', do: {command}, with: {{{body}}}}}")
    return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    return str(value) if isinstance(value, int) else f"'{value}'"


def times(n: int, minutes_per_step: int = 1) -> list[datetime]:
    """The simulated time of each of n steps."""
    return [START + timedelta(minutes=i * minutes_per_step) for i in range(n)]


@contextmanager
def raw_events_table(url: str, prefix: str) -> Iterator[tuple[Any, str]]:
    """A PostgreSQL connection (autocommit) and an events-like table `"schema".raw` in a scratch
    schema, dropped afterwards: the baseline the benchmarks compare the planner with."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            conn.execute(
                f'CREATE TABLE "{schema}".raw (originator_id uuid, originator_version bigint, '
                "topic text, state bytea, notification_id bigserial, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
            yield conn, f'"{schema}".raw'
        finally:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
