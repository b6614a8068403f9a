"""A toy shock kind, written as a new kind is: one module (this one) and one registry line.

extra_arrivals: at most once per run, up to `max_people` more people than planned arrive at a
camp (in steps of `resolution` people), at a time between the camp's opening and the scenario's
last step. The test adds `KIND` to planner.simulation.kinds.KINDS (the registry line).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from planner.scenario import Scenario, Step
from planner.simulation.kind import (
    Features,
    Horizon,
    ShockKind,
    simpler_events,
)
from planner.simulation.reader import SpecReader
from planner.simulation.times import DAY, offset_text

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from planner.simulation.engine import RunResult

MAX_PEOPLE: Final = 1_000_000


@dataclass(frozen=True)
class ExtraArrivals:
    """The section's parameters."""

    max_people: int
    resolution: int = 100
    camps: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Extra:
    """At `at`, `people` more people arrive at `camp`."""

    at: datetime
    camp: str
    people: int


@dataclass(frozen=True)
class ExtraSpace:
    """The camps (with their opening times) and the grid."""

    horizon: datetime
    camps: tuple[tuple[str, datetime], ...] = ()
    max: int = 0  # in resolution steps
    resolution: int = 100
    back: int = 0  # days back from the horizon


class ExtraArrivalsKind(ShockKind):
    """extra_arrivals: one unplanned wave of arrivals."""

    name = "extra_arrivals"
    keys = ("max_people", "resolution", "camps")
    field = "extras"
    empty_reason = "no camp is established (of the camps named)"
    plural = False
    adds = ("register_arrivals",)
    added_note = "shock: extra arrivals"

    def read(self, body: Mapping[Any, Any], reader: SpecReader, line: int | None) -> ExtraArrivals:
        what = f"simulate.shocks.{self.name}"
        people = reader.parsed(
            body, "max_people", what, line, lambda v, w, ln: reader.count(v, w, ln, MAX_PEOPLE)
        )
        step = reader.optional(
            body, "resolution", what, line, lambda v, w, ln: reader.count(v, w, ln, people)
        )
        camps = reader.optional_slugs(body, "camp", what, line)
        return ExtraArrivals(people, step or 100, camps)

    def summary(self, params: ExtraArrivals, space: ExtraSpace) -> str:
        return f"extra arrivals of up to {params.max_people:,} people at {len(space.camps)} camp(s)"

    def space(self, scenario: Scenario, params: Any | None, horizon: Horizon) -> ExtraSpace:
        if params is None:
            return ExtraSpace(horizon.end)
        camps = tuple(
            (s.args["camp"], s.at)
            for s in scenario.steps
            if s.command == "establish_camp"
            and (params.camps is None or s.args["camp"] in params.camps)
        )
        earliest = min((at for _, at in camps), default=horizon.end)
        return ExtraSpace(
            horizon.end,
            camps,
            params.max_people // params.resolution,
            params.resolution,
            (horizon.end - earliest) // DAY,
        )

    def is_empty(self, space: ExtraSpace) -> bool:
        return not space.camps or space.max == 0

    def parts(self, space: ExtraSpace, units: Any) -> tuple[Extra, ...]:
        extras = []
        for c, n, back in units:
            camp, opened = space.camps[c]
            at = max(opened, space.horizon - back * DAY)
            extras.append(Extra(at, camp, n * space.resolution))
        return tuple(sorted(extras))

    def sample(self, space: ExtraSpace, rng: random.Random) -> Any:
        if not space.camps or rng.random() < 0.5:
            return ()
        return (
            (
                rng.randrange(len(space.camps)),
                rng.randint(1, space.max),
                rng.randint(0, space.back),
            ),
        )

    def strategy(self, space: ExtraSpace) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        if not space.camps:
            return st.just(())
        one = st.tuples(
            st.integers(0, len(space.camps) - 1),
            st.integers(1, space.max),
            st.integers(0, space.back),
        )
        return st.lists(one, max_size=1).map(tuple)

    def simpler(self, space: ExtraSpace, units: Any, phase: int) -> Iterator[Any]:
        return simpler_events(units, phase, (None, 1, 0))

    def size(self, space: ExtraSpace, units: Any) -> int:
        return sum(n + 1 for _, n, _ in units)

    def added_steps(self, parts: Sequence[Extra]) -> list[Step]:
        return [
            Step(0, 0, e.at, "register_arrivals", {"camp": e.camp, "people": e.people})
            for e in sorted(parts)
        ]

    def part_dict(self, part: Extra, start: datetime) -> dict[str, Any]:
        return {"at": offset_text(part.at - start), "camp": part.camp, "people": part.people}

    def phrases(self, scenario: Scenario, parts: Sequence[Extra], result: RunResult) -> list[str]:
        return [
            f"an extra {e.people:,} arrivals at {e.camp} at {offset_text(e.at - scenario.start)}"
            for e in parts
        ]

    def features(self, space: ExtraSpace, scenario: Scenario, parts: Sequence[Extra]) -> Features:
        if not space.camps:
            return {}, {}
        fine = {
            f"extra arrivals at {camp}": float(sum(e.people for e in parts if e.camp == camp))
            for camp, _ in space.camps
        }
        return {"extra arrivals (people)": float(sum(e.people for e in parts))}, fine


KIND: Final = ExtraArrivalsKind()
