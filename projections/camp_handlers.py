"""Fold handlers for stockpiles and camps (a ReadinessFold mixin)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from domain.catalog import (
    FACILITIES,
    VULNERABLE_GROUPS,
)
from projections.fold_state import EventFields, FoldState
from projections.ids import canonical_id

if TYPE_CHECKING:
    from projections.logistics import Commitment
    from projections.readiness import Moment


class CampHandlers(FoldState):
    """Stock received, reserved and sent; camps set up, led, peopled, supplied and closed."""

    if TYPE_CHECKING:

        def _commit_to_camp(
            self, camp_id: str, bucket: Commitment, item: str, delta: int
        ) -> None: ...

    def _on_Stockpile__Opened(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.stockpiles[oid] = {
            "slug": f["slug"],
            "partner_id": canonical_id(f["partner_id"]),
            "location": f["location"],
            "on_hand": {},
            "reserved": {},
            "reservations": {},
            "plans": [],
        }
        self.touched.add(("stockpile", oid))

    def _stock(self, oid: str, item: str, on_hand: int = 0, reserved: int = 0) -> None:
        depot = self.stockpiles[oid]
        depot["on_hand"][item] = depot["on_hand"].get(item, 0) + on_hand
        depot["reserved"][item] = depot["reserved"].get(item, 0) + reserved
        self.touched_stockpiles.add(oid)

    def _reservation(self, oid: str, f: EventFields, delta: int) -> None:
        """Change what a stockpile holds for a camp; nothing reserved leaves no entry."""
        if not delta:
            return  # a dispatch from free stock
        reservations = self.stockpiles[oid]["reservations"]
        camp_id, item = canonical_id(f["camp_id"]), f["item"]
        self._commit_to_camp(camp_id, "reserved_for", item, delta)
        by_camp = reservations.setdefault(camp_id, {})
        quantity = by_camp.get(item, 0) + delta
        if quantity:
            by_camp[item] = quantity
            return
        by_camp.pop(item, None)
        if not by_camp:
            del reservations[camp_id]

    def _on_Stockpile__SuppliesReceived(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._stock(oid, f["item"], on_hand=f["quantity"])

    def _on_Stockpile__SuppliesReserved(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._reservation(oid, f, f["quantity"])
        self._stock(oid, f["item"], reserved=f["quantity"])

    def _on_Stockpile__ReservationReleased(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._reservation(oid, f, -f["quantity"])
        self._stock(oid, f["item"], reserved=-f["quantity"])

    def _on_Stockpile__SuppliesDispatched(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._reservation(oid, f, -f["from_reservation"])
        self._stock(oid, f["item"], on_hand=-f["quantity"], reserved=-f["from_reservation"])

    def _on_Stockpile__SuppliesShipped(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._on_Stockpile__SuppliesDispatched(oid, ts, f)

    def _on_Stockpile__ShipmentReturned(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._stock(oid, f["item"], on_hand=f["quantity"])

    def _on_Stockpile__SuppliesWrittenOff(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._stock(oid, f["item"], on_hand=-f["quantity"])

    def _on_Camp__Established(self, oid: str, ts: Moment, f: EventFields) -> None:
        plan_id = canonical_id(f["plan_id"])
        self.camps[oid] = {
            "slug": f["slug"],
            "plan_id": plan_id,
            "location": f["location"],
            "site_area_m2": f["site_area_m2"],
            "shelter_capacity": f["shelter_capacity"],
            "closed": False,
            "leads": {},
            "co_leads": {},
            "lead_since": {},
            "population": dict.fromkeys(("people", *VULNERABLE_GROUPS), 0),
            "stock": {},
            "delivered": {},
            "facilities": dict.fromkeys(FACILITIES, 0),
        }
        self.plans[plan_id]["camps"].append(oid)
        self.touched_camps.add(oid)
        self.touched.add(("3w", oid))

    def _on_Camp__SiteDescribed(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.camps[oid]["site"] = {
            "name": f["name"],
            "kind": f["kind"],
            "adm1": f["adm1"],
            "adm2": f["adm2"],
            "lat": f["lat"],
            "lon": f["lon"],
        }
        self.touched_camps.add(oid)
        self.touched.add(("3w", oid))

    def _lead(
        self,
        oid: str,
        ts: datetime | str,
        sector: str,
        partner_id: str | None,
        co_leads: Sequence[object] = (),
    ) -> None:
        camp = self.camps[oid]
        self.coverage.pop(oid, None)
        if partner_id is None:
            camp["leads"].pop(sector, None)
            camp["lead_since"].pop(sector, None)
            camp.setdefault("co_leads", {}).pop(sector, None)
        else:
            camp["leads"][sector] = partner_id
            camp["lead_since"][sector] = ts if isinstance(ts, str) else ts.isoformat()
            camp.setdefault("co_leads", {})[sector] = [canonical_id(c) for c in co_leads]
        self.touched_camps.add(oid)
        self.touched.add(("3w", oid))  # the 3W rows change only with who leads what

    def _on_Camp__SectorAssigned(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._lead(oid, ts, f["sector"], canonical_id(f["partner_id"]), f.get("co_lead_ids", ()))

    def _on_Camp__SectorReassigned(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._lead(oid, ts, f["sector"], canonical_id(f["partner_id"]), f.get("co_lead_ids", ()))

    def _on_Camp__SectorReleased(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._lead(oid, ts, f["sector"], None)

    def _people(self, oid: str, f: EventFields, sign: int) -> None:
        population = self.camps[oid]["population"]
        for group in population:
            count = f.get(group)
            if count:
                population[group] += sign * count
        self.touched_camps.add(oid)

    def _on_Camp__ArrivalsRegistered(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._people(oid, f, +1)

    def _on_Camp__DeparturesRegistered(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._people(oid, f, -1)

    def _on_Camp__SuppliesDelivered(self, oid: str, ts: Moment, f: EventFields) -> None:
        camp = self.camps[oid]
        item, quantity = f["item"], f["quantity"]
        camp["stock"][item] = camp["stock"].get(item, 0) + quantity
        camp["delivered"][item] = camp["delivered"].get(item, 0) + quantity
        self.touched_camps.add(oid)

    def _on_Camp__SuppliesDistributed(self, oid: str, ts: Moment, f: EventFields) -> None:
        stock = self.camps[oid]["stock"]
        stock[f["item"]] = stock.get(f["item"], 0) - f["quantity"]
        self.touched_camps.add(oid)

    def _on_Camp__FacilitiesBuilt(self, oid: str, ts: Moment, f: EventFields) -> None:
        facilities = self.camps[oid]["facilities"]
        facilities[f["facility"]] = facilities.get(f["facility"], 0) + f["count"]
        self.touched_camps.add(oid)

    def _on_Camp__Closed(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.camps[oid]["closed"] = True
        self.touched_camps.add(oid)
