"""Offers lapsing unaccepted: an accept_offer step of the scenario never happens, so the offer
stays unaccepted (and lapses at its expiry); deliveries of it are then refused."""

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


@dataclass(frozen=True, order=True)
class Lapse:
    """accept_offer step `step` (of `offer`) never happens."""

    step: int
    offer: str


class OfferLapseKind(StepEventKind):
    """offer_lapse: up to `max_offers` acceptances never made."""

    name = "offer_lapse"
    keys = ("max_offers", "offers")
    field = "lapses"
    empty_reason = "no accept_offer step (of the offers named)"
    perturbs = "accept_offer"
    slug_kind = "offer"
    count_key = "max_offers"

    def part(self, step: int, slug: str) -> Lapse:
        """The acceptance at `step` left out."""
        return Lapse(step, slug)

    def summary(self, params: StepChoice, space: StepTargets) -> str:
        """'offer lapse: up to 1 of 2 accept_offer step(s) never made'."""
        return (
            f"offer lapse: up to {space.max} of {len(space.steps)} accept_offer step(s) never made"
        )

    def perturb(self, step: Step, part: Lapse) -> Step | None:
        """No acceptance."""
        return None

    def part_dict(self, part: Lapse, start: datetime) -> dict[str, object]:
        """{step, offer}."""
        return {"step": part.step, "offer": part.offer}

    def phrases(self, scenario: Scenario, parts: Sequence[Lapse], result: RunResult) -> list[str]:
        """'offer o1 left unaccepted at step 30 (2,000 water for camp-a, +4d)'."""
        phrases = []
        for lapse in parts:
            step = step_of(scenario, lapse.step)
            args = step.args
            item = self.sent(scenario, "offer_supplies", lapse.offer).args["item"]
            phrases.append(
                f"offer {lapse.offer} left unaccepted at step {lapse.step} "
                f"({args['quantity']:,} {item} for {args['camp']}, "
                f"{offset_text(step.at - scenario.start)})"
            )
        return phrases

    def change_notes(self, scenario: Scenario, parts: Sequence[Lapse]) -> dict[int, str]:
        """'step 30: offer o1 never accepted'."""
        return {
            lapse.step: f"step {lapse.step}: offer {lapse.offer} never accepted" for lapse in parts
        }


KIND: Final = OfferLapseKind()
