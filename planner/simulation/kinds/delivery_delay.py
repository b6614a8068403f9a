"""Delivery delays: each dispatch_supplies step happens up to `max` later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Final

from planner.scenario import Scenario, Step, key_line
from planner.simulation.kind import Features, step_of
from planner.simulation.kinds.step_grid import StepGrid, StepGridKind
from planner.simulation.reader import SpecReader
from planner.simulation.times import DAY, HOUR, duration_words, offset_text

if TYPE_CHECKING:
    from planner.simulation.engine import RunResult


@dataclass(frozen=True)
class DeliveryDelay:
    """Shift each dispatch_supplies later by 0 .. `max`, in steps of `resolution`."""

    max: timedelta
    resolution: timedelta = DAY
    camps: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Delay:
    """dispatch_supplies step `step` happens `delay` later."""

    step: int
    delay: timedelta


def read_delay(
    body: Mapping[object, object], reader: SpecReader, what: str, line: int | None
) -> tuple[timedelta, timedelta]:
    """`max` and `resolution` (default a day, or an hour if `max` is under a day) of a delay."""
    maximum = reader.parsed(body, "max", what, line, reader.duration)
    resolution = reader.optional(body, "resolution", what, line, reader.duration)
    if resolution is None:
        resolution = DAY if maximum >= DAY else HOUR
    if resolution > maximum:
        raise reader.error(
            f"'{what}.resolution' is longer than '{what}.max'",
            key_line(body, "resolution") or line,
        )
    return maximum, resolution


class DeliveryDelayKind(StepGridKind):
    """delivery_delay: up to `max` on each dispatch_supplies step."""

    name = "delivery_delay"
    keys: ClassVar[tuple[str, ...]] = ("max", "resolution", "camps", "items")
    field = "delays"
    empty_reason = "no dispatch_supplies step (for the camps and items named)"
    perturbs = "dispatch_supplies"

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> DeliveryDelay:
        """max, resolution (default a day, or an hour under a day), camps, items."""
        what = f"simulate.shocks.{self.name}"
        maximum, resolution = read_delay(body, reader, what, line)
        camps = reader.optional_slugs(body, "camp", what, line)
        items = reader.optional(body, "items", what, line, reader.items)
        return DeliveryDelay(maximum, resolution, camps, items)

    def summary(self, params: DeliveryDelay, space: StepGrid) -> str:
        """'delivery delay up to +2d (steps of +1d) on 20 dispatch_supplies step(s)'."""
        return (
            f"delivery delay up to {offset_text(params.max)} (steps of "
            f"{offset_text(params.resolution)}) on {len(space.steps)} dispatch_supplies step(s)"
        )

    # -- the space -----------------------------------------------------------------------------

    def selects(self, step: Step, params: DeliveryDelay) -> bool:
        """Dispatches to the camps and of the items named (all if none)."""
        return (params.camps is None or step.args["camp"] in params.camps) and (
            params.items is None or step.args["item"] in params.items
        )

    def grid(self, params: DeliveryDelay) -> tuple[int, int, timedelta]:
        """0 .. max in resolution steps."""
        return 0, params.max // params.resolution, params.resolution

    def is_empty(self, space: StepGrid) -> bool:
        """True if no dispatch is touched or no delay fits."""
        return not space.steps or space.high == 0

    def part(self, step: int, units: int, space: StepGrid) -> Delay:
        """A delay of `units` resolutions."""
        return Delay(step, units * space.unit)

    # -- the steps -----------------------------------------------------------------------------

    def perturb(self, step: Step, part: Delay) -> Step | None:
        """The dispatch, later."""
        return replace(step, at=step.at + part.delay)

    # -- words ---------------------------------------------------------------------------------

    def part_dict(self, part: Delay, start: datetime) -> dict[str, object]:
        """{step, delay}."""
        return {"step": part.step, "delay": offset_text(part.delay)}

    def phrases(self, scenario: Scenario, parts: Sequence[Delay], result: RunResult) -> list[str]:
        """'a 2-day delay of dispatch at step 15 (18,000 food_ration from a to b, due +34d)'."""
        phrases = []
        for delay in parts:
            step = step_of(scenario, delay.step)
            args = step.args
            phrases.append(
                f"a {duration_words(delay.delay)} delay of dispatch at step {delay.step} "
                f"({args['quantity']:,} {args['item']} from {args['stockpile']} to "
                f"{args['camp']}, due {offset_text(step.at - scenario.start)})"
            )
        return phrases

    def change_notes(self, scenario: Scenario, parts: Sequence[Delay]) -> dict[int, str]:
        """'step 15: 2-day delay (was +34d)'."""
        start = scenario.start
        return {
            d.step: f"step {d.step}: {duration_words(d.delay)} delay "
            f"(was {offset_text(step_of(scenario, d.step).at - start)})"
            for d in parts
        }

    def features(self, space: StepGrid, scenario: Scenario, parts: Sequence[Delay]) -> Features:
        """The total delay in days; each dispatch's delay."""
        if not space.steps:
            return {}, {}
        delays = {d.step: d.delay / DAY for d in parts}
        values = [delays.get(n, 0.0) for n in space.steps]
        fine = {}
        for n, v in zip(space.steps, values, strict=True):
            args = step_of(scenario, n).args
            fine[f"delay of dispatch step {n} ({args['item']} to {args['camp']}), days"] = v
        return {"delivery delay (total days)": sum(values)}, fine


KIND: Final = DeliveryDelayKind()
