"""Sampling and search: N seeded random runs, then, for each requirement, the minimal failing
shock (hypothesis.find and its shrinking; a greedy shrinker as fallback and polish)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from planner.scenario import Scenario
from planner.simulation.engine import Simulator
from planner.simulation.requirements import Requirement
from planner.simulation.results import RunResult
from planner.simulation.shock import Shock, ShockSpace, Units
from planner.simulation.spec import SimulationSpec, validate_simulate


@dataclass
class Outcome:
    """One requirement (number 0: the domain invariants) across the sampled runs and the search.

    `minimal` is the run of the minimal failing shock found, `search` how it was found:
    "baseline" (it fails without any shock), "hypothesis" (hypothesis.find and its shrinking),
    "greedy" (shrunk by hand from a failing sampled run, when hypothesis found none) or "none".
    """

    number: int
    requirement: Requirement | None
    broken_runs: int = 0
    minimal: RunResult | None = None
    search: str = "none"
    search_runs: int = 0
    budget_exhausted: bool = False
    breach_view: dict[str, object] | None = None  # the entity's view at the breach time
    unshocked_view: dict[str, object] | None = None  # the same without the shock


@dataclass
class SimulationReport:
    """Everything a simulation found, ready for the text, JSON and HTML reports."""

    scenario: Scenario
    spec: SimulationSpec
    space: ShockSpace
    runs: int
    seed: int
    baseline: RunResult
    samples: list[RunResult]
    sample_units: list[Units]
    outcomes: list[Outcome]
    elapsed: float
    sampling_seconds: float
    search_seconds: float
    total_runs: int

    @property
    def broken(self) -> bool:
        """True if any requirement or invariant broke in some run."""
        return any(o.broken_runs or o.minimal is not None for o in self.outcomes)


def search_budget(runs: int) -> int:
    """Runs one requirement's search may spend: half the sample size, kept within 50 .. 200
    (hypothesis gets that much; the greedy fallback, if needed, as much again)."""
    return min(max(runs // 2, 50), 200)


@dataclass
class _Runs:
    """The runs of one simulation so far: each shock run once (cached), the sampled ones."""

    simulator: Simulator
    cache: dict[Shock, RunResult]
    samples: list[RunResult]
    sample_units: list[Units]


def simulate_scenario(
    scenario: Scenario,
    *,
    runs: int = 200,
    seed: int = 0,
    spec: SimulationSpec | None = None,
    budget: int | None = None,
) -> SimulationReport:
    """Sample `runs` perturbed runs, then find the minimal failing shock of each requirement."""
    began = time.perf_counter()
    if spec is None:
        spec = validate_simulate(scenario) or SimulationSpec()
    simulator = Simulator(scenario, spec)
    budget = search_budget(runs) if budget is None else budget
    baseline = simulator.run(Shock(), stats=True)
    done = _sample(simulator, baseline, runs, seed)
    sampled = time.perf_counter()
    outcomes = [Outcome(0, None)] + [Outcome(r.number, r) for r in spec.requirements]
    total_runs = 1 + runs
    for outcome in outcomes:
        outcome.broken_runs = sum(1 for s in done.samples if s.breach(outcome.number) is not None)
        total_runs += _search(done, outcome, budget, seed * 1009 + outcome.number)
        total_runs += _breach_views(simulator, outcome)
    finished = time.perf_counter()
    return SimulationReport(
        scenario=scenario,
        spec=spec,
        space=simulator.space,
        runs=runs,
        seed=seed,
        baseline=baseline,
        samples=done.samples,
        sample_units=done.sample_units,
        outcomes=outcomes,
        elapsed=finished - began,
        sampling_seconds=sampled - began,
        search_seconds=finished - sampled,
        total_runs=total_runs,
    )


def _sample(simulator: Simulator, baseline: RunResult, runs: int, seed: int) -> _Runs:
    """`runs` runs of shocks drawn from a generator seeded with `seed`."""
    done = _Runs(simulator, {Shock(): baseline}, [], [])
    rng = random.Random(seed)
    space = simulator.space
    for _ in range(runs):
        units = space.sample(rng)
        shock = space.shock(units)
        result = simulator.run(shock, stats=True)
        done.cache.setdefault(shock, result)
        done.samples.append(result)
        done.sample_units.append(units)
    return done


def _breach_views(simulator: Simulator, outcome: Outcome) -> int:
    """Capture the breached entity's view at the breach, with and without the shock; the runs."""
    if outcome.minimal is None or outcome.requirement is None:
        return 0
    breach = outcome.minimal.broken[outcome.number]
    probe = (breach.at, outcome.requirement.subject, outcome.requirement.slug)
    shock = outcome.minimal.shock
    outcome.breach_view = simulator.run(shock, probes=[probe]).probes.get(probe)
    if not shock.is_zero:
        outcome.unshocked_view = simulator.run(Shock(), probes=[probe]).probes.get(probe)
    return 1 + (not shock.is_zero)


