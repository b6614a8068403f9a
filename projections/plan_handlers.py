"""Fold handlers for partners and plans (a ReadinessFold mixin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from projections.fold_state import EventFields, FoldState
from projections.ids import canonical_id
from projections.readiness_views import derive_plan_state

if TYPE_CHECKING:
    from projections.readiness import Moment

MoneyBucket = Literal["pledged", "received", "disbursed"]


class PlanHandlers(FoldState):
    """Partners registered and withdrawn; plans drafted, joined, funded and moved on."""

    def _on_Partner__Registered(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.coverage.clear()
        self.partners_changed.add(oid)
        self.partners[oid] = {
            "slug": f["slug"],
            "name": f["name"],
            "kind": f["kind"],
            "withdrawn": False,
        }

    def _on_Partner__Withdrew(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.partners[oid]["withdrawn"] = True
        self.coverage.clear()
        self.partners_changed.add(oid)
        for camp_id, camp in self.camps.items():
            co_leads = camp.get("co_leads", {}).values()
            if oid in camp["leads"].values() or any(oid in c for c in co_leads):
                self.touched_camps.add(camp_id)
                self.touched.add(("3w", camp_id))
        for plan_id, plan in self.plans.items():
            if oid in plan["members"]:
                self.touched.add(("plan", plan_id))

    def _on_ResponsePlan__Drafted(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.plans[oid] = {
            "slug": f["slug"],
            "title": f["title"],
            "crisis": f["crisis"],
            "region": f["region"],
            "planning_figure": f["planning_figure"],
            "required_sectors": list(f["required_sectors"]),
            "ready_days": f["ready_days"],
            "standards_profile": f["standards_profile"],
            "standards_overrides": dict(f["standards_overrides"]),
            "status": "drafted",
            "members": {},
            "pledged": {},
            "received": {},
            "disbursed": {},
            "stockpiles": [],
            "camps": [],
        }
        derive_plan_state(self.plans[oid])
        self.lifecycle_changed.add(oid)
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__PartnerJoined(self, oid: str, ts: Moment, f: EventFields) -> None:
        member = self.plans[oid]["members"].setdefault(canonical_id(f["partner_id"]), [])
        member.append(f["role"])
        self._plan_and_3w(oid)

    def _on_ResponsePlan__PartnerLeft(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.plans[oid]["members"].pop(canonical_id(f["partner_id"]), None)
        self._plan_and_3w(oid)

    def _plan_and_3w(self, plan_id: str) -> None:
        self.touched.add(("plan", plan_id))
        self.touched.update(("3w", camp_id) for camp_id in self.plans[plan_id]["camps"])

    def _money(self, oid: str, bucket: MoneyBucket, currency: str, amount: int) -> None:
        totals = self.plans[oid][bucket]
        totals[currency] = totals.get(currency, 0) + amount
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__FundsPledged(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._money(oid, "pledged", f["currency"], f["amount"])

    def _on_ResponsePlan__FundsReceived(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._money(oid, "received", f["currency"], f["amount"])

    def _on_ResponsePlan__FundsDisbursed(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._money(oid, "disbursed", f["currency"], f["amount"])

    def _on_ResponsePlan__PoolSplit(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._money(oid, "disbursed", f["currency"], f["share"] * len(f["recipients"]))

    def _on_ResponsePlan__StockpileCommitted(self, oid: str, ts: Moment, f: EventFields) -> None:
        stockpile_id = canonical_id(f["stockpile_id"])
        self.plans[oid]["stockpiles"].append(stockpile_id)
        self.stockpiles[stockpile_id]["plans"].append(oid)
        self._stockpile_keys.pop(stockpile_id, None)
        self.touched |= {("plan", oid), ("stockpile", stockpile_id)}

    def _on_ResponsePlan__StockpileWithdrawn(self, oid: str, ts: Moment, f: EventFields) -> None:
        stockpile_id = canonical_id(f["stockpile_id"])
        self.plans[oid]["stockpiles"].remove(stockpile_id)
        self.stockpiles[stockpile_id]["plans"].remove(oid)
        self._stockpile_keys.pop(stockpile_id, None)
        self.touched |= {("plan", oid), ("stockpile", stockpile_id)}

    def _status(self, oid: str, status: str) -> None:
        self.plans[oid]["status"] = status
        self.lifecycle_changed.add(oid)
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__Activated(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._status(oid, "activated")

    def _on_ResponsePlan__StoodDown(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._status(oid, "standing_down")

    def _on_ResponsePlan__Closed(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._status(oid, "closed")
