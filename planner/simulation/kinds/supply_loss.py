"""Supply losses: a stockpile loses a fraction of its free stock of an item, at some time."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from planner.scenario import Scenario, Step
from planner.simulation.kind import (
    Features,
    Horizon,
    ShockKind,
    simpler_events,
)
from planner.simulation.reader import FRACTION_RESOLUTION, SpecReader
from planner.simulation.times import DAY, offset_text

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from planner.simulation.engine import RunContext, RunResult

LOSS_COMMAND: Final = "lose_supplies"  # pseudo-step: resolved into write_off_supplies at run time
LossUnits = tuple[tuple[int, int, int], ...]  # (target index, fraction in 5 % steps, steps back)


@dataclass(frozen=True)
class SupplyLoss:
    """Up to `max_events` times, lose up to `max_fraction` of a stockpile's free stock of an
    item."""

    max_fraction: Fraction
    max_events: int = 1
    resolution: timedelta = DAY
    stockpiles: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Loss:
    """At `at`, `fraction` of the stockpile's free stock of `item` is lost (written off)."""

    at: datetime
    stockpile: str
    item: str
    fraction: float


@dataclass(frozen=True)
class LossSpace:
    """The (stockpile, item, opened at) pairs that may lose stock and the grids."""

    horizon: datetime
    targets: tuple[tuple[str, str, datetime], ...] = ()
    max: int = 0  # in 5 % steps
    events: int = 0
    resolution: timedelta = DAY
    back: int = 0  # resolution steps back from the horizon


