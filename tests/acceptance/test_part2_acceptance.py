# ruff: noqa: E501 -- each refusal is one scenario step, kept on one line as it reads in YAML
"""Part 2 of the contract, read independently from the contract text: a full scenario whose checks
must pass, and one refusal per rule (the replay stops at that step, exit 2, message names the step)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli import main

HERE = Path(__file__).parent
FULL = HERE / "part2-loop.yaml"

PRELUDE = """\
scenario: refusals
title: refusals
start: "2011-03-20T00:00:00Z"
steps:
  - {at: +0d, do: register_partner, with: {partner: jpf, name: "JPF", kind: ngo}}
  - {at: +0d, do: register_partner, with: {partner: biz, name: "Biz", kind: business}}
  - {at: +0d, do: draft_plan, with: {plan: p1, title: "P1", crisis: "x", planning_figure: 100}}
  - {at: +0d, do: draft_plan, with: {plan: p2, title: "P2", crisis: "y", planning_figure: 100}}
  - {at: +0d, do: join_plan, with: {plan: p1, partner: jpf, role: coordinator}}
  - {at: +0d, do: open_stockpile, with: {stockpile: dep1, partner: jpf, location: "Sendai"}}
  - {at: +0d, do: receive_supplies, with: {stockpile: dep1, item: water, quantity: 1000}}
  - {at: +0d, do: commit_stockpile, with: {plan: p1, stockpile: dep1}}
  - {at: +0d, do: establish_camp, with: {camp: c1, plan: p1, location: "A", site_area_m2: 1000, shelter_capacity: 10}}
  - {at: +0d, do: establish_camp, with: {camp: c2, plan: p2, location: "B", site_area_m2: 1000, shelter_capacity: 10}}
  - {at: +0d, do: establish_camp, with: {camp: c3, plan: p1, location: "C", site_area_m2: 1000, shelter_capacity: 10}}
  - {at: +0d, do: offer_supplies, with: {offer: o1, partner: biz, item: water, quantity: 100, plan: p1, expires: +2d}}
  - {at: +0d, do: send_shipment, with: {shipment: s1, stockpile: dep1, camp: c1, item: water, quantity: 10}}
