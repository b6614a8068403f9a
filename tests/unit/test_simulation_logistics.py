"""Part 2 shock kinds (shipment_delay, shipment_loss, offer_withdrawal, offer_lapse) and the
max_uncommitted_need requirement, on the bundled janic-offers-2011 scenario."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from planner.replay import replay_scenario
from planner.scenario import Scenario, ScenarioError, Step, load_scenario, parse_scenario
from planner.simulation import (
    Delay,
    Shock,
    Simulator,
    apply_shock,
    fragment_yaml,
    minimal_in_words,
    reproduction_yaml,
    simulate_scenario,
    validate_simulate,
)
from planner.simulation.kinds.offer_lapse import Lapse
from planner.simulation.kinds.offer_withdrawal import OfferWithdrawal
from planner.simulation.kinds.shipment_loss import ShipmentLoss

FILE = Path(__file__).resolve().parents[2] / "scenarios" / "janic-offers-2011.yaml"
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def janic() -> Scenario:
    return load_scenario(FILE)


def number(scenario: Scenario, command: str, **args: object) -> int:
    """The number of the step of `command` whose arguments include `args`."""
    return next(
        s.number
        for s in scenario.steps
        if s.command == command and all(s.args.get(k) == v for k, v in args.items())
    )


def water_need(view: object) -> dict[str, int]:
    assert isinstance(view, dict)
    needs = view["needs"]
    assert isinstance(needs, dict)
    return dict(needs.get("water", {"shortfall": 0, "committed": 0, "uncommitted": 0}))


def probe_view(scenario: Scenario, shock: Shock, at: timedelta, kind: str, slug: str) -> object:
    probe = (scenario.start + at, kind, slug)
    return Simulator(scenario).run(shock, probes=[probe]).probes[probe]


def test_the_bundled_section_enables_the_four_kinds(janic: Scenario) -> None:
    spec = validate_simulate(janic)
    assert spec is not None
    assert {"shipment_delay", "shipment_loss", "offer_withdrawal", "offer_lapse"} <= set(
        spec.shock_kinds
    )
    assert [r.prop for r in spec.requirements] == ["max_uncommitted_need"] * 3
    assert spec.requirements[2].subject == "plan"


def test_a_lost_shipment_replaces_its_delivery(janic: Scenario) -> None:
    step = number(janic, "deliver_shipment", shipment="truck-1")
    shock = Shock(shipment_losses=(ShipmentLoss(step, "truck-1"),))
    lost = next(s for s in apply_shock(janic, shock) if s.number == step)
    assert (lost.command, lost.args) == ("lose_shipment", {"shipment": "truck-1", "reason": "lost"})
    plain = water_need(probe_view(janic, Shock(), 2 * DAY, "camp", "ishinomaki"))
    shocked = water_need(probe_view(janic, shock, 2 * DAY, "camp", "ishinomaki"))
    # the 10,000 L never arrive: the shortfall grows by them and nothing is on its way for it
    assert shocked["shortfall"] == plain["shortfall"] + 10000
    assert shocked["uncommitted"] == plain["uncommitted"] + 10000
    with pytest.raises(ValueError, match="not a deliver_shipment step"):
        apply_shock(janic, Shock(shipment_losses=(ShipmentLoss(step - 1, "truck-1"),)))


def test_a_delayed_delivery_stays_in_transit_and_overdue(janic: Scenario) -> None:
    step = number(janic, "deliver_shipment", shipment="truck-1")
    shock = Shock(shipment_delays=(Delay(step, DAY),))
    moved = next(s for s in apply_shock(janic, shock) if s.number == step)
    assert moved.at == janic.start + 3 * DAY
    truck = probe_view(janic, shock, 2 * DAY + timedelta(hours=12), "shipment", "truck-1")
    assert isinstance(truck, dict) and (truck["status"], truck["overdue"]) == ("in_transit", True)


def test_a_withdrawn_offer_cancels_what_was_accepted(janic: Scenario) -> None:
    shock = Shock(offer_withdrawals=(OfferWithdrawal(janic.start + 2 * DAY, "drinks-water"),))
    added = [s for s in apply_shock(janic, shock) if s.number == 0]
    assert [(s.command, s.args["offer"]) for s in added] == [("withdraw_offer", "drinks-water")]
    result = Simulator(janic).run(shock)
    refused = {(r.step.command, r.step.args["camp"]) for r in result.refusals}
    assert refused == {("deliver_offer", "ishinomaki"), ("deliver_offer", "kesennuma")}
    assert water_need(probe_view(janic, shock, 2 * DAY, "camp", "kesennuma"))["committed"] == 8000


def test_a_lapsed_acceptance_leaves_the_offer_unaccepted(janic: Scenario) -> None:
    step = number(janic, "accept_offer", offer="drinks-water", camp="kesennuma")
    shock = Shock(lapses=(Lapse(step, "drinks-water"),))
    assert step not in {s.number for s in apply_shock(janic, shock)}
    offer = probe_view(janic, shock, 5 * DAY, "offer", "drinks-water")
    assert isinstance(offer, dict) and offer["lapsed"] == 11000  # 6,000 + the 5,000 never taken
    result = Simulator(janic).run(shock)
    assert [(r.step.command, r.step.args["camp"]) for r in result.refusals] == [
        ("deliver_offer", "kesennuma")
    ]
    fragment = fragment_yaml(janic, result)
    assert f"# step {step}: offer drinks-water never accepted" in fragment


def test_the_search_finds_and_reproduces_a_need_breach(janic: Scenario) -> None:
    text = FILE.read_text(encoding="utf-8")
    section = text[text.index("simulate:") :]
    section = re.sub(r"arrival_surge: \{[^}]*\}", "arrival_surge: {factor: [1.0, 1.0]}", section)
    scenario = parse_scenario(text[: text.index("simulate:")] + section, str(FILE))
    report = simulate_scenario(scenario, runs=30, seed=1, spec=validate_simulate(scenario, text))
    outcome = report.outcomes[2]  # kesennuma: at most 4,000 L uncommitted from +2d
    assert outcome.minimal is not None and not outcome.minimal.shock.is_zero
    words = minimal_in_words(scenario, outcome)
    assert "leaves camp kesennuma with an uncommitted need of" in words
    assert "(at most 4,000 allowed)" in words
    replayed = replay_scenario(parse_scenario(reproduction_yaml(scenario, outcome)), "memory:")
    assert replayed.error is None and replayed.ok
    (check,) = replayed.checks
    assert set(check.check.expect) == {"needs"} and check.passed


@pytest.mark.parametrize(
    ("requirement", "fragment"),
    [
        ("{camp: kesennuma, after: +2d, max_uncommitted_need: {watr: 10}}", "did you mean 'water'"),
        ("{camp: kesennuma, after: +2d, max_uncommitted_need: {water: -1}}", "0 or more"),
        ("{camp: kesennuma, after: +2d, max_uncommitted_need: 5}", "e.g. {water: 5000}"),
        ("{plan: janic-2011, status: ready}", "'status' is a property of a camp"),
    ],
)
def test_bad_need_requirements_name_the_line(
    janic: Scenario, requirement: str, fragment: str
) -> None:
    text = FILE.read_text(encoding="utf-8")
    head = text[: text.index("simulate:")]
    section = textwrap.dedent(f"""\
        simulate:
          shocks: {{shipment_loss: {{max_shipments: 1}}}}
          require:
            - {requirement}
        """)
    scenario = parse_scenario(head + section, "janic.yaml")
    with pytest.raises(ScenarioError) as caught:
        validate_simulate(scenario, head + section)
    assert fragment in str(caught.value)
    assert caught.value.line == head.count("\n") + 4


def test_part2_kinds_refuse_what_they_cannot_perturb(janic: Scenario) -> None:
    text = FILE.read_text(encoding="utf-8")
    head = text[: text.index("simulate:")]
    for body, message in [
        ("shipment_loss: {max_shipments: 1, shipments: [truck-9]}", "unknown shipment 'truck-9'"),
        ("shipment_loss: {max_shipments: 0}", "whole number from 1 to 20"),
        ("offer_withdrawal: {max_offers: 1, offers: [bedding], x: 1}", "unknown key 'x'"),
        ("shipment_delay: {max: +1d, shipments: [truck-3]}", "no deliver_shipment step"),
        ("offer_lapse: {max_offers: 1, offers: [bedding]}", "no accept_offer step"),
    ]:
        section = f"simulate:\n  shocks:\n    {body}\n"
        scenario = parse_scenario(head + section, "janic.yaml")
        with pytest.raises(ScenarioError, match=re.escape(message)):
            validate_simulate(scenario, head + section)


def test_step_events_keep_step_numbers_and_lines(janic: Scenario) -> None:
    step = number(janic, "deliver_shipment", shipment="truck-2")
    original = next(s for s in janic.steps if s.number == step)
    lost = next(
        s
        for s in apply_shock(janic, Shock(shipment_losses=(ShipmentLoss(step, "truck-2"),)))
        if s.number == step
    )
    assert isinstance(lost, Step) and (lost.line, lost.at) == (original.line, original.at)
