"""The shock-kind registry: a new kind is one module plus one registry line, end to end.

tests/unit/toy_shock_kind.py is such a module; the `toy_registered` fixture is the registry
line. Everything else (validation, sampling, search, perturbation, words, YAML, JSON, HTML) comes
from the generic machinery.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from planner import simulation
from planner.replay import replay_scenario
from planner.scenario import Scenario, ScenarioError, parse_scenario
from planner.simulate_report import render_html
from planner.simulate_text import format_text, report_dict
from planner.simulation import (
    Shock,
    Simulator,
    apply_shock,
    fragment_yaml,
    minimal_in_words,
    reproduction_yaml,
    simulate_scenario,
    validate_simulate,
)
from planner.simulation import kinds as registry
from tests.unit import toy_shock_kind as toy
from tests.unit.test_simulation import START, SURGE_PLAN

DAY = toy.DAY
SECTION = """\
    simulate:
      shocks:
        extra_arrivals: {max_people: 1000, resolution: 100}
      require:
        - {camp: c1, after: +2d, status: ready, name: ready while people live there}
    """


@pytest.fixture
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The one registry line: `toy_shock_kind.KIND,` at the end of kinds.KINDS."""
    monkeypatch.setattr(registry, "KINDS", (*registry.KINDS, toy.KIND))
    yield


def plan(section: str = SECTION) -> tuple[Scenario, str]:
    text = SURGE_PLAN + textwrap.dedent(section)
    return parse_scenario(text, "toy.yaml"), text


def test_the_kinds_are_registered_in_order() -> None:
    assert [k.name for k in registry.registered()] == [
        "arrival_surge",
        "delivery_delay",
        "supply_loss",
        "partner_withdrawal",
        "funding_shortfall",
        "shipment_delay",
        "shipment_loss",
        "offer_withdrawal",
        "offer_lapse",
    ]
    fields = [k.field for k in registry.registered()]
    assert len(set(fields)) == len(fields)


def test_an_unregistered_kind_is_an_unknown_key() -> None:
    scenario, text = plan()
    unknown = "unknown key 'extra_arrivals' in 'simulate.shocks'"
    with pytest.raises(ScenarioError, match=re.escape(unknown)):
        validate_simulate(scenario, text)


@pytest.mark.usefixtures("toy_registered")
def test_a_registered_kind_is_read_and_validated() -> None:
    scenario, text = plan()
    spec = validate_simulate(scenario, text)
    assert spec is not None and spec.shock_kinds == ("extra_arrivals",)
    assert spec.extra_arrivals == toy.ExtraArrivals(1000, 100, None)
    bad = [
        ("{max_people: 0}", "'simulate.shocks.extra_arrivals.max_people' must be a whole number"),
        ("{max_people: 10, resolution: 20}", "from 1 to 10"),
        ("{max_people: 10, camps: [c2]}", "unknown camp 'c2'"),
        ("{max_people: 10, max_poeple: 3}", "did you mean 'max_people'?"),
        ("{resolution: 10}", "needs 'max_people'"),
    ]
    for body, message in bad:
        scenario, text = plan(f"simulate:\n  shocks:\n    extra_arrivals: {body}\n")
        with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
            validate_simulate(scenario, text)
        assert caught.value.line == SURGE_PLAN.count("\n") + 3


@pytest.mark.usefixtures("toy_registered")
def test_a_registered_kind_is_sampled_and_perturbs_the_steps() -> None:
    scenario, text = plan()
    sim = Simulator(scenario, validate_simulate(scenario, text))
    rng = random.Random(4)
    shocks = [sim.space.shock(sim.space.sample(rng)) for _ in range(40)]
    extras = [s.extras for s in shocks if s.extras]
    assert 5 < len(extras) < 35  # about half the runs get a wave
    assert all(e.people % 100 == 0 and 100 <= e.people <= 1000 for (e,) in extras)
    assert sim.space.shock(sim.space.zero) == Shock()
    wave = Shock(extras=(toy.Extra(START + 2 * DAY, "c1", 300),))
    steps = apply_shock(scenario, wave)
    added = [s for s in steps if s.number == 0]
    assert [(s.command, s.args) for s in added] == [
        ("register_arrivals", {"camp": "c1", "people": 300})
    ]
    probe = (START + 2 * DAY, "camp", "c1")
    view = sim.run(wave, probes=[probe]).probes[probe]
    assert view is not None and view["population"] == 1300 and view["status"] == "at_risk"


@pytest.mark.usefixtures("toy_registered")
def test_a_registered_kind_is_searched_said_and_reproduced() -> None:
    scenario, text = plan()
    report = simulate_scenario(scenario, runs=20, seed=2, spec=validate_simulate(scenario, text))
    outcome = report.outcomes[1]
    assert outcome.minimal is not None and outcome.search in ("hypothesis", "greedy")
    (extra,) = outcome.minimal.shock.extras
    # 1,250 shelter places: 1,000 people at +2d (900 from +4d) plus the wave overcrowd the camp
    assert extra.people in (300, 400)
    words = minimal_in_words(scenario, outcome)
    assert words.startswith(f"an extra {extra.people:,} arrivals at c1 at +")
    assert " leaves camp c1 at_risk (overcrowded" in words
    fragment = fragment_yaml(scenario, outcome.minimal)
    assert "# shock: extra arrivals" in fragment and "do: register_arrivals" in fragment
    replayed = replay_scenario(parse_scenario(reproduction_yaml(scenario, outcome)), "memory:")
    assert replayed.error is None and replayed.ok
    data: Any = report_dict(report)
    assert data["shocks"] == ["extra arrivals of up to 1,000 people at 1 camp(s)"]
    assert data["requirements"][1]["minimal"]["shock"]["extra_arrivals"][0]["camp"] == "c1"
    assert "extra arrivals (people)" in data["requirements"][1]["correlations"]
    assert "extra arrivals of up to 1,000 people" in format_text(report)
    assert "an extra " in render_html(report)


def test_the_package_exports_no_private_names() -> None:
    assert all(not name.startswith("_") for name in simulation.__all__)


def test_the_simulator_uses_the_public_observers_hook() -> None:
    import ast
    from pathlib import Path

    package = Path(simulation.__file__).parent
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base) for base in node.bases}
                assert "PlannerService" not in bases, f"{path.name}: {node.name} subclasses it"
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                owner = ast.unparse(node.value)
                dunder = node.attr.endswith("__")
                assert dunder or owner in ("self", "other"), f"{path.name}: {owner}.{node.attr}"
    assert "observers.append" in (package / "engine.py").read_text(encoding="utf-8")
