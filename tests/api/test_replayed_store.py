"""A store filled by `planner replay` (a scenario's own id namespace) is readable by slug."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from planner.replay import replay_scenario
from planner.scenario import load_scenario
from planner.wiring import open_planner
from tests.api.conftest import auth

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "japan-platform-standby.yaml"


def test_views_of_a_replayed_scenario_are_found_by_slug(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    store = str(tmp_path / "replayed.sqlite")
    assert replay_scenario(load_scenario(SCENARIO), store).ok
    planner = open_planner(store)
    try:
        client = make_client(planner)
        camp = client.get("/camps/camp-chaman", headers=auth("viewer"))
        assert camp.status_code == 200, camp.text
        assert camp.json()["camp"] == "camp-chaman"
        past = client.get("/plans/jpf-standby?as_of=2031-01-01T00:00:00Z", headers=auth("viewer"))
        assert past.status_code == 200, past.text
        assert past.json()["plan"] == "jpf-standby"
        assert client.get("/camps/nowhere", headers=auth("viewer")).status_code == 404
    finally:
        planner.close()
