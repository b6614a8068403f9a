"""A base for kinds that pick up to `max` steps of one command and change or drop each of them
(a shipment lost instead of delivered, an offer never accepted)."""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.scenario import Scenario, Step
from planner.simulation.kind import Features, Horizon, ShockKind, simpler_events
from planner.simulation.reader import SpecReader

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

StepUnits = tuple[tuple[int], ...]  # (index of the step among the targets,), all different


@dataclass(frozen=True)
class StepChoice:
    """The section's parameters: at most `max` of the steps, of the slugs named (all if None)."""

    max: int
    slugs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StepTargets:
    """The steps a kind may pick (number, slug) and how many at most."""

    steps: tuple[tuple[int, str], ...] = ()
    max: int = 0


class StepEventKind(ShockKind):
    """A kind whose parts each pick one step of the command it `perturbs`, by slug."""

    slug_kind: str  # the slug argument that names what a step is about ("shipment", "offer")
    count_key: str  # the key of how many steps at most ("max_shipments")

    @abstractmethod
    def part(self, step: int, slug: str) -> Any:
        """The concrete part that picks step `step` (about `slug`)."""

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> StepChoice:
        """`count_key` (1 to 20) and the optional list of slugs."""
        what = f"simulate.shocks.{self.name}"
        count = reader.parsed(body, self.count_key, what, line, reader.events)
        return StepChoice(count, reader.optional_slugs(body, self.slug_kind, what, line))

    def space(self, scenario: Scenario, params: StepChoice | None, horizon: Horizon) -> StepTargets:
        """The steps of the command about the slugs named."""
        if params is None:
            return StepTargets()
        steps = tuple(
            (s.number, s.args[self.slug_kind])
            for s in scenario.steps
            if s.command == self.perturbs
            and (params.slugs is None or s.args[self.slug_kind] in params.slugs)
        )
        return StepTargets(steps, min(params.max, len(steps)))

    def is_empty(self, space: StepTargets) -> bool:
        """True if no step is about the slugs named."""
        return not space.steps

    def parts(self, space: StepTargets, units: StepUnits) -> tuple[Any, ...]:
        """The picked steps' parts, in step order."""
        return tuple(sorted(self.part(*space.steps[i]) for (i,) in units))

    def sample(self, space: StepTargets, rng: random.Random) -> StepUnits:
        """0 .. max different steps."""
        if not space.steps:
            return ()
        chosen = rng.sample(range(len(space.steps)), rng.randint(0, space.max))
        return tuple((i,) for i in chosen)

    def strategy(self, space: StepTargets) -> SearchStrategy[object]:
        """Lists of different steps, shrinking to fewer."""
        from hypothesis import strategies as st

        if not space.steps:
            return st.just(())
        return st.lists(
            st.tuples(st.integers(0, len(space.steps) - 1)),
            max_size=space.max,
            unique_by=lambda one: one[0],
        ).map(tuple)

    def simpler(self, space: StepTargets, units: StepUnits, phase: int) -> Iterator[object]:
        """Drop a picked step."""
        return simpler_events(units, phase, (None,))

    def size(self, space: StepTargets, units: StepUnits) -> int:
        """Each picked step counts 2."""
        return 2 * len(units)

    def features(self, space: StepTargets, scenario: Scenario, parts: Sequence[Any]) -> Features:
        """How many steps were picked; whether each was."""
        if not space.steps:
            return {}, {}
        picked = {part.step for part in parts}
        fine = {
            f"{self.name.replace('_', ' ')} at step {n} ({slug})": float(n in picked)
            for n, slug in space.steps
        }
        return {f"{self.name.replace('_', ' ')} (count)": float(len(parts))}, fine

    def sent(self, scenario: Scenario, command: str, slug: str) -> Step:
        """The step that created `slug` with `command` (send_shipment, offer_supplies)."""
        return next(
            s for s in scenario.steps if s.command == command and s.args[self.slug_kind] == slug
        )
