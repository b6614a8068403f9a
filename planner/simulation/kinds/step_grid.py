"""A base for kinds that give each step of one command a value on a grid (surges, delays…)."""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.scenario import Scenario, Step
from planner.simulation.kind import SHRINK_STEPS, Horizon, ShockKind, put, towards

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


@dataclass(frozen=True)
class StepGrid:
    """The steps a kind perturbs and its grid: units from `low` to `high`, 0 the identity.

    `target` is the unit nearest the identity within range (what shrinking aims for); `unit`
    the size of one grid step (a fraction, a duration).
    """

    steps: tuple[int, ...] = ()
    low: int = 0
    high: int = 0
    unit: Any = None

    @property
    def target(self) -> int:
        """The unit nearest to the identity (0) within range."""
        return min(max(0, self.low), self.high)


class StepGridKind(ShockKind):
    """A kind whose units are one grid value per step of the command it `perturbs`."""

    @abstractmethod
    def selects(self, step: Step, params: Any) -> bool:
        """True if the section's filters (camps, items, partners…) let the kind touch `step`."""

    @abstractmethod
    def grid(self, params: Any) -> tuple[int, int, Any]:
        """(low, high, unit) of the section's grid."""

    @abstractmethod
    def part(self, step: int, units: int, space: StepGrid) -> Any:
        """The concrete part of `units` grid steps on step `step`."""

    def space(self, scenario: Scenario, params: Any | None, horizon: Horizon) -> StepGrid:
        """The steps the kind touches and its grid."""
        if params is None:
            return StepGrid()
        steps = tuple(
            s.number
            for s in scenario.steps
            if s.command == self.perturbs and self.selects(s, params)
        )
        low, high, unit = self.grid(params)
        return StepGrid(steps, low, high, unit)

    def is_empty(self, space: StepGrid) -> bool:
        """True if no step is touched."""
        return not space.steps

    def zero(self, space: StepGrid) -> tuple[int, ...]:
        """Every step at the unit nearest the identity."""
        return tuple(space.target for _ in space.steps)

    def parts(self, space: StepGrid, units: tuple[int, ...]) -> tuple[Any, ...]:
        """One part per step off the identity."""
        return tuple(
            self.part(step, u, space) for step, u in zip(space.steps, units, strict=True) if u != 0
        )

    def sample(self, space: StepGrid, rng: random.Random) -> tuple[int, ...]:
        """Each step's value uniform on the grid."""
        return tuple(rng.randint(space.low, space.high) for _ in space.steps)

    def strategy(self, space: StepGrid) -> SearchStrategy[object]:
        """One integer per step, shrinking towards the low end of the grid."""
        from hypothesis import strategies as st

        return st.tuples(*(st.integers(space.low, space.high) for _ in space.steps))

    def simpler(self, space: StepGrid, units: tuple[int, ...], phase: int) -> Iterator[object]:
        """Each step's value moved towards the identity."""
        if phase != SHRINK_STEPS:
            return
        for i, value in enumerate(units):
            for candidate in towards(value, space.target):
                yield put(units, i, candidate)

    def size(self, space: StepGrid, units: tuple[int, ...]) -> int:
        """The sum of the distances from the identity."""
        return sum(abs(u - space.target) for u in units)
