"""Simulation runs (planner.simulation): the `simulate:` section, shocks, runs and the search."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.base import workspace_namespace
from planner.cli import main
from planner.replay import replay_scenario
from planner.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from planner.simulate_cli import report_dict
from planner.simulation import (
    LOSS_COMMAND,
    Delay,
    Loss,
    Shock,
    Shortfall,
    SimulationSpec,
    Simulator,
    Surge,
    Units,
    Withdrawal,
    apply_shock,
    fragment_yaml,
    minimal_in_words,
    reproduction_yaml,
    simulate_scenario,
    validate_simulate,
)
from planner.wiring import open_planner
from projections.fold_state import PlanState, StockpileState
from projections.readiness import ReadinessFold

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
START = datetime(2020, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

# A camp that is ready for up to 1,250 people and only that: shelter capacity 1,250, and stock,
# facilities, bedding and site area enough for 2,000. 1,000 people arrive. More than 1,250 makes it
# overcrowded (at_risk), so with surge factors in steps of 0.1 the smallest breaking factor is 1.3.
SURGE_PLAN = """\
scenario: surge-test
title: A camp that is ready iff arrivals fit its shelter capacity
start: 2020-01-01T00:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: ngo1, name: NGO one, kind: ngo}}
  - {at: +0d, do: register_partner, with: {partner: biz, name: Business, kind: business}}
  - {at: +0d, do: register_partner, with: {partner: gov, name: Government, kind: government}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: Plan, crisis: Test, planning_figure: 1000}}
  - {at: +0d, do: join_plan, with: {plan: p, partner: ngo1, role: implementer}}
  - {at: +0d, do: join_plan, with: {plan: p, partner: biz, role: funder}}
  - {at: +0d, do: join_plan, with: {plan: p, partner: gov, role: funder}}
  - {at: +0d, do: pledge_funds, with: {plan: p, partner: biz, amount: 1000, currency: EUR}}
  - {at: +0d, do: open_stockpile, with: {stockpile: depot, partner: ngo1, location: Port}}
  - {at: +0d, do: receive_supplies, with: {stockpile: depot, item: water, quantity: 200000}}
  - {at: +0d, do: receive_supplies, with: {stockpile: depot, item: food_ration, quantity: 20000}}
  - {at: +0d, do: receive_supplies, with: {stockpile: depot, item: medical_kit, quantity: 10}}
  - {at: +0d, do: receive_supplies, with: {stockpile: depot, item: blanket, quantity: 3000}}
  - {at: +0d, do: receive_supplies, with: {stockpile: depot, item: sleeping_mat, quantity: 3000}}
  - {at: +0d, do: commit_stockpile, with: {plan: p, stockpile: depot}}
  - {at: +1d, do: establish_camp, with: {camp: c1, plan: p, location: Site, site_area_m2: 200000,
     shelter_capacity: 1250}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: CCM, partner: ngo1}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: SHL, partner: ngo1}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: WSH, partner: ngo1}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: FSC, partner: ngo1}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: HEA, partner: ngo1}}
  - {at: +1d, do: assign_sector, with: {camp: c1, sector: PRO, partner: ngo1}}
  - {at: +1d, do: reserve_supplies, with: {stockpile: depot, camp: c1, item: water,
     quantity: 50000}}
  - {at: +1d, do: dispatch_supplies, with: {stockpile: depot, camp: c1, item: water,
     quantity: 150000}}
  - {at: +1d, do: dispatch_supplies, with: {stockpile: depot, camp: c1, item: food_ration,
     quantity: 10000}}
  - {at: +1d, do: dispatch_supplies, with: {stockpile: depot, camp: c1, item: medical_kit,
     quantity: 2}}
  - {at: +1d, do: dispatch_supplies, with: {stockpile: depot, camp: c1, item: blanket,
     quantity: 3000}}
  - {at: +1d, do: dispatch_supplies, with: {stockpile: depot, camp: c1, item: sleeping_mat,
     quantity: 3000}}
  - {at: +1d, do: build_facilities, with: {camp: c1, facility: latrine, count: 50}}
  - {at: +1d, do: build_facilities, with: {camp: c1, facility: water_tap, count: 10}}
  - {at: +1d, do: build_facilities, with: {camp: c1, facility: health_post, count: 1}}
  - {at: +1d, do: build_facilities, with: {camp: c1, facility: waste_container, count: 50}}
  - {at: +1d, do: build_facilities, with: {camp: c1, facility: bathing_shelter, count: 50}}
  - {at: +2d, do: register_arrivals, with: {camp: c1, people: 1000, under5: 125, elderly: 33}}
  - {at: +2d, do: receive_funds, with: {plan: p, partner: biz, amount: 1000, currency: EUR}}
  - {at: +3d, do: distribute_supplies, with: {camp: c1, item: water, quantity: 15000}}
  - {at: +3d, do: disburse_funds, with: {plan: p, partner: ngo1, amount: 900, currency: EUR}}
  - {at: +4d, do: register_departures, with: {camp: c1, people: 100}}