"""
PRELUDE_STEPS = PRELUDE.count("\n  - ")

REFUSALS = {
    "accept_more_than_remains": [
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 101}}"
    ],
    "accept_after_expiry": [
        "{at: +2d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 1}}"
    ],
    "accept_withdrawn": [
        "{at: +1d, do: withdraw_offer, with: {offer: o1}}",
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 1}}",
    ],
    "accept_other_plan": ["{at: +1d, do: accept_offer, with: {offer: o1, camp: c2, quantity: 1}}"],
    "accept_closed_camp": [
        "{at: +1d, do: close_camp, with: {camp: c3}}",
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c3, quantity: 1}}",
    ],
    "deliver_more_than_accepted": [
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 5}}",
        "{at: +1d, do: deliver_offer, with: {offer: o1, camp: c1, quantity: 6}}",
    ],
    "deliver_to_camp_not_accepted": [
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 5}}",
        "{at: +1d, do: deliver_offer, with: {offer: o1, camp: c3, quantity: 1}}",
    ],
    "decline_nothing_left": [
        "{at: +1d, do: accept_offer, with: {offer: o1, camp: c1, quantity: 100}}",
        "{at: +1d, do: decline_offer, with: {offer: o1, reason: not_needed}}",
    ],
    "decline_bad_reason": ["{at: +1d, do: decline_offer, with: {offer: o1, reason: ugly}}"],
    "withdraw_twice": [
        "{at: +1d, do: withdraw_offer, with: {offer: o1}}",
        "{at: +1d, do: withdraw_offer, with: {offer: o1}}",
    ],
    "unknown_offer": ["{at: +1d, do: accept_offer, with: {offer: nope, camp: c1, quantity: 1}}"],
    "offer_twice": [
        "{at: +1d, do: offer_supplies, with: {offer: o1, partner: biz, item: water, quantity: 1}}"
    ],
    "offer_by_withdrawn_partner": [
        "{at: +1d, do: withdraw_partner, with: {partner: biz}}",
        "{at: +1d, do: offer_supplies, with: {offer: o9, partner: biz, item: water, quantity: 1}}",
    ],
    "offer_expires_not_after": [
        "{at: +1d, do: offer_supplies, with: {offer: o9, partner: biz, item: water, quantity: 1, expires: +1d}}"
    ],
    "offer_unknown_item": [
        "{at: +1d, do: offer_supplies, with: {offer: o9, partner: biz, item: gold, quantity: 1}}"
    ],
    "shipment_second_end": [
        "{at: +1d, do: deliver_shipment, with: {shipment: s1}}",
        "{at: +1d, do: lose_shipment, with: {shipment: s1, reason: lost}}",
    ],
    "shipment_return_after_loss": [
        "{at: +1d, do: lose_shipment, with: {shipment: s1, reason: damaged}}",
        "{at: +1d, do: return_shipment, with: {shipment: s1}}",
    ],
    "deliver_more_than_sent": [
        "{at: +1d, do: deliver_shipment, with: {shipment: s1, quantity: 11}}"
    ],
    "deliver_zero": ["{at: +1d, do: deliver_shipment, with: {shipment: s1, quantity: 0}}"],
    "deliver_to_closed_camp": [
        "{at: +1d, do: close_camp, with: {camp: c1}}",
        "{at: +1d, do: deliver_shipment, with: {shipment: s1}}",
    ],
    "send_to_closed_camp": [
        "{at: +1d, do: close_camp, with: {camp: c3}}",
        "{at: +1d, do: send_shipment, with: {shipment: s9, stockpile: dep1, camp: c3, item: water, quantity: 1}}",
    ],
    "send_more_than_available": [
        "{at: +1d, do: send_shipment, with: {shipment: s9, stockpile: dep1, camp: c1, item: water, quantity: 991}}"
    ],
    "send_eta_not_after": [
        "{at: +1d, do: send_shipment, with: {shipment: s9, stockpile: dep1, camp: c1, item: water, quantity: 1, eta: +1d}}"
    ],
    "lose_bad_reason": ["{at: +1d, do: lose_shipment, with: {shipment: s1, reason: eaten}}"],
    "shipment_slug_twice": [
        "{at: +1d, do: send_shipment, with: {shipment: s1, stockpile: dep1, camp: c1, item: water, quantity: 1}}"
    ],
    "adm2_without_adm1": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, adm2: JP04202}}"
    ],
    "lat_without_lon": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, lat: 38.0}}"
    ],
    "lat_out_of_range": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, lat: 91, lon: 0}}"
    ],
    "lon_out_of_range": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, lat: 0, lon: -180.5}}"
    ],
    "bad_kind": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, kind: hotel}}"
    ],
    "bad_adm_code": [
        "{at: +1d, do: establish_camp, with: {camp: c9, plan: p1, location: X, site_area_m2: 10, shelter_capacity: 1, adm1: 'JP 04'}}"
    ],
    "withdraw_uncommitted_stockpile": [
        "{at: +1d, do: withdraw_stockpile, with: {plan: p2, stockpile: dep1}}"
    ],
    "commit_twice": ["{at: +1d, do: commit_stockpile, with: {plan: p1, stockpile: dep1}}"],
}


def test_the_full_part2_scenario_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(FULL)])
    out = capsys.readouterr().out
    assert code == 0, out


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_each_refusal_stops_the_replay_at_its_step(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = REFUSALS[name]
    text = PRELUDE + "".join(f"  - {step}\n" for step in bad)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    code = main(["replay", str(path)])
    captured = capsys.readouterr()
    message = captured.out + captured.err
    assert code == 2, message
    assert f"step {PRELUDE_STEPS + len(bad)}" in message, message


def test_the_prelude_itself_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prelude.yaml"
    path.write_text(PRELUDE)
    assert main(["replay", str(path)]) == 0, capsys.readouterr()


def test_an_unknown_area_in_a_check_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "area.yaml"
    path.write_text(PRELUDE + "checks:\n  - {at: +1d, adm1: NOPE, expect: {population: 0}}\n")
    code = main(["replay", str(path)])
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    assert "NOPE" in captured.out + captured.err
