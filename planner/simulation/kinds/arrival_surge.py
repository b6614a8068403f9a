"""Arrival surges: each register_arrivals step brings a factor of its own times as many people."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from planner.scenario import Scenario, Step, key_line, shown
from planner.simulation.kind import Features, step_of
from planner.simulation.kinds.step_grid import StepGrid, StepGridKind
from planner.simulation.reader import SpecReader
from planner.simulation.times import offset_text

if TYPE_CHECKING:
    from planner.simulation.engine import RunResult

DEFAULT_FACTOR_RESOLUTION: Final = Fraction(1, 10)


@dataclass(frozen=True)
class ArrivalSurge:
    """Multiply each register_arrivals (people and groups, rounded) by a factor in [low, high]."""

    low: Fraction
    high: Fraction
    resolution: Fraction = DEFAULT_FACTOR_RESOLUTION
    camps: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Surge:
    """register_arrivals step `step` brings `factor` times as many people."""

    step: int
    factor: float


def exact(value: float) -> Fraction:
    """A float as the decimal fraction it was written as."""
    return Fraction(str(value))


def scaled(count: int, factor: Fraction) -> int:
    """count × factor rounded half up."""
    return math.floor(count * factor + Fraction(1, 2))


class ArrivalSurgeKind(StepGridKind):
    """arrival_surge: factor [MIN, MAX] on each register_arrivals step."""

    name = "arrival_surge"
    keys = ("factor", "resolution", "camps")
    field = "surges"
    empty_reason = "no register_arrivals step (for the camps named)"
    plural = True
    perturbs = "register_arrivals"

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> ArrivalSurge:
        """factor [MIN, MAX] (multiples of the resolution), resolution dividing 1, camps."""
        what = f"simulate.shocks.{self.name}"
        factor = reader.required(body, "factor", what, line)
        fline = key_line(body, "factor") or line
        if not isinstance(factor, list) or len(factor) != 2:
            raise reader.error(
                f"'{what}.factor' must be [MIN, MAX], e.g. [1.0, 2.0]; got {shown(factor)}",
                fline,
            )
        low, high = (reader.number(v, f"{what}.factor", fline) for v in factor)
        if not 0 < low <= high:
            raise reader.error(
                f"'{what}.factor' must have 0 < MIN <= MAX; got {shown(factor)}", fline
            )
        resolution = self._resolution(body, reader, what, line)
        for bound in (low, high):
            if (bound / resolution).denominator != 1:
                raise reader.error(
                    f"'{what}.factor' bounds must be multiples of the resolution "
                    f"{float(resolution):g}; got {shown(factor)}",
                    fline,
                )
        camps = reader.optional_slugs(body, "camp", what, line)
        return ArrivalSurge(low, high, resolution, camps)

    def _resolution(
        self, body: Mapping[object, object], reader: SpecReader, what: str, line: int | None
    ) -> Fraction:
        if "resolution" not in body:
            return DEFAULT_FACTOR_RESOLUTION
        rline = key_line(body, "resolution") or line
        resolution = reader.number(body["resolution"], f"{what}.resolution", rline)
        if resolution <= 0 or (1 / resolution).denominator != 1:
            raise reader.error(
                f"'{what}.resolution' must divide 1 exactly (0.1, 0.05, 0.25, …); "
                f"got {shown(body['resolution'])}",
                rline,
            )
        return resolution

    def summary(self, params: ArrivalSurge, space: StepGrid) -> str:
        """'arrival surge ×1–1.5 (steps of 0.1) on 3 register_arrivals step(s)'."""
        return (
            f"arrival surge ×{float(params.low):g}–{float(params.high):g} "
            f"(steps of {float(params.resolution):g}) on {len(space.steps)} "
            "register_arrivals step(s)"
        )

    # -- the space -----------------------------------------------------------------------------

    def selects(self, step: Step, params: ArrivalSurge) -> bool:
        """Arrivals at the camps named (all if none)."""
        return params.camps is None or step.args["camp"] in params.camps

    def grid(self, params: ArrivalSurge) -> tuple[int, int, Fraction]:
        """Offsets from factor 1, in resolution steps."""
        one = int(1 / params.resolution)
        low = int(params.low / params.resolution) - one
        high = int(params.high / params.resolution) - one
        return low, high, params.resolution

    def part(self, step: int, units: int, space: StepGrid) -> Surge:
        """The surge of factor 1 + units × resolution."""
        return Surge(step, float(1 + units * space.unit))

    # -- the steps -----------------------------------------------------------------------------

    def perturb(self, step: Step, part: Surge) -> Step | None:
        """People and each group scaled, rounded half up; dropped if nobody is left."""
        factor = exact(part.factor)
        people = scaled(step.args["people"], factor)
        if people <= 0:
            return None
        args = {
            key: scaled(value, factor) if isinstance(value, int) else value
            for key, value in step.args.items()
        }
        args["people"] = people
        return replace(step, args=args)

    # -- words ---------------------------------------------------------------------------------

    def part_dict(self, part: Surge, start: datetime) -> dict[str, object]:
        """{step, factor}."""
        return {"step": part.step, "factor": part.factor}

    def phrases(self, scenario: Scenario, parts: Sequence[Surge], result: RunResult) -> list[str]:
        """'arrivals ×1.4 at step 12 (2,500 → 3,500 people at camp-a, +3d)'."""
        phrases = []
        for surge in parts:
            step = step_of(scenario, surge.step)
            people = step.args["people"]
            phrases.append(
                f"arrivals ×{surge.factor:g} at step {surge.step} "
                f"({people:,} → {scaled(people, exact(surge.factor)):,} "
                f"people at {step.args['camp']}, {offset_text(step.at - scenario.start)})"
            )
        return phrases

    def change_notes(self, scenario: Scenario, parts: Sequence[Surge]) -> dict[int, str]:
        """'step 12: arrivals ×1.4 (was 2,500)'."""
        return {
            s.step: f"step {s.step}: arrivals ×{s.factor:g} "
            f"(was {step_of(scenario, s.step).args['people']:,})"
            for s in parts
        }

    def features(self, space: StepGrid, scenario: Scenario, parts: Sequence[Surge]) -> Features:
        """The largest factor; each step's factor."""
        if not space.steps:
            return {}, {}
        factors = {s.step: s.factor for s in parts}
        values = [factors.get(n, 1.0) for n in space.steps]
        fine = {
            f"arrivals at step {n} ({step_of(scenario, n).args['camp']}) ×": v
            for n, v in zip(space.steps, values, strict=True)
        }
        return {"arrival surge (largest factor)": max(values)}, fine


KIND: Final = ArrivalSurgeKind()