def _search(done: _Runs, outcome: Outcome, budget: int, seed: int) -> int:
    """Find the minimal failing shock of one requirement; return how many new runs it took."""
    number = outcome.number
    if done.cache[Shock()].breach(number) is not None:
        outcome.minimal, outcome.search = done.cache[Shock()], "baseline"
        return 0
    if number == 0 and not outcome.broken_runs:
        return 0  # the domain enforces the invariants: search only if a sampled run broke one
    search = _Search(done, outcome, budget)
    found = search.find(seed)
    if found is not None:
        outcome.minimal = done.cache[done.simulator.space.shock(found)]
    outcome.search_runs = search.spent
    return search.spent


class _Search:
    """One requirement's search: each new run counts against a budget (cached runs are free)."""

    def __init__(self, done: _Runs, outcome: Outcome, budget: int) -> None:
        self.done = done
        self.outcome = outcome
        self.budget = budget
        self.space = done.simulator.space
        self.spent = 0
        self.limit = budget

    def broken(self, units: Units) -> bool:
        """True if the shock of these units breaks the requirement (False once out of budget)."""
        shock = self.space.shock(units)
        result = self.done.cache.get(shock)
        if result is None:
            if self.spent >= self.limit:
                self.outcome.budget_exhausted = True
                return False
            self.spent += 1
            result = self.done.cache[shock] = self.done.simulator.run(shock)
        return result.breach(self.outcome.number) is not None

    def find(self, seed: int) -> Units | None:
        """Hypothesis's minimal failing units, polished; else a failing sample's, shrunk."""
        outcome, space = self.outcome, self.space
        found = _hypothesis_find(space, self.broken, self.budget, seed)
        if found is not None:
            outcome.search = "hypothesis"
            # Polish: if the budget cut hypothesis's shrinking short, a few greedy steps may
            # still drop a part it kept (each candidate costs at most one run).
            self.limit = self.spent + max(10, self.budget // 4)
            exhausted, outcome.budget_exhausted = outcome.budget_exhausted, False
            found = greedy_shrink(space, found, self.broken)
            outcome.budget_exhausted = exhausted and outcome.budget_exhausted
            return found
        done = self.done
        failing = [
            u
            for s, u in zip(done.samples, done.sample_units, strict=True)
            if s.breach(outcome.number) is not None
        ]
        if not failing:
            return None
        self.limit = self.spent + self.budget  # the greedy shrinker gets a budget of its own
        outcome.budget_exhausted = False
        outcome.search = "greedy"
        return greedy_shrink(space, min(failing, key=space.size), self.broken)


def _hypothesis_find(
    space: ShockSpace, broken: Callable[[Units], bool], budget: int, seed: int
) -> Units | None:
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample

    options = settings(
        database=None,
        derandomize=False,  # the seed below decides, whatever profile is loaded
        max_examples=budget,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    try:
        return find(space.strategy(), broken, settings=options, random=random.Random(seed))
    except NoSuchExample:
        return None


def greedy_shrink(space: ShockSpace, units: Units, broken: Callable[[Units], bool]) -> Units:
    """Shrink failing units greedily: take the first simpler candidate that still fails."""
    current = units
    progress = True
    while progress:
        progress = False
        for candidate in space.simpler(current):
            if broken(candidate):
                current = candidate
                progress = True
                break
    return current