"""
# step numbers in SURGE_PLAN
ARRIVALS, RECEIPT, DISTRIBUTION, DISBURSEMENT = 34, 35, 36, 37
WATER_DISPATCH, WATER_RESERVE = 24, 23


def plan(simulate: str = "") -> tuple[Scenario, str]:
    text = SURGE_PLAN + textwrap.dedent(simulate)
    return parse_scenario(text, "surge.yaml"), text


def spec_of(simulate: str) -> SimulationSpec:
    scenario, text = plan(simulate)
    spec = validate_simulate(scenario, text)
    assert spec is not None
    return spec


def step(scenario: Scenario, number: int) -> object:
    return next(s for s in scenario.steps if s.number == number)


# --------------------------------------------------------------------------------------------
# The `simulate:` section


def test_section_parses_every_shock_and_requirement() -> None:
    spec = spec_of("""\
        simulate:
          shocks:
            arrival_surge: {factor: [0.5, 2.0], resolution: 0.25, camps: [c1]}
            delivery_delay: {max: +36h, resolution: +12h, items: [water]}
            supply_loss: {max_fraction: 0.5, max_events: 2, stockpiles: [depot]}
            partner_withdrawal: {max_partners: 2, partners: [biz, gov]}
            funding_shortfall: {max_fraction: 1}
          require:
            - {camp: c1, after: +2d, status_not: [not_ready, at_risk], name: stays ready}
            - {camp: c1, after: +2d, until: +3d, status: ready}
            - {camp: c1, after: +1d, min_days_of_cover: {water: 2}}
            - {plan: p, tripartite: true}
            - {plan: p, after: +0d, min_preparedness_days: {food_ration: 1.5}}
            - {plan: p, after: +2d, min_pool_balance: {EUR: 100}}
        """)
    assert spec.shock_kinds == (
        "arrival_surge",
        "delivery_delay",
        "supply_loss",
        "partner_withdrawal",
        "funding_shortfall",
    )
    assert spec.arrival_surge is not None and float(spec.arrival_surge.resolution) == 0.25
    assert spec.delivery_delay is not None and spec.delivery_delay.max == timedelta(hours=36)
    first, second, _, fourth, *_ = spec.requirements
    assert (first.prop, first.value, first.name) == (
        "status_not",
        ("not_ready", "at_risk"),
        "stays ready",
    )
    assert second.until == START + 3 * DAY
    assert fourth.after is None  # checked once, at the end of the run
    assert first.line == SURGE_PLAN.count("\n") + 9


@pytest.mark.parametrize(
    ("section", "line", "fragment"),
    [
        (
            "simulate:\n  shocks: {arrival_surge: {factor: [1, 2]}}\n  runs: 5\n",
            3,
            "unknown key 'runs' in 'simulate'",
        ),
        (
            "simulate:\n  shocks:\n    arival_surge: {factor: [1, 2]}\n",
            3,
            "did you mean 'arrival_surge'?",
        ),
        ("simulate:\n  shocks:\n    arrival_surge: {factor: [2, 1]}\n", 3, "0 < MIN <= MAX"),
        (
            "simulate:\n  shocks:\n    arrival_surge: {factor: [1, 2], resolution: 0.3}\n",
            3,
            "must divide 1 exactly",
        ),
        (
            "simulate:\n  shocks:\n    arrival_surge: {factor: [1, 1.25]}\n",
            3,
            "multiples of the resolution",
        ),
        ("simulate:\n  shocks:\n    delivery_delay: {max: 4d}\n", 3, "duration like +4d"),
        ("simulate:\n  shocks:\n    supply_loss: {max_fraction: 1.5}\n", 3, "fraction from"),
        (
            "simulate:\n  shocks:\n    partner_withdrawal: {max_partners: 1, partners: [bz]}\n",
            3,
            "unknown partner 'bz'",
        ),
        (
            "simulate:\n  shocks:\n    funding_shortfall: {max_fraction: 0.5, partners: [gov]}\n",
            3,
            "no receive_funds step",
        ),
        ("simulate:\n  require: []\n", None, "has no 'shocks'"),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c2, after: +2d, status: ready}\n",
            4,
            "unknown camp 'c2'",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c1, after: +0d, status: ready}\n",
            4,
            "does not exist yet",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c1, after: +2d, status: fine}\n",
            4,
            "must be a camp status",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c1, after: +2d, tripartite: true}\n",
            4,
            "is a property of a plan",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {plan: p, until: +2d, tripartite: true}\n",
            4,
            "'until' needs 'after'",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c1, after: +2d, min_days_of_cover: {blanket: 1}}\n",
            4,
            "not a consumable",
        ),
        (
            "simulate:\n  shocks: {funding_shortfall: {max_fraction: 0.5}}\n  require:\n"
            "    - {camp: c1, after: +2d, status: ready, stauts: ready}\n",
            4,
            "unknown key 'stauts'",
        ),
    ],
)
def test_bad_sections_name_file_and_line(section: str, line: int | None, fragment: str) -> None:
    scenario, text = plan(section)
    with pytest.raises(ScenarioError) as caught:
        validate_simulate(scenario, text)
    assert caught.value.path == "surge.yaml"
    if line is not None:
        assert caught.value.line == SURGE_PLAN.count("\n") + line
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("surge.yaml")


def test_planner_check_validates_the_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SURGE_PLAN + "simulate:\n  shocks:\n    arrival_surge: {factor: [1, 2], x: 1}\n")
    assert main(["check", str(bad)]) == 2
    assert f"{bad} (line {SURGE_PLAN.count(chr(10)) + 3}): unknown key 'x'" in (
        capsys.readouterr().err
    )
    good = tmp_path / "good.yaml"
    good.write_text(SURGE_PLAN + "simulate:\n  shocks:\n    arrival_surge: {factor: [1, 2]}\n")
    assert main(["check", str(good)]) == 0
    assert "simulate: 1 shocks, 0 requirements" in capsys.readouterr().out


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scenarios_have_valid_sections(path: Path) -> None:
    scenario = load_scenario(path)
    spec = validate_simulate(scenario)
    assert spec is not None and spec.requirements


# --------------------------------------------------------------------------------------------
# Shocks, one by one


def test_surge_scales_people_and_groups_rounding_half_up() -> None:
    scenario, _ = plan()
    steps = apply_shock(scenario, Shock(surges=(Surge(ARRIVALS, 1.3),)))
    arrivals = next(s for s in steps if s.number == ARRIVALS)
    assert arrivals.args == {"camp": "c1", "people": 1300, "under5": 163, "elderly": 43}
    # 162.5 -> 163 and 42.9 -> 43; other steps are untouched objects
    assert [s for s in steps if s.number != ARRIVALS] == [
        s for s in scenario.steps if s.number != ARRIVALS
    ]
    gone = apply_shock(scenario, Shock(surges=(Surge(ARRIVALS, 0.0001),)))
    assert ARRIVALS not in {s.number for s in gone}  # no people left: the step is dropped
    with pytest.raises(ValueError, match="not a register_arrivals step"):
        apply_shock(scenario, Shock(surges=(Surge(RECEIPT, 2.0),)))


def test_surge_makes_the_camp_overcrowded() -> None:
    scenario, _ = plan()
    sim = Simulator(scenario)
    probe = (START + 2 * DAY, "camp", "c1")
    plain = sim.run(probes=[probe]).probes[probe]
    surged = sim.run(Shock(surges=(Surge(ARRIVALS, 1.3),)), probes=[probe]).probes[probe]
    assert plain is not None and surged is not None
    assert (plain["status"], plain["population"]) == ("ready", 1000)
    assert (surged["status"], surged["population"], surged["overcrowded"]) == (
        "at_risk",
        1300,
        True,
    )


def test_delay_moves_a_dispatch_later_and_resorts_stably() -> None:
    scenario, _ = plan()
    steps = apply_shock(scenario, Shock(delays=(Delay(WATER_DISPATCH, DAY),)))
    moved = next(s for s in steps if s.number == WATER_DISPATCH)
    assert moved.at == START + 2 * DAY
    numbers = [s.number for s in steps]
    # at +2d it comes first: stable sort by time keeps its place before the steps of +2d
    assert numbers.index(WATER_DISPATCH) == numbers.index(ARRIVALS) - 1
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    with pytest.raises(ValueError, match="not a dispatch_supplies step"):
        apply_shock(scenario, Shock(delays=(Delay(ARRIVALS, DAY),)))


def test_a_refused_step_after_a_shock_is_recorded_and_skipped() -> None:
    scenario, _ = plan()
    # Three days late: the water arrives at +4d, after the distribution at +3d, which is refused.
    result = Simulator(scenario).run(Shock(delays=(Delay(WATER_DISPATCH, 3 * DAY),)))
    assert [(r.step.number, r.step.command) for r in result.refusals] == [
        (DISTRIBUTION, "distribute_supplies")
    ]
    assert "cannot distribute" in result.refusals[0].message
    assert len(result.applied) == len(scenario.steps) - 1  # everything else applied
    late = next(s for s in result.applied if s.number == WATER_DISPATCH)
    assert late.at == START + 4 * DAY


def test_loss_writes_off_a_fraction_of_the_free_stock_then() -> None:
    scenario, _ = plan()
    steps = apply_shock(scenario, Shock(losses=(Loss(START + DAY, "depot", "water", 0.5),)))
    at_one_day = [s for s in steps if s.at == START + DAY]
    assert at_one_day[-1].command == LOSS_COMMAND  # after the steps at +1d, resolved at run time
    result = Simulator(scenario).run(
        Shock(losses=(Loss(START + DAY, "depot", "water", 0.5),)),
        probes=[(START + DAY, "stockpile", "depot")],
    )
    write_offs = [s for s in result.applied if s.command == "write_off_supplies"]
    # at +1d: 200,000 received, 150,000 dispatched (50,000 of them reserved): 50,000 free
    assert [(s.number, s.args["quantity"], s.args["reason"]) for s in write_offs] == [
        (0, 25000, "lost")
    ]
    depot = result.probes[(START + DAY, "stockpile", "depot")]
    assert depot is not None and depot["items"]["water"] == {
        "on_hand": 25000,
        "reserved": 0,
        "available": 25000,
    }


def test_loss_with_no_free_stock_is_skipped() -> None:
    scenario, _ = plan()
    result = Simulator(scenario).run(Shock(losses=(Loss(START, "depot", "tent", 0.5),)))
    assert result.skipped and "no free stock" in result.skipped[0]
    assert not result.refusals


def test_withdrawal_comes_after_the_steps_at_its_time_and_uncovers_sectors() -> None:
    scenario, _ = plan()
    shock = Shock(withdrawals=(Withdrawal(START + DAY, "ngo1"),))
    steps = apply_shock(scenario, shock)
    inserted = [i for i, s in enumerate(steps) if s.command == "withdraw_partner"]
    assert len(inserted) == 1 and steps[inserted[0] - 1].at == START + DAY
    assert steps[inserted[0] + 1].at == START + 2 * DAY
    probe = (START + 2 * DAY, "camp", "c1")
    result = Simulator(scenario).run(shock, probes=[probe])
    view = result.probes[probe]
    assert view is not None and view["status"] == "not_ready"
    assert set(view["uncovered_sectors"]) == {"CCM", "SHL", "WSH", "FSC", "HEA", "PRO"}
    # the disbursement to the withdrawn partner is refused, the rest goes on
    assert [r.step.number for r in result.refusals] == [DISBURSEMENT]


def test_shortfall_reduces_a_receipt_and_can_starve_a_disbursement() -> None:
    scenario, _ = plan()
    steps = apply_shock(scenario, Shock(shortfalls=(Shortfall(RECEIPT, 0.15),)))
    assert next(s for s in steps if s.number == RECEIPT).args["amount"] == 850
    result = Simulator(scenario).run(Shock(shortfalls=(Shortfall(RECEIPT, 0.15),)))
    assert [r.step.number for r in result.refusals] == [DISBURSEMENT]  # 900 > 850 in the pool
    dropped = apply_shock(scenario, Shock(shortfalls=(Shortfall(RECEIPT, 1.0),)))
    assert RECEIPT not in {s.number for s in dropped}


def test_invariants_are_checked_on_the_fold() -> None:
    from planner.simulation import invariant_problems

    fold = ReadinessFold()
    stockpile = {
        "slug": "depot",
        "on_hand": {"water": -1},
        "reserved": {},
        "reservations": {},
        "plans": [],
    }
    fold.stockpiles["s"] = cast(StockpileState, stockpile)  # only what the invariants read
    plan = {
        "slug": "p",
        "received": {"EUR": 5},
        "disbursed": {"EUR": 6},
        "pledged": {"EUR": 5},
    }
    fold.plans["p"] = cast(PlanState, plan)
    problems = list(invariant_problems(fold, {("stockpile", "s"), ("plan", "p")}))
    assert problems == [
        "pool of plan p overdrawn in EUR",
        "negative stock of water at stockpile depot",
    ]


# --------------------------------------------------------------------------------------------
# A zero shock is the plain replay


def _replayed(scenario: Scenario) -> tuple[list[tuple[Any, int, str, bytes]], dict[str, object]]:
    from planner.replay import SimulatedClock

    clock = SimulatedClock(scenario.start)
    planner = open_planner("memory:", namespace=workspace_namespace(scenario.slug), clock_fn=clock)
    try:
        report = replay_scenario(scenario, planner=planner)
        assert report.error is None
        stored = [
            (n.originator_id, n.originator_version, n.topic, n.state)
            for n in planner.service.recorder.select_notifications(start=1, limit=10**9)
        ]
        views: dict[str, object] = {}
        sim = Simulator(scenario)
        for (kind, slug), entity_id in sim.ids.items():
            if kind in ("camp", "plan", "stockpile"):
                views[f"{kind} {slug}"] = planner.queries.view(kind, entity_id)
        return stored, views
    finally:
        planner.close()


def _truncated(scenario: Scenario, count: int) -> Scenario:
    from dataclasses import replace

    return replace(scenario, steps=scenario.steps[:count], checks=())


@settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_zero_shock_reproduces_the_plain_replay_exactly(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(BUNDLED), label="scenario")
    scenario = load_scenario(path)
    count = data.draw(st.integers(1, len(scenario.steps)), label="steps")
    scenario = _truncated(scenario, count)
    sim = Simulator(scenario)
    end = scenario.steps[-1].at
    probes = [(end, kind, slug) for kind, slug in sim.ids if kind in ("camp", "plan", "stockpile")]
    result = sim.run(Shock(), probes=probes, record=True)
    stored, views = _replayed(scenario)
    assert not result.refusals and not result.invariants
    assert result.stored == stored  # same ids, versions, topics and payload bytes
    for (_, kind, slug), view in result.probes.items():
        replayed = views[f"{kind} {slug}"]
        assert isinstance(replayed, dict)
        stored_doc = {k: v for k, v in replayed.items() if k not in ("position", "updated_at")}
        assert view == stored_doc, f"{kind} {slug}"


def test_zero_units_are_the_zero_shock() -> None:
    scenario, text = plan("""\
        simulate:
          shocks:
            arrival_surge: {factor: [0.8, 2.0]}
            delivery_delay: {max: +2d}
            funding_shortfall: {max_fraction: 0.5}
        """)
    sim = Simulator(scenario, validate_simulate(scenario, text))
    assert sim.space.shock(sim.space.zero) == Shock()
    dispatches = len(sim.space.of_kind("delivery_delay").steps)
    assert dispatches == 5
    assert sim.space.shock(Units(surges=(0,), delays=(0,) * dispatches, shortfalls=(0,))).is_zero
    assert sim.space.shock(Units(surges=(-2,), delays=(0,) * dispatches, shortfalls=(0,))) == (
        Shock(surges=(Surge(ARRIVALS, 0.8),))
    )


# --------------------------------------------------------------------------------------------
# The search


SURGE_SECTION = """\
    simulate:
      shocks:
        arrival_surge: {factor: [1.0, 2.0]}
      require:
        - {camp: c1, after: +2d, status: ready, name: ready while people live there}
    """


def test_shrinking_finds_the_smallest_breaking_surge() -> None:
    scenario, text = plan(SURGE_SECTION)
    report = simulate_scenario(scenario, runs=30, seed=3, spec=validate_simulate(scenario, text))
    outcome = report.outcomes[1]
    assert outcome.search == "hypothesis"
    assert outcome.minimal is not None
    (surge,) = outcome.minimal.shock.surges
    assert surge.step == ARRIVALS
    assert 1.3 <= surge.factor <= 1.4  # the true minimum is 1.3; within one step of 0.1
    # uniform factors 1.0 .. 2.0 in steps of 0.1: 1.3 .. 2.0 break, 8 of 11 values
    assert 0.4 < outcome.broken_runs / report.runs < 0.95
    words = minimal_in_words(scenario, outcome)
    assert words.startswith(f"arrivals ×{surge.factor:g} at step {ARRIVALS}")
    assert "leave camp c1 at_risk (overcrowded" in words and "+2d (2020-01-03)" in words
    assert report.outcomes[0].minimal is None  # the invariants held


def test_minimal_shock_replays_with_planner_replay() -> None:
    scenario, text = plan(SURGE_SECTION)
    report = simulate_scenario(scenario, runs=20, seed=0, spec=validate_simulate(scenario, text))
    outcome = report.outcomes[1]
    assert outcome.minimal is not None
    fragment = fragment_yaml(scenario, outcome.minimal)
    assert "do: register_arrivals" in fragment and "# step 34: arrivals ×" in fragment
    reproduced = parse_scenario(reproduction_yaml(scenario, outcome), "repro.yaml")
    replayed = replay_scenario(reproduced, "memory:")
    assert replayed.error is None and replayed.ok
    (check,) = replayed.checks
    assert check.check.expect == {"status": "at_risk"} and check.passed


def test_a_requirement_broken_without_any_shock_is_reported_as_such() -> None:
    scenario, text = plan("""\
        simulate:
          shocks: {funding_shortfall: {max_fraction: 0.5}}
          require:
            - {plan: p, after: +3d, min_pool_balance: {EUR: 500}}
        """)
    report = simulate_scenario(scenario, runs=5, seed=0, spec=validate_simulate(scenario, text))
    outcome = report.outcomes[1]
    assert outcome.search == "baseline" and outcome.minimal is not None
    assert outcome.minimal.shock.is_zero
    assert minimal_in_words(scenario, outcome).startswith(
        "without any shock: plan p with a pool of 100 EUR (at least 500 needed) at +3d"
    )


def test_same_seed_same_results() -> None:
    scenario, text = plan("""\
        simulate:
          shocks:
            arrival_surge: {factor: [1.0, 2.0]}
            delivery_delay: {max: +3d}
            supply_loss: {max_fraction: 0.5}
            partner_withdrawal: {max_partners: 1}
            funding_shortfall: {max_fraction: 0.5}
          require:
            - {camp: c1, after: +2d, status: ready}
            - {camp: c1, after: +2d, min_days_of_cover: {water: 4}}
            - {plan: p, tripartite: true}
        """)
    spec = validate_simulate(scenario, text)

    def outcome(seed: int) -> dict[str, object]:
        data = dict(report_dict(simulate_scenario(scenario, runs=25, seed=seed, spec=spec)))
        data.pop("seconds")
        return data

    first = outcome(7)
    assert first == outcome(7)
    assert orjson.dumps(first) != orjson.dumps(outcome(8))


def test_cli_simulate_json_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "surge.yaml"
    path.write_text(SURGE_PLAN + textwrap.dedent(SURGE_SECTION))
    report_dir = tmp_path / "report"
    code = main(
        [
            "simulate",
            str(path),
            "--runs",
            "12",
            "--seed",
            "1",
            "--json",
            "--report",
            str(report_dir),
        ]
    )
    data = orjson.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    requirement = data["requirements"][1]
    assert requirement["minimal"]["shock"]["arrival_surge"][0]["step"] == ARRIVALS
    page = (report_dir / "index.html").read_text()
    assert page.count("<svg") >= 4
    assert "<link" not in page and "src=" not in page  # self-contained
    assert (report_dir / "surge-test-minimal-r1.yaml").exists()
    assert main(["simulate", str(path), "--runs", "3"]) == 1
    assert "minimal failing shock" in capsys.readouterr().out
    plain = tmp_path / "plain.yaml"
    plain.write_text(SURGE_PLAN)
    assert main(["simulate", str(plain)]) == 2
    assert "no 'simulate:' section" in capsys.readouterr().err
