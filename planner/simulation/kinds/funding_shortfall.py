"""Funding shortfalls: each receive_funds step brings in up to `max_fraction` less."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from planner.scenario import Scenario, Step
from planner.simulation.kind import Features, step_of
from planner.simulation.kinds.step_grid import StepGrid, StepGridKind
from planner.simulation.reader import FRACTION_RESOLUTION, SpecReader
from planner.simulation.times import offset_text

if TYPE_CHECKING:
    from planner.simulation.engine import RunResult


@dataclass(frozen=True)
class FundingShortfall:
    """Each receive_funds brings in up to `max_fraction` less (whole minor units, rounded down)."""

    max_fraction: Fraction
    partners: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Shortfall:
    """receive_funds step `step` brings in `fraction` less."""

    step: int
    fraction: float


class FundingShortfallKind(StepGridKind):
    """funding_shortfall: up to `max_fraction` less on each receive_funds step."""

    name = "funding_shortfall"
    keys = ("max_fraction", "partners")
    field = "shortfalls"
    empty_reason = "no receive_funds step (from the partners named)"
    perturbs = "receive_funds"

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> FundingShortfall:
        """max_fraction, partners."""
        what = f"simulate.shocks.{self.name}"
        fraction = reader.parsed(body, "max_fraction", what, line, reader.fraction)
        partners = reader.optional_slugs(body, "partner", what, line)
        return FundingShortfall(fraction, partners)

    def summary(self, params: FundingShortfall, space: StepGrid) -> str:
        """'funding shortfall of up to 30% on 3 receive_funds step(s)'."""
        return (
            f"funding shortfall of up to {float(params.max_fraction):.0%} on "
            f"{len(space.steps)} receive_funds step(s)"
        )

    # -- the space -----------------------------------------------------------------------------

    def selects(self, step: Step, params: FundingShortfall) -> bool:
        """Receipts from the partners named (all if none)."""
        return params.partners is None or step.args["partner"] in params.partners

    def grid(self, params: FundingShortfall) -> tuple[int, int, Fraction]:
        """0 .. max_fraction in steps of 5 %."""
        return 0, int(params.max_fraction / FRACTION_RESOLUTION), FRACTION_RESOLUTION

    def part(self, step: int, units: int, space: StepGrid) -> Shortfall:
        """A shortfall of `units` × 5 %."""
        return Shortfall(step, float(units * FRACTION_RESOLUTION))

    # -- the steps -----------------------------------------------------------------------------

    def perturb(self, step: Step, part: Shortfall) -> Step | None:
        """The receipt less the fraction, rounded down; dropped if nothing is left."""
        amount = step.args["amount"]
        kept = math.floor(amount * (1 - Fraction(str(part.fraction))))
        if kept <= 0:
            return None
        return replace(step, args={**step.args, "amount": kept})

    # -- words ---------------------------------------------------------------------------------

    def part_dict(self, part: Shortfall, start: datetime) -> dict[str, object]:
        """{step, fraction}."""
        return {"step": part.step, "fraction": part.fraction}

    def phrases(
        self, scenario: Scenario, parts: Sequence[Shortfall], result: RunResult
    ) -> list[str]:
        """'a 15% shortfall of the receipt at step 35 (biz, 1,000 EUR, +2d)'."""
        phrases = []
        for shortfall in parts:
            step = step_of(scenario, shortfall.step)
            args = step.args
            phrases.append(
                f"a {shortfall.fraction:.0%} shortfall of the receipt at step {shortfall.step} "
                f"({args['partner']}, {args['amount']:,} {args['currency']}, "
                f"{offset_text(step.at - scenario.start)})"
            )
        return phrases

    def change_notes(self, scenario: Scenario, parts: Sequence[Shortfall]) -> dict[int, str]:
        """'step 35: 15% shortfall (was 1,000)'."""
        return {
            s.step: f"step {s.step}: {s.fraction:.0%} shortfall "
            f"(was {step_of(scenario, s.step).args['amount']:,})"
            for s in parts
        }

    def features(self, space: StepGrid, scenario: Scenario, parts: Sequence[Shortfall]) -> Features:
        """The mean shortfall; each receipt's shortfall."""
        if not space.steps:
            return {}, {}
        cuts = {s.step: s.fraction for s in parts}
        values = [cuts.get(n, 0.0) for n in space.steps]
        fine = {
            f"shortfall of receipt step {n} ({step_of(scenario, n).args['partner']})": v
            for n, v in zip(space.steps, values, strict=True)
        }
        return {"funding shortfall (mean fraction)": sum(values) / len(values)}, fine


KIND: Final = FundingShortfallKind()
