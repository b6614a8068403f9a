"""Shipment delays: each deliver_shipment step happens up to `max` later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from planner.scenario import Scenario, Step
from planner.simulation.kind import Features, step_of
from planner.simulation.kinds.delivery_delay import Delay, DeliveryDelayKind, read_delay
from planner.simulation.kinds.step_grid import StepGrid
from planner.simulation.reader import SpecReader
from planner.simulation.times import DAY, duration_words, offset_text

if TYPE_CHECKING:
    from planner.simulation.engine import RunResult


@dataclass(frozen=True)
class ShipmentDelay:
    """Shift each deliver_shipment later by 0 .. `max`, in steps of `resolution`."""

    max: timedelta
    resolution: timedelta = DAY
    shipments: tuple[str, ...] | None = None


class ShipmentDelayKind(DeliveryDelayKind):
    """shipment_delay: up to `max` on each deliver_shipment step."""

    name = "shipment_delay"
    keys = ("max", "resolution", "shipments")
    field = "shipment_delays"
    empty_reason = "no deliver_shipment step (of the shipments named)"
    perturbs = "deliver_shipment"

    def read(self, body: Mapping[object, object], reader: SpecReader, line: int | None) -> Any:
        """max, resolution (default a day, or an hour under a day), shipments."""
        what = f"simulate.shocks.{self.name}"
        maximum, resolution = read_delay(body, reader, what, line)
        return ShipmentDelay(
            maximum, resolution, reader.optional_slugs(body, "shipment", what, line)
        )

    def summary(self, params: Any, space: StepGrid) -> str:
        """'shipment delay up to +2d (steps of +1d) on 3 deliver_shipment step(s)'."""
        return (
            f"shipment delay up to {offset_text(params.max)} (steps of "
            f"{offset_text(params.resolution)}) on {len(space.steps)} deliver_shipment step(s)"
        )

    def selects(self, step: Step, params: Any) -> bool:
        """Deliveries of the shipments named (all if none)."""
        return params.shipments is None or step.args["shipment"] in params.shipments

    def phrases(self, scenario: Scenario, parts: Sequence[Delay], result: RunResult) -> list[str]:
        """'a 2-day delay of the delivery of shipment s1 at step 40 (5,000 water to b, due +3d)'."""
        phrases = []
        for delay in parts:
            step = step_of(scenario, delay.step)
            slug = step.args["shipment"]
            sent = next(
                s.args
                for s in scenario.steps
                if s.command == "send_shipment" and s.args["shipment"] == slug
            )
            due = offset_text(step.at - scenario.start)
            phrases.append(
                f"a {duration_words(delay.delay)} delay of the delivery of shipment {slug} at "
                f"step {delay.step} ({sent['quantity']:,} {sent['item']} from "
                f"{sent['stockpile']} to {sent['camp']}, due {due})"
            )
        return phrases

    def features(self, space: StepGrid, scenario: Scenario, parts: Sequence[Delay]) -> Features:
        """The total delay in days; each delivery's delay."""
        if not space.steps:
            return {}, {}
        delays = {d.step: d.delay / DAY for d in parts}
        values = [delays.get(n, 0.0) for n in space.steps]
        fine = {
            f"delay of shipment {step_of(scenario, n).args['shipment']} (step {n}), days": v
            for n, v in zip(space.steps, values, strict=True)
        }
        return {"shipment delay (total days)": sum(values)}, fine


KIND: Final = ShipmentDelayKind()
