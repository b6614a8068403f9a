"""Statistics for the report: how each shock dimension goes with a requirement breaking, and
which steps shocks made the domain refuse."""

from __future__ import annotations

import math
from collections.abc import Sequence

from planner.scenario import Scenario
from planner.simulation.kind import Features
from planner.simulation.results import step_label
from planner.simulation.search import SimulationReport
from planner.simulation.shock import ShockSpace, Units


def shock_features(space: ShockSpace, scenario: Scenario, units: Units) -> Features:
    """A run's shock as numbers: coarse dimensions, and one number per part (for correlations)."""
    shock = space.shock(units)
    coarse: dict[str, float] = {}
    fine: dict[str, float] = {}
    for kind, part in space.parts:
        kind_coarse, kind_fine = kind.features(part, scenario, shock.of(kind))
        coarse |= kind_coarse
        fine |= kind_fine
    return coarse, fine


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation (point-biserial when ys are 0/1); None if either is constant."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def correlations(
    report: SimulationReport, number: int
) -> tuple[list[tuple[str, float | None]], list[tuple[str, float]]]:
    """How each shock dimension correlates with requirement `number` breaking across the runs:
    (coarse dimensions in order, the five parts most correlated by absolute value)."""
    failed = [1.0 if s.breach(number) is not None else 0.0 for s in report.samples]
    features = [shock_features(report.space, report.scenario, u) for u in report.sample_units]
    if not features:
        return [], []
    coarse_names = list(features[0][0])
    coarse = [(name, correlation([f[0][name] for f in features], failed)) for name in coarse_names]
    fine: list[tuple[str, float]] = []
    for name in features[0][1]:
        r = correlation([f[1][name] for f in features], failed)
        if r is not None:
            fine.append((name, r))
    fine.sort(key=lambda pair: (-abs(pair[1]), pair[0]))
    return coarse, fine[:5]


def refusal_shares(report: SimulationReport) -> list[tuple[str, int]]:
    """Steps refused in the sampled runs: (label, number of runs), most often first."""
    counts: dict[str, int] = {}
    for sample in report.samples:
        for label in {step_label(r.step) for r in sample.refusals}:
            counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
