"""Area views kept up as events arrive, so that reading one is reading one row.

The projector hands every camp view a batch changed to `AreaRollup.update`, which takes the
camp's old share out of its areas' totals and puts the new one in (`projections.areas`). A camp's
view changes only with events (its status has no time-dependent part: days of cover count stock,
not elapsed time), so the camps a batch touches are all the roll-up needs. An area row carries
the position and time of the last moment that touched one of its camps, so that views kept up
batch by batch and views rebuilt at once store the same rows.

A projector resumed from saved state starts with no roll-up: the first batch that touches a camp
sums every camp's share once (`AreaRollup.of`), read from the fold's state (`share_in_fold`,
without building each camp's whole view, which costs several times more); the property test
holds the two ways to a camp's share to the same areas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import projections.rules as rules
from domain.catalog import VULNERABLE_GROUPS
from projections.areas import AreaKey, AreaTotals, CampShare, camp_share
from projections.logistics import camp_needs

if TYPE_CHECKING:
    from projections.readiness import ReadinessFold


@dataclass(frozen=True)
class AreaRow:
    """The current view of one area, last touched by the moment at `position` (`ts_us`)."""

    level: str
    code: str
    adm1: str | None
    position: int
    ts_us: int
    doc: bytes


class AreaRollup:
    """Every area's totals, with each camp's share as last counted."""

    def __init__(self) -> None:
        self.totals: dict[AreaKey, AreaTotals] = {}
        self.shares: dict[str, CampShare] = {}
        self._touched: dict[AreaKey, tuple[int, int]] = {}  # area → (position, µs) this batch

    @classmethod
    def of(cls, fold: ReadinessFold, leave_out: Iterable[str] = ()) -> AreaRollup:
        """A roll-up of every camp of a fold (but those left out)."""
        rollup = cls()
        skipped = set(leave_out)
        for camp_id in fold.camps:
            if camp_id not in skipped:
                rollup._count(share_in_fold(fold, camp_id))
        return rollup

    def _count(self, share: CampShare, sign: int = 1) -> None:
        for key in share.areas():
            totals = self.totals.get(key)
            if totals is None:
                totals = self.totals[key] = AreaTotals()
            totals.add(share, sign)
            if sign < 0 and not totals.members:
                del self.totals[key]
        if sign > 0:
            self.shares[share.camp_id] = share
        else:
            self.shares.pop(share.camp_id, None)

    def update(self, doc: Mapping[str, object], position: int, ts_us: int) -> None:
        """Count a camp's new view, touched by the moment at `position`."""
        share = camp_share(doc)
        old = self.shares.get(share.camp_id)
        if old != share:
            if old is not None:
                self._count(old, -1)
            self._count(share)
        for key in {*share.areas(), *(() if old is None else old.areas())}:
            mark = self._touched.get(key)
            if mark is None or mark[0] < position:
                self._touched[key] = (position, ts_us)

    def take_rows(self, encode: Callable[[object], bytes]) -> tuple[list[AreaRow], list[AreaKey]]:
        """The rows of the areas touched since last asked, and the areas no camp carries any
        more (to delete)."""
        rows: list[AreaRow] = []
        gone: list[AreaKey] = []
        for key, (position, ts_us) in sorted(self._touched.items()):
            totals = self.totals.get(key)
            if totals is None:
                gone.append(key)
                continue
            view = totals.view(*key)
            rows.append(AreaRow(key[0], key[1], view["adm1"], position, ts_us, encode(view)))
        self._touched.clear()
        return rows, gone


def share_in_fold(fold: ReadinessFold, camp_id: str) -> CampShare:
    """A camp's share of its areas' views, from the fold's state (as `camp_share` takes it from
    the camp's view)."""
    camp = fold.camps[camp_id]
    plan = fold.plans[camp["plan_id"]]
    site = camp.get("site")
    population = camp["population"]
    return CampShare(
        camp_id=camp_id,
        slug=camp["slug"],
        plan=plan["slug"],
        adm1=(site["adm1"] or None) if site else None,
        adm2=(site["adm2"] or None) if site else None,
        status=fold.status_of(camp_id),
        people=(population["people"], *(population[group] for group in VULNERABLE_GROUPS)),
        uncovered=tuple(
            rules.uncovered_sectors(plan["required_sectors"], camp["leads"], fold.lead_counts)
        ),
        needs=tuple(
            (key, parts["shortfall"], parts["committed"], parts["uncommitted"])
            for key, parts in sorted(camp_needs(camp, plan).items())
        ),
    )
