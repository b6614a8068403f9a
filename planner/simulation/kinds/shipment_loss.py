"""Shipment losses: a shipment the scenario delivers is lost in transit instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from planner.scenario import Scenario, Step
from planner.simulation.kind import step_of
from planner.simulation.kinds.step_events import StepChoice, StepEventKind, StepTargets
from planner.simulation.times import offset_text

if TYPE_CHECKING:
    from planner.simulation.engine import RunResult

LOSS_REASON: Final = "lost"


@dataclass(frozen=True, order=True)
class ShipmentLoss:
    """deliver_shipment step `step` becomes a lose_shipment of `shipment`."""

    step: int
    shipment: str


class ShipmentLossKind(StepEventKind):
    """shipment_loss: up to `max_shipments` shipments lost instead of delivered."""

    name = "shipment_loss"
    keys = ("max_shipments", "shipments")
    field = "shipment_losses"
    empty_reason = "no deliver_shipment step (of the shipments named)"
    perturbs = "deliver_shipment"
    slug_kind = "shipment"
    count_key = "max_shipments"

    def part(self, step: int, slug: str) -> ShipmentLoss:
        """The loss of the shipment the step delivers."""
        return ShipmentLoss(step, slug)

    def summary(self, params: StepChoice, space: StepTargets) -> str:
        """'shipment loss of up to 1 of 3 deliver_shipment step(s)'."""
        return f"shipment loss of up to {space.max} of {len(space.steps)} deliver_shipment step(s)"

    def perturb(self, step: Step, part: ShipmentLoss) -> Step | None:
        """The shipment is lost at the time it was to be delivered."""
        args = {"shipment": part.shipment, "reason": LOSS_REASON}
        return Step(step.number, step.line, step.at, "lose_shipment", args)

    def part_dict(self, part: ShipmentLoss, start: datetime) -> dict[str, object]:
        """{step, shipment}."""
        return {"step": part.step, "shipment": part.shipment}

    def phrases(
        self, scenario: Scenario, parts: Sequence[ShipmentLoss], result: RunResult
    ) -> list[str]:
        """'the loss of shipment s1 at step 40 (5,000 water from a to b, due +3d)'."""
        phrases = []
        for loss in parts:
            args = self.sent(scenario, "send_shipment", loss.shipment).args
            due = offset_text(step_of(scenario, loss.step).at - scenario.start)
            phrases.append(
                f"the loss of shipment {loss.shipment} at step {loss.step} "
                f"({args['quantity']:,} {args['item']} from {args['stockpile']} to "
                f"{args['camp']}, due {due})"
            )
        return phrases

    def change_notes(self, scenario: Scenario, parts: Sequence[ShipmentLoss]) -> dict[int, str]:
        """'step 40: shipment s1 lost instead of delivered'."""
        return {
            loss.step: f"step {loss.step}: shipment {loss.shipment} lost instead of delivered"
            for loss in parts
        }


KIND: Final = ShipmentLossKind()
