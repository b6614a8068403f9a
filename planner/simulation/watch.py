"""What a run watches as it goes: requirements over their windows, probes, camp statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from planner.simulation.breaches import requirement_breach
from planner.simulation.requirements import Requirement
from planner.simulation.results import Breach, CampStats
from planner.simulation.times import when_text
from projections.logistics import time_us
from projections.readiness import plan_view
from projections.shapes import ViewDoc

if TYPE_CHECKING:
    from planner.simulation.engine import RunContext

_STATUS_RANK: Final = {"ready": 0, "at_risk": 1, "not_ready": 2, "closed": -1}


class Watch:
    """Evaluates one run's requirements, probes and statistics on its fold, view by view."""

    def __init__(
        self, run: RunContext, stats: bool, probes: Sequence[tuple[datetime, str, str]]
    ) -> None:
        self.run = run
        self.result = run.result
        self.stats = stats
        self.views: dict[tuple[str, str], ViewDoc | None] = {}
        self.pending = list(run.sim.windowed)  # windows not yet started
        self.active: list[Requirement] = []
        self.probes = sorted(probes)

    def forget(self) -> None:
        """Drop the views computed so far (the fold moved on)."""
        self.views.clear()

    def view(self, kind: str, slug: str) -> ViewDoc | None:
        """The view of an entity on the fold now (None if it does not exist yet)."""
        key = (kind, slug)
        if key in self.views:
            return self.views[key]
        fold = self.run.fold
        entity_id = self.run.entity_id(kind, slug)
        doc: ViewDoc | None
        if kind == "camp":
            doc = fold.view("camp", entity_id) if entity_id in fold.camps else None
        elif kind == "plan":
            doc = None
            if entity_id in fold.plans:
                for camp_id in fold.plans[entity_id]["camps"]:
                    fold.view("camp", camp_id)  # plan views count fresh camp statuses
                doc = dict(plan_view(fold, entity_id))
        else:
            doc = fold.view(kind, entity_id) if entity_id in fold.stockpiles else None
        self.views[key] = doc
        return doc

    def view_at(self, kind: str, slug: str, moment: datetime) -> ViewDoc | None:
        """The view of an entity as of `moment` (offers and shipments apply expiry and
        overdue as of then; the other views do not depend on the time)."""
        if kind not in ("shipment", "offer"):
            return self.view(kind, slug)
        fold = self.run.fold
        entity_id = self.run.entity_id(kind, slug)
        if entity_id not in fold.table_of(kind):
            return None
        return fold.view(kind, entity_id, time_us(moment))

    def before(self, moment: datetime) -> None:
        """Evaluate what is due strictly before `moment` on the state as of then."""
        while self.probes and self.probes[0][0] < moment:
            self.capture(self.probes.pop(0))
        while self.pending and self.pending[0].after is not None and self.pending[0].after < moment:
            requirement = self.pending.pop(0)
            assert requirement.after is not None
            self.check(requirement, requirement.after)
            self.active.append(requirement)

    def at_moment(self, moment: datetime) -> None:
        """Evaluate the requirements whose window covers `moment`, after its steps."""
        pending = self.pending
        while pending and pending[0].after is not None and pending[0].after <= moment:
            self.active.append(pending.pop(0))
        still = []
        for requirement in self.active:
            if requirement.until is not None and moment > requirement.until:
                continue
            if self.check(requirement, moment):
                still.append(requirement)
        self.active = still
        while self.probes and self.probes[0][0] <= moment:
            self.capture(self.probes.pop(0))
        if self.stats:
            self.collect()

    def finish(self, end: datetime) -> None:
        """Evaluate what is left at the end of the run."""
        self.result.end = end
        for requirement in self.pending:
            assert requirement.after is not None
            self.check(requirement, requirement.after)
        for requirement in self.run.sim.at_end:
            self.check(requirement, end)
        for probe in self.probes:
            self.capture(probe)
        if self.stats:
            for slug, _ in self.run.sim.camps:
                doc = self.view("camp", slug)
                stats = self.result.camps.setdefault(slug, CampStats())
                stats.final_status = None if doc is None else doc["status"]

    def capture(self, probe: tuple[datetime, str, str]) -> None:
        """Keep a copy of a probed view."""
        moment, kind, slug = probe
        doc = self.view_at(kind, slug, moment)
        self.result.probes[probe] = None if doc is None else dict(doc)

    def check(self, requirement: Requirement, moment: datetime) -> bool:
        """Check one requirement now; record a breach. True if it still needs watching."""
        if requirement.number in self.result.broken:
            return False
        message = requirement_breach(requirement, self.view(requirement.subject, requirement.slug))
        if message is None:
            return True
        self.result.broken[requirement.number] = Breach(
            moment, f"{message} at {when_text(moment, self.run.start)}"
        )
        return False

    def collect(self) -> None:
        """Update each populated camp's worst status and lowest days of cover."""
        for slug, _ in self.run.sim.camps:
            doc = self.view("camp", slug)
            if doc is None or doc["population"] == 0 or doc["status"] == "closed":
                continue
            stats = self.result.camps.setdefault(slug, CampStats())
            status = doc["status"]
            if (
                stats.worst_status is None
                or _STATUS_RANK[status] > _STATUS_RANK[stats.worst_status]
            ):
                stats.worst_status = status
            for item, days in doc["days_of_cover"].items():
                if days is not None and (
                    item not in stats.min_cover or days < stats.min_cover[item]
                ):
                    stats.min_cover[item] = days
