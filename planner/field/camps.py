"""Which of headquarters' events a field instance of some camps receives.

The named camps, their plans, the plans' members and committed stockpiles (with the partners
holding them), the camps' sector leads, shipments to the camps, offers to the plans, and every
field-command record (so conflicts show everywhere). Membership is judged on headquarters'
current state, aggregate by aggregate. Each page names the scope by a digest of its entities:
when one enters or leaves (a stockpile committed after the field's init), the digest changes and
the field pulls its events again from the start (planner/field/sync.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.errors import NotFoundError

_ALWAYS = ("domain.field_command:",)


class CampScope:
    """The aggregates headquarters sends to a field instance of `camps`."""

    def __init__(self, service: Any, camps: Sequence[str]) -> None:
        self.service = service
        self.camp_ids: set[UUID] = set()
        self.plan_ids: set[UUID] = set()
        self.ids: set[UUID] = set()
        for slug in camps:
            self._add_camp(slug)
        self._judged: dict[UUID, bool] = {}

    def _add_camp(self, slug: str) -> None:
        service = self.service
        camp_id = service.id_of("camp", slug)
        try:
            camp = service.repository.get(camp_id)
        except Exception:
            raise NotFoundError("camp", slug) from None
        self.camp_ids.add(camp_id)
        self.plan_ids.add(camp.plan_id)
        self.ids |= {camp_id, camp.plan_id, *camp.leads.values()}
        for co_leads in camp.co_leads.values():
            self.ids |= set(co_leads)
        plan = service.repository.get(camp.plan_id)
        self.ids |= set(plan.members)
        for stockpile_id in plan.stockpiles:
            self.ids.add(stockpile_id)
            self.ids.add(service.repository.get(stockpile_id).partner_id)

    def digest(self) -> str:
        """A short name of the scope's entities: it changes when one enters or leaves."""
        joined = ",".join(sorted(str(i) for i in self.ids))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    def includes(self, originator_id: Any, topic: str, state: bytes) -> bool:
        """True if the event of this aggregate belongs to the field's camps."""
        if topic.startswith(_ALWAYS):
            return True
        oid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        if oid in self.ids:
            return True
        judged = self._judged.get(oid)
        if judged is None:
            judged = self._judged[oid] = self._related(oid, topic)
        return judged

    def _related(self, oid: UUID, topic: str) -> bool:
        if not (topic.startswith("domain.shipment:") or topic.startswith("domain.offer:")):
            return False
        aggregate = self.service.repository.get(oid)
        if getattr(aggregate, "camp_id", None) in self.camp_ids:
            return True
        return getattr(aggregate, "plan_id", None) in self.plan_ids
