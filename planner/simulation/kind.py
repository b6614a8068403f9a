"""What a kind of shock declares: the interface every module in kinds/ implements.

A kind of shock is one class in one module, and one line in kinds/__init__.py. It declares

- its `simulate.shocks` key (`name`), the keys under it (`keys`) and how they are read (`read`);
- its part of the shock space (`space`, `is_empty`), as integer *units* on grids: how units are
  sampled (`sample`), searched by hypothesis (`strategy`), shrunk (`simpler`, `size`) and turned
  into concrete parts of a `Shock` (`parts`, `zero`);
- how its parts perturb the scenario's steps (`perturb` for the steps of the command it changes,
  `added_steps` for steps it inserts, `resolve` for pseudo-steps decided at run time);
- how its parts are said: in words (`summary`, `phrases`, `change_notes`, `added_note`), as JSON
  (`part_dict`) and as numbers for the report's correlations (`features`).

The generic machinery (shock.py, engine.py, search.py, words.py, reproduction.py, statistics.py)
only ever loops over the registry.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

from planner.scenario import Scenario, Step
from planner.simulation.reader import SpecReader

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from planner.simulation.engine import RunContext, RunResult

# The greedy shrinker tries simplifications in three rounds, each over the kinds in registry
# order: first drop whole events, then shrink per-step values, then shrink events' values.
DROP_EVENTS, SHRINK_STEPS, SHRINK_EVENTS = 0, 1, 2
SHRINK_PHASES: Final = (DROP_EVENTS, SHRINK_STEPS, SHRINK_EVENTS)

Features = tuple[dict[str, float], dict[str, float]]
T = TypeVar("T")


@dataclass(frozen=True)
class Horizon:
    """The span of time shocks may fall in: the scenario's start and its last step."""

    start: datetime
    end: datetime


class ShockKind(ABC):
    """One kind of shock (see the module docstring for what it declares)."""

    name: ClassVar[str]  # its key under simulate.shocks
    keys: ClassVar[tuple[str, ...]]  # the keys under it
    field: ClassVar[str]  # the name of its parts on Shock and Units, e.g. "surges"
    empty_reason: ClassVar[str]  # why a section finds nothing to perturb, in words
    plural: ClassVar[bool] = False  # its phrases take a plural verb ("arrivals … leave")
    perturbs: ClassVar[str | None] = None  # the command whose steps its parts change
    adds: ClassVar[tuple[str, ...]] = ()  # the commands of the steps it inserts
    added_note: ClassVar[str] = ""  # the YAML comment on a step it inserts
    added_rank: ClassVar[int] = 0  # order of its inserted steps among other kinds' at one time
    pseudo_command: ClassVar[str | None] = None  # a step it inserts that resolve() decides

    # -- the section ---------------------------------------------------------------------------

    @abstractmethod
    def read(self, body: Mapping[object, object], reader: SpecReader, line: int | None) -> Any:
        """Validate the kind's mapping (its keys already checked); return its parameters."""

    @abstractmethod
    def summary(self, params: Any, space: Any) -> str:
        """One line saying what the section explores."""

    # -- the space -----------------------------------------------------------------------------

    @abstractmethod
    def space(self, scenario: Scenario, params: Any | None, horizon: Horizon) -> Any:
        """The kind's part of the shock space (an empty one when `params` is None)."""

    @abstractmethod
    def is_empty(self, space: Any) -> bool:
        """True if there is nothing to perturb."""

    def zero(self, space: Any) -> Any:
        """The units of the smallest shock the space allows."""
        return ()

    @abstractmethod
    def parts(self, space: Any, units: Any) -> tuple[Any, ...]:
        """The concrete parts of some units (identity parts left out)."""

    @abstractmethod
    def sample(self, space: Any, rng: random.Random) -> Any:
        """Units drawn from the grids (the distribution of the sampled runs)."""

    @abstractmethod
    def strategy(self, space: Any) -> SearchStrategy[object]:
        """A hypothesis strategy over the units that shrinks towards the zero shock."""

    @abstractmethod
    def simpler(self, space: Any, units: Any, phase: int) -> Iterator[object]:
        """Simpler units to try in a shrink phase, biggest simplification first."""

    @abstractmethod
    def size(self, space: Any, units: Any) -> int:
        """How far some units are from the zero shock, roughly."""

    # -- the steps -----------------------------------------------------------------------------

    def perturb(self, step: Step, part: Any) -> Step | None:
        """A step of `perturbs` under one part (None: the step is dropped)."""
        return step

    def added_steps(self, parts: Sequence[Any]) -> list[Step]:
        """The steps the parts insert (step number 0)."""
        return []

    def resolve(self, step: Step, run: RunContext) -> Step | None:
        """The command a pseudo-step runs as, decided on the state of the run (None: skip)."""
        return step

    # -- words ---------------------------------------------------------------------------------

    @abstractmethod
    def part_dict(self, part: Any, start: datetime) -> dict[str, object]:
        """A part in JSON, times as offsets from the start."""

    @abstractmethod
    def phrases(self, scenario: Scenario, parts: Sequence[Any], result: RunResult) -> list[str]:
        """Each part in words, as a run applied it."""

    def change_notes(self, scenario: Scenario, parts: Sequence[Any]) -> dict[int, str]:
        """Why each scenario step the parts change changed, by step number."""
        return {}

    @abstractmethod
    def features(self, space: Any, scenario: Scenario, parts: Sequence[Any]) -> Features:
        """Numbers for the correlations: (coarse dimensions, one per target); empty if none."""


def towards(value: int, target: int) -> list[int]:
    """Values between target and value to try, nearest the target first."""
    if value == target:
        return []
    middle = target + (value - target) // 2
    candidates = [target, middle, value - (1 if value > target else -1)]
    seen: list[int] = []
    for c in candidates:
        if c != value and c not in seen:
            seen.append(c)
    return seen


def put(values: tuple[T, ...], index: int, value: T) -> tuple[T, ...]:
    """`values` with the one at `index` replaced."""
    return (*values[:index], value, *values[index + 1 :])


def without(values: tuple[T, ...], index: int) -> tuple[T, ...]:
    """`values` without the one at `index`."""
    return values[:index] + values[index + 1 :]


def simpler_events(
    units: tuple[tuple[int, ...], ...], phase: int, floors: tuple[int | None, ...]
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """The shrink candidates of units that are a list of events (tuples of ints): in the
    DROP_EVENTS round each event dropped, in SHRINK_EVENTS each field of each event moved towards
    its floor (None: a field that does not shrink, such as which target)."""
    if phase == DROP_EVENTS:
        for i in range(len(units)):
            yield without(units, i)
    elif phase == SHRINK_EVENTS:
        for i, event in enumerate(units):
            for j, floor in enumerate(floors):
                if floor is not None:
                    for value in towards(event[j], floor):
                        yield put(units, i, put(event, j, value))


_NUMBERED: dict[int, tuple[Scenario, dict[int, Step]]] = {}


def step_of(scenario: Scenario, number: int) -> Step:
    """The scenario's step of this number (the index is built once per scenario)."""
    cached = _NUMBERED.get(id(scenario))
    if cached is None or cached[0] is not scenario:
        if len(_NUMBERED) >= 8:
            _NUMBERED.clear()
        cached = _NUMBERED[id(scenario)] = (scenario, {s.number: s for s in scenario.steps})
    return cached[1][number]