class SupplyLossKind(ShockKind):
    """supply_loss: up to `max_events` losses of free stock per run."""

    name = "supply_loss"
    keys = ("max_fraction", "max_events", "resolution", "stockpiles", "items")
    field = "losses"
    empty_reason = "no stockpile receives supplies (of the stockpiles and items named)"
    adds = ("write_off_supplies",)
    added_note = "shock: supply loss"
    added_rank = 1  # after a withdrawal at the same time
    pseudo_command = LOSS_COMMAND

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> SupplyLoss:
        """max_fraction, max_events, resolution, stockpiles, items."""
        what = f"simulate.shocks.{self.name}"
        fraction = reader.parsed(body, "max_fraction", what, line, reader.fraction)
        events = reader.optional(body, "max_events", what, line, reader.events)
        resolution = reader.optional(body, "resolution", what, line, reader.duration) or DAY
        stockpiles = reader.optional_slugs(body, "stockpile", what, line)
        items = reader.optional(body, "items", what, line, reader.items)
        return SupplyLoss(fraction, events or 1, resolution, stockpiles, items)

    def summary(self, params: SupplyLoss, space: LossSpace) -> str:
        """'supply loss of up to 30% of free stock, at most 1 time(s) per run, of water@a'."""
        targets = ", ".join(f"{item}@{depot}" for depot, item, _ in space.targets)
        return (
            f"supply loss of up to {float(params.max_fraction):.0%} of free stock, at most "
            f"{params.max_events} time(s) per run, of {targets}"
        )

    # -- the space -----------------------------------------------------------------------------

    def space(self, scenario: Scenario, params: SupplyLoss | None, horizon: Horizon) -> LossSpace:
        """The pairs some receive_supplies fills (of the stockpiles and items named)."""
        if params is None:
            return LossSpace(horizon.end)
        steps = scenario.steps
        opened = {s.args["stockpile"]: s.at for s in steps if s.command == "open_stockpile"}
        targets: dict[tuple[str, str], datetime] = {}
        for s in steps:
            if s.command != "receive_supplies":
                continue
            depot, item = s.args["stockpile"], s.args["item"]
            if (params.stockpiles is None or depot in params.stockpiles) and (
                params.items is None or item in params.items
            ):
                targets.setdefault((depot, item), opened[depot])
        earliest = min(targets.values(), default=horizon.end)
        return LossSpace(
            horizon=horizon.end,
            targets=tuple((d, i, at) for (d, i), at in targets.items()),
            max=int(params.max_fraction / FRACTION_RESOLUTION),
            events=params.max_events,
            resolution=params.resolution,
            back=(horizon.end - earliest) // params.resolution,
        )

    def is_empty(self, space: LossSpace) -> bool:
        """True if no stockpile receives the items named."""
        return not space.targets

    def parts(self, space: LossSpace, units: LossUnits) -> tuple[Loss, ...]:
        """The losses, each no earlier than its stockpile's opening, in time order."""
        losses = []
        for t, f, back in units:
            depot, item, opened = space.targets[t]
            at = max(opened, space.horizon - back * space.resolution)
            losses.append(Loss(at, depot, item, float(f * FRACTION_RESOLUTION)))
        return tuple(sorted(losses))

    def sample(self, space: LossSpace, rng: random.Random) -> LossUnits:
        """0 .. max_events losses, each of a uniform target, fraction and time."""
        if not space.targets:
            return ()
        return tuple(
            (
                rng.randrange(len(space.targets)),
                rng.randint(1, space.max),
                rng.randint(0, space.back),
            )
            for _ in range(rng.randint(0, space.events))
        )

    def strategy(self, space: LossSpace) -> SearchStrategy[object]:
        """Lists of losses, shrinking to fewer, smaller and later (towards the horizon)."""
        from hypothesis import strategies as st

        if not space.targets:
            return st.just(())
        return st.lists(
            st.tuples(
                st.integers(0, len(space.targets) - 1),
                st.integers(1, space.max),
                st.integers(0, space.back),
            ),
            max_size=space.events,
        ).map(tuple)

    def simpler(self, space: LossSpace, units: LossUnits, phase: int) -> Iterator[object]:
        """Drop a loss; then a smaller fraction or a later time."""
        return simpler_events(units, phase, (None, 1, 0))

    def size(self, space: LossSpace, units: LossUnits) -> int:
        """Each loss counts its fraction plus one."""
        return sum(f + 1 for _, f, _ in units)

    # -- the steps -----------------------------------------------------------------------------

    def added_steps(self, parts: Sequence[Loss]) -> list[Step]:
        """A pseudo-step per loss, resolved at run time."""
        return [
            Step(
                0,
                0,
                loss.at,
                LOSS_COMMAND,
                {"stockpile": loss.stockpile, "item": loss.item, "fraction": loss.fraction},
            )
            for loss in sorted(parts)
        ]

    def resolve(self, step: Step, run: RunContext) -> Step | None:
        """A write-off of the fraction of the free stock then (skipped if there is none)."""
        args = step.args
        depot = run.fold.stockpiles.get(run.entity_id("stockpile", args["stockpile"]))
        free = 0
        if depot is not None:
            item = args["item"]
            free = depot["on_hand"].get(item, 0) - depot["reserved"].get(item, 0)
        quantity = math.floor(free * Fraction(str(args["fraction"])))
        if quantity <= 0:
            run.skip(
                f"loss of {args['fraction']:.0%} of {args['item']} at {args['stockpile']} at "
                f"{offset_text(step.at - run.start)}: no free stock to lose"
            )
            return None
        write_off = {"stockpile": args["stockpile"], "item": args["item"], "quantity": quantity}
        return Step(0, 0, step.at, "write_off_supplies", {**write_off, "reason": "lost"})

    # -- words ---------------------------------------------------------------------------------

    def part_dict(self, part: Loss, start: datetime) -> dict[str, object]:
        """{at, stockpile, item, fraction}."""
        return {
            "at": offset_text(part.at - start),
            "stockpile": part.stockpile,
            "item": part.item,
            "fraction": part.fraction,
        }

    def phrases(self, scenario: Scenario, parts: Sequence[Loss], result: RunResult) -> list[str]:
        """'the loss of 30% of the free water at a at +20d (1,500 lost)'."""
        write_offs = [
            s for s in result.applied if s.number == 0 and s.command == "write_off_supplies"
        ]
        phrases = []
        for loss in parts:
            lost = next(
                (
                    s.args["quantity"]
                    for s in write_offs
                    if s.at == loss.at
                    and s.args["stockpile"] == loss.stockpile
                    and s.args["item"] == loss.item
                ),
                None,
            )
            amount = f"{lost:,} lost" if lost is not None else "nothing to lose"
            phrases.append(
                f"the loss of {loss.fraction:.0%} of the free {loss.item} at {loss.stockpile} at "
                f"{offset_text(loss.at - scenario.start)} ({amount})"
            )
        return phrases

    def features(self, space: LossSpace, scenario: Scenario, parts: Sequence[Loss]) -> Features:
        """The sum of the fractions lost; per target."""
        if not space.targets:
            return {}, {}
        fine = {
            f"loss of {item} at {depot} (fraction)": sum(
                loss.fraction for loss in parts if loss.stockpile == depot and loss.item == item
            )
            for depot, item, _ in space.targets
        }
        return {"supply loss (sum of fractions)": sum(loss.fraction for loss in parts)}, fine


KIND: Final = SupplyLossKind()
