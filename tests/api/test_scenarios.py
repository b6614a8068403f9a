"""Scenario files over HTTP: check, and replay into a scratch store with the CLI's report."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from api.context import ApiSettings
from planner.cli import main as cli
from planner.wiring import Planner
from tests.api.conftest import auth, last_position

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
YAML = {"Content-Type": "application/yaml"}
TINY = """scenario: tiny
title: A tiny camp
start: 1999-04-01T00:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: pwj, name: Peace Winds Japan, kind: ngo}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: T, crisis: C, planning_figure: 100}}
  - {at: +1d, do: activate_plan, with: {plan: p}}
checks:
  - {at: +0d, plan: p, expect: {status: drafted}}
  - {at: +1d, plan: p, expect: {status: activated}}
"""


def post(client: TestClient, path: str, text: str | bytes, **params: str):
    data = text.encode() if isinstance(text, str) else text
    return client.post(path, content=data, params=params, headers=auth("viewer", **YAML))


def test_check_validates_a_scenario(empty_client: TestClient) -> None:
    response = post(empty_client, "/scenarios/check", TINY)
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "scenario": "tiny",
        "title": "A tiny camp",
        "steps": 3,
        "checks": 2,
    }


def test_a_bad_scenario_is_422_naming_step_and_line(empty_client: TestClient) -> None:
    bad = TINY.replace("do: activate_plan", "do: activate_everything")
    for path in ("/scenarios/check", "/scenarios/replay"):
        response = post(empty_client, path, bad, name="mine.yaml")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        doc = response.json()
        assert doc["type"].endswith(":invalid-scenario")
        assert doc["step"] == 3
        assert doc["line"] == 7
        assert doc["detail"].startswith("mine.yaml: step 3 (line 7)")


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"", 422), (b"\xff\xfe", 422), (b"- just\n- a list\n", 422)],
)
def test_unusable_bodies(empty_client: TestClient, body: bytes, status: int) -> None:
    assert post(empty_client, "/scenarios/check", body).status_code == status


def test_a_scenario_over_the_size_limit_is_413(planner: Planner, make_client) -> None:
    client = make_client(planner, ApiSettings(max_scenario_bytes=1000))
    big = TINY + "#" * 2000 + "\n"
    for path in ("/scenarios/check", "/scenarios/replay"):
        response = post(client, path, big)
        assert response.status_code == 413
        assert response.json()["type"].endswith(":too-large")

    def chunks():
        yield big.encode()[:600]
        yield big.encode()[600:]

    streamed = client.post("/scenarios/replay", content=chunks(), headers=auth("viewer", **YAML))
    assert streamed.status_code == 413


def test_replay_returns_the_cli_json_report_and_leaves_the_main_store_alone(
    client: TestClient, world: Planner, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = SCENARIOS / "camp-japan-1999.yaml"
    before = last_position(world)
    response = post(client, "/scenarios/replay", path.read_bytes(), name=str(path))
    assert response.status_code == 200, response.text
    report = response.json()
    capsys.readouterr()
    cli(["replay", "--json", "--db", str(tmp_path / "cli.sqlite"), str(path)])
    assert report == orjson.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["passed"] > 0
    assert last_position(world) == before


def test_replay_reports_failed_checks_and_refused_steps(empty_client: TestClient) -> None:
    failing = TINY.replace("expect: {status: activated}", "expect: {status: closed}")
    report = post(empty_client, "/scenarios/replay", failing).json()
    assert report["ok"] is False
    assert report["failed"] == 1
    refused = (
        TINY.replace("do: activate_plan, with: {plan: p}", "do: close_plan, with: {plan: p}")
        + "  - {at: +2d, do: activate_plan, with: {plan: p}}\n"
    )
    refused = refused.replace(
        "checks:\n  - {at: +0d, plan: p, expect: {status: drafted}}\n"
        "  - {at: +1d, plan: p, expect: {status: activated}}\n",
        "",
    )
    report = post(empty_client, "/scenarios/replay", refused).json()
    assert report["ok"] is False
    assert "refused" in report["error"]


def test_replay_until(empty_client: TestClient) -> None:
    report = post(empty_client, "/scenarios/replay", TINY, until="+0d").json()
    assert report["steps_applied"] == 2
    assert report["until"] == "1999-04-01T00:00:00Z"
    bad = post(empty_client, "/scenarios/replay", TINY, until="tomorrow")
    assert bad.status_code == 422
    assert bad.json()["field"] == "until"


def test_scenario_endpoints_need_a_token(empty_client: TestClient) -> None:
    assert empty_client.post("/scenarios/check", content=TINY.encode()).status_code == 401
