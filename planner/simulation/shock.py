"""Shocks: concrete perturbations (`Shock`), their integer units on the section's grids (`Units`),
the space a section allows (`ShockSpace`) and the scenario's steps under a shock (`apply_shock`).

Each is generic over the registered shock kinds (kinds/__init__.py); a kind's parts and units sit
under its `field` name, e.g. `Shock(surges=(Surge(12, 1.4),))`, `shock.surges`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from planner.scenario import Scenario, Step
from planner.simulation.kind import SHRINK_PHASES, Horizon, ShockKind
from planner.simulation.kinds import kind_named, registered

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from planner.simulation.spec import SimulationSpec


class _ByKind:
    """Values under the registered kinds' field names, in registry order; () for a kind absent."""

    __slots__ = ("_values",)

    def __init__(self, **values: object) -> None:
        fields = [kind.field for kind in registered()]
        for name in values:
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no shock kind field {name!r}")
        self._values: tuple[tuple[str, object], ...] = tuple(
            (name, values[name]) for name in fields if values.get(name)
        )

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            for field, value in self._values:
                if field == name:
                    return value
            if any(kind.field == name for kind in registered()):
                return ()
        raise AttributeError(name)

    def of(self, kind: ShockKind) -> Any:
        """The value of one kind (() if absent)."""
        for field, value in self._values:
            if field == kind.field:
                return value
        return ()

    def fields(self) -> dict[str, object]:
        """The values given, by field name."""
        return dict(self._values)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values == other._values  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in self._values)
        return f"{type(self).__name__}({inner})"


class Shock(_ByKind):
    """One concrete perturbation of a scenario: each kind's parts. `Shock()` changes nothing."""

    __slots__ = ()

    @property
    def is_zero(self) -> bool:
        """True when the shock changes nothing."""
        return not self._values

    def as_dict(self, start: datetime) -> dict[str, object]:
        """JSON-ready form, every kind named; times as offsets from the scenario's start."""
        return {
            kind.name: [kind.part_dict(part, start) for part in self.of(kind)]
            for kind in registered()
        }


class Units(_ByKind):
    """A shock as integers on the section's grids (what strategies draw and shrinkers shrink);
    each kind documents its units."""

    __slots__ = ()

    def replaced(self, kind: ShockKind, value: object) -> Units:
        """These units with one kind's replaced."""
        return Units(**{**self.fields(), kind.field: value})


@dataclass(frozen=True)
class ShockSpace:
    """Which steps and entities a section's shocks may touch, and the grids of their values:
    one part per registered kind (an empty one for a kind the section does not enable)."""

    start: datetime
    horizon: datetime
    parts: tuple[tuple[ShockKind, Any], ...]

    @classmethod
    def of(cls, scenario: Scenario, spec: SimulationSpec) -> ShockSpace:
        """The space of a validated section."""
        horizon = Horizon(scenario.start, scenario.steps[-1].at)
        parts = tuple(
            (kind, kind.space(scenario, spec.params(kind.name), horizon)) for kind in registered()
        )
        return cls(scenario.start, horizon.end, parts)

    def of_kind(self, name: str) -> Any:
        """The part of the space of one kind."""
        kind = kind_named(name)
        return next(space for k, space in self.parts if k is kind)

    def is_empty(self, name: str) -> bool:
        """True if a shock kind has nothing to perturb."""
        return kind_named(name).is_empty(self.of_kind(name))

    @property
    def zero(self) -> Units:
        """The units of the smallest shock the space allows (the zero shock if it is in range)."""
        return Units(**{kind.field: kind.zero(space) for kind, space in self.parts})

    def shock(self, units: Units) -> Shock:
        """The concrete shock of some units (identity parts left out, parts sorted)."""
        return Shock(
            **{kind.field: kind.parts(space, units.of(kind)) for kind, space in self.parts}
        )

    def sample(self, rng: random.Random) -> Units:
        """Draw units from the grids, kind by kind in registry order (each kind says how)."""
        return Units(**{kind.field: kind.sample(space, rng) for kind, space in self.parts})

    def strategy(self) -> SearchStrategy[Units]:
        """A hypothesis strategy over the units; every part shrinks towards the zero shock."""
        from hypothesis import strategies as st

        fields = [kind.field for kind, _ in self.parts]

        def units(*values: object) -> Units:
            return Units(**dict(zip(fields, values, strict=True)))

        return st.builds(units, *(kind.strategy(space) for kind, space in self.parts))

    def simpler(self, units: Units) -> Iterator[Units]:
        """Candidate simplifications of some units, biggest first (for the greedy shrinker)."""
        for phase in SHRINK_PHASES:
            for kind, space in self.parts:
                for value in kind.simpler(space, units.of(kind), phase):
                    yield units.replaced(kind, value)

    def size(self, units: Units) -> float:
        """How big a shock is, roughly: the sum of its parts' distances from the zero shock."""
        return float(sum(kind.size(space, units.of(kind)) for kind, space in self.parts))


def apply_shock(scenario: Scenario, shock: Shock) -> list[Step]:
    """The scenario's steps under a shock, sorted by time (stable: same time, list order).

    Each kind's parts change the steps of the command it perturbs (a part may drop its step) or
    insert steps of their own, numbered 0, after the scenario's steps at the same time. Raises
    ValueError if a part names a step of the wrong command.
    """
    changes = _changes_by_step(scenario, shock)
    steps: list[Step] = []
    for step in scenario.steps:
        changed = _perturbed(step, changes.get(step.number, ()))
        if changed is not None:
            steps.append(changed)
    for kind in sorted(registered(), key=lambda k: k.added_rank):
        steps += kind.added_steps(shock.of(kind))
    steps.sort(key=lambda s: s.at)
    return steps


def _perturbed(step: Step, changes: Sequence[tuple[ShockKind, Any]]) -> Step | None:
    """A step under the parts that change it, in registry order (None: a part dropped it)."""
    for kind, part in changes:
        changed = kind.perturb(step, part)
        if changed is None:
            return None
        step = changed
    return step


def _changes_by_step(scenario: Scenario, shock: Shock) -> dict[int, list[tuple[ShockKind, Any]]]:
    numbers = {step.number: step for step in scenario.steps}
    changes: dict[int, list[tuple[ShockKind, object]]] = {}
    for kind in registered():
        if kind.perturbs is None:
            continue
        for part in shock.of(kind):
            step = numbers.get(part.step)
            if step is None or step.command != kind.perturbs:
                raise ValueError(
                    f"step {part.step} is not a {kind.perturbs} step of {scenario.path}"
                )
            changes.setdefault(part.step, []).append((kind, part))
    return changes
