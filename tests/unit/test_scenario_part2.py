"""Scenario files with Part 2 steps and checks: `eta`/`expires` written like `at`, the check
kinds `shipment` and `offer`, and refusals that name the step and store nothing after it."""

from __future__ import annotations

import pytest

from planner.replay import replay_scenario
from planner.scenario import ScenarioError, parse_scenario

HEAD = """\
scenario: part2
title: Part 2
start: 2011-03-22T00:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: ngo, name: NGO, kind: ngo}}
  - {at: +0d, do: register_partner, with: {partner: biz, name: Biz, kind: business}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: c, planning_figure: 100}}
  - {at: +0d, do: draft_plan, with: {plan: q, title: Q, crisis: c, planning_figure: 100}}
  - {at: +0d, do: open_stockpile, with: {stockpile: s, partner: ngo, location: L}}
  - {at: +0d, do: receive_supplies, with: {stockpile: s, item: water, quantity: 1000}}
  - {at: +0d, do: establish_camp, with: {camp: c, plan: p, location: C, site_area_m2: 9000, shelter_capacity: 200}}
  - {at: +0d, do: establish_camp, with: {camp: e, plan: q, location: E, site_area_m2: 9000, shelter_capacity: 200}}
  - {at: +0d, do: register_arrivals, with: {camp: c, people: 10}}
"""  # noqa: E501


def scenario(steps: str = "", checks: str = "") -> str:
    return HEAD + steps + (f"checks:\n{checks}" if checks else "")


def test_eta_and_expires_are_written_like_at() -> None:
    text = scenario(
        "  - {at: +1d, do: send_shipment, with: {shipment: t, stockpile: s, camp: c, "
        "item: water, quantity: 5, eta: +1d6h}}\n"
        "  - {at: +1d, do: offer_supplies, with: {offer: o, partner: biz, item: water, "
        "quantity: 9, expires: '2011-03-25T09:00:00+09:00'}}\n"
    )
    steps = parse_scenario(text, "s.yaml").steps
    assert steps[-2].args["eta"] == "2011-03-23T06:00:00Z"
    assert steps[-1].args["expires"] == "2011-03-25T00:00:00Z"


@pytest.mark.parametrize("value", ["soon", "+1x", "2011-03-25", 7])
def test_a_bad_eta_names_the_step_and_line(value: object) -> None:
    text = scenario(
        "  - {at: +1d, do: send_shipment, with: {shipment: t, stockpile: s, camp: c, "
        f"item: water, quantity: 5, eta: {value}}}}}\n"
    )
    with pytest.raises(ScenarioError) as error:
        parse_scenario(text, "s.yaml")
    assert "s.yaml: step 10 (line 14)" in str(error.value)
    assert "eta" in str(error.value)


def test_checks_of_shipments_and_offers() -> None:
    text = scenario(
        "  - {at: +1d, do: send_shipment, with: {shipment: t, stockpile: s, camp: c, "
        "item: water, quantity: 5, eta: +2d}}\n"
        "  - {at: +1d, do: offer_supplies, with: {offer: o, partner: biz, item: water, "
        "quantity: 9, plan: p, expires: +3d}}\n"
        "  - {at: +1d, do: accept_offer, with: {offer: o, camp: c, quantity: 4}}\n",
        "  - {at: +2d1s, shipment: t, expect: {overdue: true, eta: +2d, status: in_transit}}\n"
        "  - {at: +2d, shipment: t, expect: {overdue: false, stockpile: s, camp: c}}\n"
        "  - {at: +3d, offer: o, expect: {lapsed: 5, remaining: 0, status: committed, "
        "expires: 2011-03-25T00:00:00Z, plan: p, by_camp: {c: {accepted: 4}}}}\n"
        "  - {at: +1d, camp: c, expect: {in_transit: {water: 5}, "
        "needs: {water: {committed: 9, shortfall: 450, uncommitted: 441}}}}\n",
    )
    report = replay_scenario(parse_scenario(text, "s.yaml"), "memory:", materialize=False)
    assert report.ok, [c.mismatches for c in report.checks]
    assert len(report.checks) == 4


def test_a_check_of_an_unknown_offer_is_an_error() -> None:
    text = scenario(checks="  - {at: +1d, offer: nope, expect: {status: open}}\n")
    with pytest.raises(ScenarioError) as error:
        parse_scenario(text, "s.yaml")
    assert "check 1" in str(error.value) and "unknown offer 'nope'" in str(error.value)


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("{at: +1d, do: accept_offer, with: {offer: o, camp: c, quantity: 10}}", "remain"),
        ("{at: +1d, do: accept_offer, with: {offer: o, camp: e, quantity: 1}}", "plan"),
        ("{at: +1d, do: deliver_offer, with: {offer: o, camp: c, quantity: 1}}", "accepted"),
        ("{at: +4d, do: accept_offer, with: {offer: o, camp: c, quantity: 1}}", "expired"),
        ("{at: +1d, do: deliver_shipment, with: {shipment: t, quantity: 6}}", "carried 5"),
        (
            "{at: +1d, do: send_shipment, with: {shipment: u, stockpile: s, camp: c, "
            "item: water, quantity: 1, eta: +1d}}",
            "eta",
        ),
        (
            "{at: +1d, do: offer_supplies, with: {offer: o2, partner: biz, item: water, "
            "quantity: 1, expires: +0d}}",
            "expir",
        ),
    ],
)
def test_part2_refusals_stop_the_replay_at_their_step(step: str, words: str) -> None:
    text = scenario(
        "  - {at: +1d, do: send_shipment, with: {shipment: t, stockpile: s, camp: c, "
        "item: water, quantity: 5}}\n"
        "  - {at: +1d, do: offer_supplies, with: {offer: o, partner: biz, item: water, "
        "quantity: 9, plan: p, expires: +3d}}\n"
        f"  - {step}\n"
        "  - {at: +5d, do: register_arrivals, with: {camp: c, people: 1}}\n"
    )
    report = replay_scenario(parse_scenario(text, "s.yaml"), "memory:", materialize=False)
    assert report.error is not None
    assert "s.yaml: step 12 (line 16)" in str(report.error)
    assert words in str(report.error)
    assert len(report.steps_applied) == 11


def test_a_second_end_to_a_shipment_is_refused() -> None:
    text = scenario(
        "  - {at: +1d, do: send_shipment, with: {shipment: t, stockpile: s, camp: c, "
        "item: water, quantity: 5}}\n"
        "  - {at: +2d, do: lose_shipment, with: {shipment: t, reason: stolen}}\n"
        "  - {at: +3d, do: return_shipment, with: {shipment: t}}\n"
    )
    report = replay_scenario(parse_scenario(text, "s.yaml"), "memory:", materialize=False)
    assert report.error is not None and "step 12" in str(report.error)
    assert "already lost" in str(report.error)
