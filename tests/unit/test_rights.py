"""The rights model: one row per command, documented as generated; withdraw_stockpile end to end."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from domain.commands import COMMANDS
from domain.errors import DomainRefusal
from domain.plan import ResponsePlan
from domain.rights import RIGHTS, Actor, RightsError, authorize, rights_table
from domain.service import PlannerService
from planner.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_command_has_exactly_one_rights_row() -> None:
    assert list(RIGHTS) == list(COMMANDS)


def test_the_docs_show_the_rights_table_generated_from_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"<!-- rights-table:start -->\n(.*?)<!-- rights-table:end -->", text, re.S)
    assert found is not None, "docs/api.md lost its rights table markers"
    assert found.group(1) == rights_table(), "regenerate with domain.rights.rights_table()"


@pytest.fixture
def world(service: PlannerService) -> PlannerService:
    for slug, kind in [("ngo", "ngo"), ("holder", "ngo"), ("outsider", "ngo")]:
        service.register_partner(partner=slug, name=slug, kind=kind)
    service.draft_plan(plan="p", title="P", crisis="C", planning_figure=100)
    service.join_plan(plan="p", partner="ngo", role="coordinator")
    service.join_plan(plan="p", partner="holder", role="supplier")
    service.open_stockpile(stockpile="s", partner="holder", location="port")
    return service


@pytest.mark.parametrize(
    ("actor", "command", "args", "allowed"),
    [
        (Actor("coordinator", "ngo"), "commit_stockpile", {"plan": "p", "stockpile": "s"}, False),
        (Actor("partner", "holder"), "commit_stockpile", {"plan": "p", "stockpile": "s"}, True),
        (Actor("partner", "outsider"), "pledge_funds", {"plan": "p", "partner": "outsider"}, False),
        (Actor("partner", "holder"), "pledge_funds", {"plan": "p", "partner": "holder"}, True),
        (Actor("coordinator", "ngo"), "pledge_funds", {"plan": "p", "partner": "holder"}, False),
        (Actor("coordinator", "ngo"), "receive_supplies", {"stockpile": "s"}, False),
        (Actor("viewer", "ngo"), "activate_plan", {"plan": "p"}, False),
        (Actor("admin", None), "withdraw_partner", {"partner": "ngo"}, True),
    ],
)
def test_authorize_follows_the_table(
    world: PlannerService, actor: Actor, command: str, args: dict[str, str], allowed: bool
) -> None:
    if allowed:
        authorize(world, actor, command, args)
    else:
        with pytest.raises(RightsError):
            authorize(world, actor, command, args)


def test_a_refused_command_stores_nothing_and_names_the_field(world: PlannerService) -> None:
    before = world.recorder.max_notification_id()
    with pytest.raises(RightsError) as refused:
        world.execute(
            "commit_stockpile", {"plan": "p", "stockpile": "s"}, actor=Actor("coordinator", "ngo")
        )
    assert refused.value.field == "stockpile"
    assert "holds the stockpile" in str(refused.value)
    assert world.recorder.max_notification_id() == before


def test_withdraw_stockpile_needs_a_commitment_and_commit_refuses_a_second_one(
    world: PlannerService,
) -> None:
    with pytest.raises(DomainRefusal, match="not committed"):
        world.withdraw_stockpile(plan="p", stockpile="s")
    world.commit_stockpile(plan="p", stockpile="s")
    with pytest.raises(DomainRefusal, match="already committed"):
        world.commit_stockpile(plan="p", stockpile="s")
    world.withdraw_stockpile(plan="p", stockpile="s")
    assert world.load("plan", "p", ResponsePlan).stockpiles == []


SCENARIO = textwrap.dedent(
    """\
    scenario: withdraw
    title: A stockpile withdrawn and committed again
    start: 2030-01-01T00:00:00Z
    steps:
      - {at: +0d, do: register_partner, with: {partner: n, name: N, kind: ngo}}
      - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: C, planning_figure: 100}}
      - {at: +0d, do: open_stockpile, with: {stockpile: a, partner: n, location: A}}
      - {at: +0d, do: open_stockpile, with: {stockpile: b, partner: n, location: B}}
      - {at: +0d, do: receive_supplies, with: {stockpile: a, item: water, quantity: 3000}}
      - {at: +0d, do: receive_supplies, with: {stockpile: b, item: water, quantity: 1500}}
      - {at: +0d, do: establish_camp, with: {camp: c, plan: p, location: L, site_area_m2: 9000,
                                             shelter_capacity: 100}}
      - {at: +0d, do: commit_stockpile, with: {plan: p, stockpile: a}}
      - {at: +0d, do: commit_stockpile, with: {plan: p, stockpile: b}}
      - {at: +0d, do: reserve_supplies, with: {stockpile: a, camp: c, item: water, quantity: 100}}
      - {at: +1d, do: withdraw_stockpile, with: {plan: p, stockpile: a}}
      - {at: +2d, do: commit_stockpile, with: {plan: p, stockpile: a}}
    checks:
      - {at: +0d, plan: p, expect: {preparedness_days: {water: 2.933}}}
      - {at: +1d, plan: p, expect: {preparedness_days: {water: 1.0}}}
      - {at: +1d, stockpile: a, expect: {plans: [], items: {water: {reserved: 100}}}}
      - {at: +2d, stockpile: a, expect: {plans: [p]}}
      - {at: +2d, plan: p, expect: {preparedness_days: {water: 2.933}}}
    """
)


def test_withdraw_stockpile_in_a_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(SCENARIO)
    assert main(["replay", "--json", str(path)]) == 0, capsys.readouterr().out
    report = json.loads(capsys.readouterr().out)
    assert [c["result"] for c in report["checks"]] == ["PASS"] * 5


def test_withdrawing_a_stockpile_not_committed_stops_the_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        SCENARIO.replace("{at: +2d, do: commit_stockpile", "{at: +2d, do: withdraw_stockpile")
    )
    assert main(["replay", str(path)]) != 0
    out = capsys.readouterr()
    assert "step 12" in out.out + out.err
    assert "not committed" in out.out + out.err
