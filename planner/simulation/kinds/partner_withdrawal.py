"""Partner withdrawals: up to `max_partners` partners withdraw, each at a time of its own.

The kind is written for any entity a step creates and a step withdraws (offers reuse it).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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

WITHDRAWAL_REASON: Final = "withdrew (simulated shock)"
WithdrawalUnits = tuple[tuple[int, int], ...]  # (entity index, steps back from the horizon)


@dataclass(frozen=True)
class PartnerWithdrawal:
    """Up to `max_partners` partners withdraw, each at a time of its own."""

    max_partners: int
    resolution: timedelta = DAY
    partners: tuple[str, ...] | None = None


@dataclass(frozen=True, order=True)
class Withdrawal:
    """At `at`, `partner` withdraws."""

    at: datetime
    partner: str


@dataclass(frozen=True)
class WithdrawalSpace:
    """The entities that may withdraw (with their creation times) and the grids."""

    horizon: datetime
    partners: tuple[tuple[str, datetime], ...] = ()
    max: int = 0
    resolution: timedelta = DAY
    back: int = 0


class PartnerWithdrawalKind(ShockKind):
    """partner_withdrawal: up to `max_partners` withdraw_partner steps per run."""

    name = "partner_withdrawal"
    keys = ("max_partners", "resolution", "partners")
    field = "withdrawals"
    empty_reason = "no partner to withdraw (of the partners named)"
    adds = ("withdraw_partner",)
    added_note = "shock: partner withdrawal"
    entity = "partner"  # the slug kind (and argument) of what withdraws
    creates = "register_partner"  # the command that creates it
    count_key = "max_partners"

    def part(self, at: datetime, slug: str) -> Any:
        """The withdrawal of `slug` at `at`."""
        return Withdrawal(at, slug)

    def slug(self, part: Any) -> str:
        """Who withdraws in a part."""
        return str(getattr(part, self.entity))

    def read(
        self, body: Mapping[object, object], reader: SpecReader, line: int | None
    ) -> PartnerWithdrawal:
        """max_partners, resolution, partners."""
        what = f"simulate.shocks.{self.name}"
        count = reader.parsed(body, self.count_key, what, line, reader.events)
        resolution = reader.optional(body, "resolution", what, line, reader.duration) or DAY
        partners = reader.optional_slugs(body, self.entity, what, line)
        return PartnerWithdrawal(count, resolution, partners)

    def summary(self, params: PartnerWithdrawal, space: WithdrawalSpace) -> str:
        """'partner withdrawal of up to 1 of jpf, pwj'."""
        names = ", ".join(p for p, _ in space.partners)
        return f"{self.entity} withdrawal of up to {space.max} of {names}"

    # -- the space -----------------------------------------------------------------------------

    def space(
        self, scenario: Scenario, params: PartnerWithdrawal | None, horizon: Horizon
    ) -> WithdrawalSpace:
        """The partners registered (of those named)."""
        if params is None:
            return WithdrawalSpace(horizon.end)
        partners = tuple(
            (s.args[self.entity], s.at)
            for s in scenario.steps
            if s.command == self.creates
            and (params.partners is None or s.args[self.entity] in params.partners)
        )
        earliest = min((at for _, at in partners), default=horizon.end)
        return WithdrawalSpace(
            horizon=horizon.end,
            partners=partners,
            max=min(params.max_partners, len(partners)),
            resolution=params.resolution,
            back=(horizon.end - earliest) // params.resolution,
        )

    def is_empty(self, space: WithdrawalSpace) -> bool:
        """True if no partner may withdraw."""
        return not space.partners

    def parts(self, space: WithdrawalSpace, units: WithdrawalUnits) -> tuple[Withdrawal, ...]:
        """The withdrawals, each no earlier than the partner's registration, in time order."""
        withdrawals = []
        for p, back in units:
            partner, registered = space.partners[p]
            at = max(registered, space.horizon - back * space.resolution)
            withdrawals.append(self.part(at, partner))
        return tuple(sorted(withdrawals))

    def sample(self, space: WithdrawalSpace, rng: random.Random) -> WithdrawalUnits:
        """0 .. max different partners, each at a uniform time."""
        if not space.partners:
            return ()
        chosen = rng.sample(range(len(space.partners)), rng.randint(0, space.max))
        return tuple((p, rng.randint(0, space.back)) for p in chosen)

    def strategy(self, space: WithdrawalSpace) -> SearchStrategy[object]:
        """Lists of different partners, shrinking to fewer and later (towards the horizon)."""
        from hypothesis import strategies as st

        if not space.partners:
            return st.just(())
        return st.lists(
            st.tuples(st.integers(0, len(space.partners) - 1), st.integers(0, space.back)),
            max_size=space.max,
            unique_by=lambda pair: pair[0],
        ).map(tuple)

    def simpler(
        self, space: WithdrawalSpace, units: WithdrawalUnits, phase: int
    ) -> Iterator[object]:
        """Drop a withdrawal; then a later time."""
        return simpler_events(units, phase, (None, 0))

    def size(self, space: WithdrawalSpace, units: WithdrawalUnits) -> int:
        """Each withdrawal counts 2."""
        return 2 * len(units)

    # -- the steps -----------------------------------------------------------------------------

    def added_steps(self, parts: Sequence[Withdrawal]) -> list[Step]:
        """A withdraw_partner step per withdrawal."""
        return [
            Step(0, 0, w.at, self.adds[0], {self.entity: self.slug(w), "reason": WITHDRAWAL_REASON})
            for w in sorted(parts)
        ]

    # -- words ---------------------------------------------------------------------------------

    def part_dict(self, part: Withdrawal, start: datetime) -> dict[str, object]:
        """{at, partner}."""
        return {"at": offset_text(part.at - start), self.entity: self.slug(part)}

    def phrases(
        self, scenario: Scenario, parts: Sequence[Withdrawal], result: RunResult
    ) -> list[str]:
        """'the withdrawal of partner pwj at +42d'."""
        start = scenario.start
        return [
            f"the withdrawal of {self.entity} {self.slug(w)} at {offset_text(w.at - start)}"
            for w in parts
        ]

    def features(
        self, space: WithdrawalSpace, scenario: Scenario, parts: Sequence[Withdrawal]
    ) -> Features:
        """How many withdrew; whether each partner did."""
        if not space.partners:
            return {}, {}
        gone = {self.slug(w) for w in parts}
        fine = {self.fine_label(slug): float(slug in gone) for slug, _ in space.partners}
        return {f"{self.entity} withdrawals (count)": float(len(parts))}, fine

    def fine_label(self, slug: str) -> str:
        """The correlation label of one entity's withdrawal."""
        return f"withdrawal of {slug}"


KIND: Final = PartnerWithdrawalKind()
