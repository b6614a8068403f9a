"""What one simulation run did: its breaches, refusals, camp statistics and probes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from planner.scenario import Step
from planner.simulation.shock import Shock


@dataclass(frozen=True)
class Breach:
    """A requirement (or invariant) broken at a time, in words."""

    at: datetime
    message: str


@dataclass(frozen=True)
class Refusal:
    """A step the domain refused under the shock (it was skipped)."""

    step: Step
    message: str


@dataclass
class CampStats:
    """A camp across one run: its final and worst status and its lowest days of cover."""

    final_status: str | None = None
    worst_status: str | None = None
    min_cover: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """What one perturbed run did and which requirements it broke."""

    shock: Shock
    broken: dict[int, Breach] = field(default_factory=dict)  # requirement number -> breach
    invariants: list[Breach] = field(default_factory=list)
    timeline: list[tuple[Step, str | None]] = field(default_factory=list)  # step, refusal
    skipped: list[str] = field(default_factory=list)
    camps: dict[str, CampStats] = field(default_factory=dict)
    probes: dict[tuple[datetime, str, str], dict[str, Any] | None] = field(default_factory=dict)
    events: int = 0
    end: datetime | None = None
    stored: list[tuple[UUID | str, int, str, bytes]] | None = None

    @property
    def applied(self) -> list[Step]:
        """The steps that applied, in order (pseudo-steps as the commands they resolved to)."""
        return [step for step, refusal in self.timeline if refusal is None]

    @property
    def refusals(self) -> list[Refusal]:
        """The steps the domain refused under the shock, in order."""
        return [Refusal(step, refusal) for step, refusal in self.timeline if refusal is not None]

    def breach(self, number: int) -> Breach | None:
        """The breach of requirement `number` (0: the domain invariants), or None."""
        if number == 0:
            return self.invariants[0] if self.invariants else None
        return self.broken.get(number)


def step_label(step: Step) -> str:
    """'step 12 (dispatch_supplies)', or 'shock withdraw_partner' for a step a shock added."""
    if step.number:
        return f"step {step.number} ({step.command})"
    return f"shock {step.command}"
