"""Readiness rules as a pure fold over domain events.

`ReadinessFold.apply()` takes one event (its class name, originator id, timestamp and fields)
and returns which views it touched; `view()` computes a view document from the folded state,
exactly as the contract's "Readiness rules" say. No I/O here: the same fold serves the
materialised views, time travel, rebuilds and the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any
from uuid import UUID

import projections.rules as rules
import projections.shapes as shapes
from domain.catalog import (
    CONSUMABLES,
    FACILITIES,
    PARTNER_KINDS,
    PER_PERSON_ITEMS,
    PROTECTION_SECTOR,
    TRIPARTITE_KINDS,
    VULNERABLE_GROUPS,
    standards_for,
)
from domain.site import DEFAULT_SITE_KIND
from projections.logistics import (
    LogisticsHandlers,
    camp_needs,
    in_transit,
    offer_view,
    shipment_view,
    summed_needs,
)

ViewKey = tuple[str, str]  # (view kind, entity id)
Moment = datetime | str  # an event's time: a datetime (live events) or its ISO form (decoded)
CAMP_STATUSES = ("ready", "at_risk", "not_ready", "closed")
VIEW_KINDS = ("camp", "plan", "stockpile", "3w", "shipment", "offer")
SITE_FIELDS = ("name", "kind", "adm1", "adm2", "lat", "lon")


_CANONICAL_IDS: dict[str, str] = {}


def canonical_id(value: Any) -> str:
    """An id field as the fold keys entities: the UUID's canonical string.

    Fields come as UUIDs (domain events), strings, or the library's stored marker
    (`{"_type_": "uuid_hex", "_data_": hex}`, events decoded by `projections.events`, which
    leaves ids to be converted here, where they are used).
    """
    if type(value) is str:
        return value
    if type(value) is dict:
        hex_id: str = value["_data_"]
        canonical = _CANONICAL_IDS.get(hex_id)
        if canonical is None:
            if len(_CANONICAL_IDS) > 100_000:
                _CANONICAL_IDS.clear()
            canonical = _CANONICAL_IDS[hex_id] = str(UUID(hex_id))
        return canonical
    return str(value)


def _round(value: Fraction | float) -> float:
    return round(float(value), 4)


# Domain events that change no view, by name ("Aggregate.Event"): the fold has no handler for
# them on purpose. Every other domain event needs a `_on_<Aggregate>__<Event>` handler
# (tests/unit/test_fold_handlers.py walks every event class of `domain/`).
EVENTS_CHANGING_NO_VIEW: frozenset[str] = frozenset()


class ReadinessFold(LogisticsHandlers):
    """The state the readiness views need, folded from events in notification order."""

    def __init__(self) -> None:
        self.partners: dict[str, shapes.PartnerState] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.stockpiles: dict[str, dict[str, Any]] = {}
        self.camps: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}
        self.offers: dict[str, dict[str, Any]] = {}
        self.camp_status: dict[str, str] = {}
        self.coverage: dict[str, bool] = {}  # camp → every required sector has a counting lead
        self._camp_keys: dict[str, tuple[ViewKey, ViewKey]] = {}  # camp → its and its plan's
        self._stockpile_keys: dict[str, tuple[ViewKey, ...]] = {}  # → its and its plans'
        self.partners_changed: set[str] = set()  # partners whose state changed (they have no view)
        self.lifecycle_changed: set[str] = set()  # plans drafted or moved on since last cleared
        # What the events folded since the last `take_touched()` touched: camps and stockpiles
        # by id (with their plans' views, and for camps their status; the hot path), other
        # views by key.
        self.touched_camps: set[str] = set()
        self.touched_stockpiles: set[str] = set()
        self.touched: set[ViewKey] = set()
        self.handlers: dict[str, Callable[[str, Moment, Mapping[str, Any]], None]] = {
            name[len("_on_") :].replace("__", "."): getattr(self, name)
            for name in dir(self)
            if name.startswith("_on_")
        }

    # -- applying events -----------------------------------------------------------------------

    def apply(
        self, event_name: str, oid: str, ts: datetime | str, fields: Mapping[str, Any]
    ) -> set[ViewKey]:
        """Fold one event (e.g. "Camp.ArrivalsRegistered"); return the views it touched.

        `ts` is the event's time (a datetime, or its ISO form); ids in `fields` may be UUIDs,
        their canonical strings or the library's stored markers. The projector calls
        `handlers` directly instead, letting the touched sets gather a whole moment's views.
        """
        self._forget_touched()
        self._fold(event_name, oid, ts, fields)
        return self.take_touched()

    def fold_event(
        self, event_name: str, oid: str, ts: datetime | str, fields: Mapping[str, Any]
    ) -> None:
        """Fold one event when the caller does not ask what it touched (cheaper than apply)."""
        self._fold(event_name, oid, ts, fields)
        self._forget_touched()

    def _fold(self, event_name: str, oid: str, ts: Moment, fields: Mapping[str, Any]) -> None:
        handler = self.handlers.get(event_name)
        if handler is not None:
            handler(oid, ts, fields)

    def take_touched(self) -> set[ViewKey]:
        """The views touched since last asked (camps' cached statuses dropped)."""
        touched = set(self.touched)
        for camp_id in self.touched_camps:
            touched.update(self.camp_keys(camp_id))
        for stockpile_id in self.touched_stockpiles:
            touched.update(self.stockpile_keys(stockpile_id))
        self._forget_touched()
        return touched

    def _forget_touched(self) -> None:
        """Start gathering afresh, dropping the touched camps' cached statuses."""
        for camp_id in self.touched_camps:
            self.camp_status.pop(camp_id, None)
        self.touched_camps.clear()
        self.touched_stockpiles.clear()
        self.touched.clear()
        self.lifecycle_changed.clear()

    def view_keys(self) -> list[ViewKey]:
        """Every view the folded state defines, in computing order (camps first: plan views
        count camps by status)."""
        keys: list[ViewKey] = [("camp", c) for c in self.camps]
        keys += [("3w", c) for c in self.camps]
        keys += [("stockpile", s) for s in self.stockpiles]
        keys += [("plan", p) for p in self.plans]
        keys += [("shipment", s) for s in self.shipments]
        keys += [("offer", o) for o in self.offers]
        return keys

    def camp_keys(self, camp_id: str) -> tuple[ViewKey, ViewKey]:
        """The views a change to a camp touches: its own and its plan's."""
        keys = self._camp_keys.get(camp_id)
        if keys is None:
            plan = ("plan", self.camps[camp_id]["plan_id"])
            keys = self._camp_keys[camp_id] = (("camp", camp_id), plan)
        return keys

    def stockpile_keys(self, stockpile_id: str) -> tuple[ViewKey, ...]:
        """The views a change to a stockpile touches: its own and its plans'."""
        keys = self._stockpile_keys.get(stockpile_id)
        if keys is None:
            plans = tuple(("plan", plan_id) for plan_id in self.stockpiles[stockpile_id]["plans"])
            keys = self._stockpile_keys[stockpile_id] = (("stockpile", stockpile_id), *plans)
        return keys

    def _on_Partner__Registered(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self.coverage.clear()
        self.partners_changed.add(oid)
        self.partners[oid] = {
            "slug": f["slug"],
            "name": f["name"],
            "kind": f["kind"],
            "withdrawn": False,
        }

    def _on_Partner__Withdrew(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
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

    def _on_ResponsePlan__Drafted(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
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
        _derive_plan_state(self.plans[oid])
        self.lifecycle_changed.add(oid)
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__PartnerJoined(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        member = self.plans[oid]["members"].setdefault(canonical_id(f["partner_id"]), [])
        member.append(f["role"])
        self._plan_and_3w(oid)

    def _on_ResponsePlan__PartnerLeft(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self.plans[oid]["members"].pop(canonical_id(f["partner_id"]), None)
        self._plan_and_3w(oid)

    def _plan_and_3w(self, plan_id: str) -> None:
        self.touched.add(("plan", plan_id))
        self.touched.update(("3w", camp_id) for camp_id in self.plans[plan_id]["camps"])

    def _money(self, oid: str, bucket: str, currency: str, amount: int) -> None:
        totals = self.plans[oid][bucket]
        totals[currency] = totals.get(currency, 0) + amount
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__FundsPledged(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._money(oid, "pledged", f["currency"], f["amount"])

    def _on_ResponsePlan__FundsReceived(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._money(oid, "received", f["currency"], f["amount"])

    def _on_ResponsePlan__FundsDisbursed(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._money(oid, "disbursed", f["currency"], f["amount"])

    def _on_ResponsePlan__PoolSplit(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._money(oid, "disbursed", f["currency"], f["share"] * len(f["recipients"]))

    def _on_ResponsePlan__StockpileCommitted(
        self, oid: str, ts: Moment, f: Mapping[str, Any]
    ) -> None:
        stockpile_id = canonical_id(f["stockpile_id"])
        self.plans[oid]["stockpiles"].append(stockpile_id)
        self.stockpiles[stockpile_id]["plans"].append(oid)
        self._stockpile_keys.pop(stockpile_id, None)
        self.touched |= {("plan", oid), ("stockpile", stockpile_id)}

    def _on_ResponsePlan__StockpileWithdrawn(
        self, oid: str, ts: Moment, f: Mapping[str, Any]
    ) -> None:
        stockpile_id = canonical_id(f["stockpile_id"])
        self.plans[oid]["stockpiles"].remove(stockpile_id)
        self.stockpiles[stockpile_id]["plans"].remove(oid)
        self._stockpile_keys.pop(stockpile_id, None)
        self.touched |= {("plan", oid), ("stockpile", stockpile_id)}

    def _status(self, oid: str, status: str) -> None:
        self.plans[oid]["status"] = status
        self.lifecycle_changed.add(oid)
        self.touched.add(("plan", oid))

    def _on_ResponsePlan__Activated(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._status(oid, "activated")

    def _on_ResponsePlan__StoodDown(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._status(oid, "standing_down")

    def _on_ResponsePlan__Closed(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._status(oid, "closed")

    def _on_Stockpile__Opened(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
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

    def _reservation(self, oid: str, f: Mapping[str, Any], delta: int) -> None:
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

    def _on_Stockpile__SuppliesReceived(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._stock(oid, f["item"], on_hand=f["quantity"])

    def _on_Stockpile__SuppliesReserved(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._reservation(oid, f, f["quantity"])
        self._stock(oid, f["item"], reserved=f["quantity"])

    def _on_Stockpile__ReservationReleased(
        self, oid: str, ts: Moment, f: Mapping[str, Any]
    ) -> None:
        self._reservation(oid, f, -f["quantity"])
        self._stock(oid, f["item"], reserved=-f["quantity"])

    def _on_Stockpile__SuppliesDispatched(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._reservation(oid, f, -f["from_reservation"])
        self._stock(oid, f["item"], on_hand=-f["quantity"], reserved=-f["from_reservation"])

    def _on_Stockpile__SuppliesShipped(self, oid: str, ts: Any, f: Mapping[str, Any]) -> None:
        self._on_Stockpile__SuppliesDispatched(oid, ts, f)

    def _on_Stockpile__ShipmentReturned(self, oid: str, ts: Any, f: Mapping[str, Any]) -> None:
        self._stock(oid, f["item"], on_hand=f["quantity"])

    def _on_Stockpile__SuppliesWrittenOff(self, oid: str, ts: Any, f: Mapping[str, Any]) -> None:
        self._stock(oid, f["item"], on_hand=-f["quantity"])

    def _on_Camp__Established(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
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

    def _on_Camp__SiteDescribed(self, oid: str, ts: Any, f: Mapping[str, Any]) -> None:
        self.camps[oid]["site"] = {key: f[key] for key in SITE_FIELDS}
        self.touched_camps.add(oid)
        self.touched.add(("3w", oid))

    def _lead(
        self,
        oid: str,
        ts: datetime | str,
        sector: str,
        partner_id: str | None,
        co_leads: Sequence[Any] = (),
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

    def _on_Camp__SectorAssigned(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._lead(oid, ts, f["sector"], canonical_id(f["partner_id"]), f.get("co_lead_ids", ()))

    def _on_Camp__SectorReassigned(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._lead(oid, ts, f["sector"], canonical_id(f["partner_id"]), f.get("co_lead_ids", ()))

    def _on_Camp__SectorReleased(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._lead(oid, ts, f["sector"], None)

    def _people(self, oid: str, f: Mapping[str, Any], sign: int) -> None:
        population = self.camps[oid]["population"]
        for group in population:
            count = f.get(group)
            if count:
                population[group] += sign * count
        self.touched_camps.add(oid)

    def _on_Camp__ArrivalsRegistered(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._people(oid, f, +1)

    def _on_Camp__DeparturesRegistered(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self._people(oid, f, -1)

    def _on_Camp__SuppliesDelivered(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        camp = self.camps[oid]
        item, quantity = f["item"], f["quantity"]
        camp["stock"][item] = camp["stock"].get(item, 0) + quantity
        camp["delivered"][item] = camp["delivered"].get(item, 0) + quantity
        self.touched_camps.add(oid)

    def _on_Camp__SuppliesDistributed(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        stock = self.camps[oid]["stock"]
        stock[f["item"]] = stock.get(f["item"], 0) - f["quantity"]
        self.touched_camps.add(oid)

    def _on_Camp__FacilitiesBuilt(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        facilities = self.camps[oid]["facilities"]
        facilities[f["facility"]] = facilities.get(f["facility"], 0) + f["count"]
        self.touched_camps.add(oid)

    def _on_Camp__Closed(self, oid: str, ts: Moment, f: Mapping[str, Any]) -> None:
        self.camps[oid]["closed"] = True
        self.touched_camps.add(oid)

    # -- views ---------------------------------------------------------------------------------

    def status_of(self, camp_id: str) -> str:
        """A camp's readiness status (cached until the camp or what it depends on changes)."""
        status = self.camp_status.get(camp_id)
        if status is None:
            status = self.camp_status[camp_id] = camp_status(self, camp_id)
        return status

    # -- state (checkpoints and resuming) ------------------------------------------------------

    def export_state(self, ledger: bool = True) -> dict[str, dict[str, dict[str, Any]]]:
        """The folded state as plain JSON-ready data, entities in id order (the same fold gives
        the same data, whether resumed or folded from scratch), derived fields left out;
        without shipments and offers unless `ledger` (checkpoints keep none: they would grow
        with every shipment and offer ever made)."""
        tables: list[tuple[str, Mapping[str, Any]]] = [
            ("partners", self.partners),
            ("plans", self.plans),
            ("stockpiles", self.stockpiles),
            ("camps", self.camps),
        ]
        if ledger:
            tables += [("shipments", self.shipments), ("offers", self.offers)]
        return {
            table: {
                entity_id: self.entity_state(table, entity_id) for entity_id in sorted(entities)
            }
            for table, entities in tables
        }

    def entity_state(self, table: str, entity_id: str) -> dict[str, Any]:
        """One entity's state as stored (a plan without its derived fields)."""
        state: dict[str, Any] = getattr(self, table)[entity_id]
        if table == "plans":
            return {k: v for k, v in state.items() if k not in DERIVED_PLAN_STATE}
        return state

    def load_entity(self, table: str, entity_id: str, state: dict[str, Any]) -> None:
        """Put one entity's exported state back (table: partners, plans, stockpiles, camps,
        shipments, offers)."""
        if table == "plans":
            _derive_plan_state(state)
        getattr(self, table)[entity_id] = state
        self.camp_status.clear()
        self.coverage.clear()
        self._camp_keys.clear()
        self._stockpile_keys.clear()

    @classmethod
    def from_state(cls, state: Mapping[str, Mapping[str, dict[str, Any]]]) -> ReadinessFold:
        """A fold holding an exported state."""
        fold = cls()
        for table, entities in state.items():
            for entity_id, entity in entities.items():
                fold.load_entity(table, entity_id, entity)
        return fold

    def view(self, kind: str, entity_id: str, at_us: int | None = None) -> dict[str, Any]:
        """Compute the current view document of one entity; offers and shipments as of
        `at_us` (µs since the epoch; default: the time of their last event)."""
        if kind == "camp":
            doc = camp_view(self, entity_id)
            self.camp_status[entity_id] = doc["status"]
            return doc
        if kind == "plan":
            return plan_view(self, entity_id)
        if kind == "stockpile":
            return stockpile_view(self, entity_id)
        if kind == "3w":
            return who_does_what_view(self, entity_id)
        if kind == "shipment":
            return shipment_view(self, entity_id, at_us)
        if kind == "offer":
            return offer_view(self, entity_id, at_us)
        raise KeyError(f"unknown view kind {kind!r}")

    def slug_of(self, kind: str, entity_id: str) -> str:
        """The slug of an entity, for views and lists."""
        table = self.table_of(kind)
        return str(table[entity_id]["slug"])

    def table_of(self, kind: str) -> dict[str, dict[str, Any]]:
        """The entities whose views are of this kind."""
        return {
            "camp": self.camps,
            "3w": self.camps,
            "plan": self.plans,
            "stockpile": self.stockpiles,
            "shipment": self.shipments,
            "offer": self.offers,
        }[kind]

    def partner_slug(self, partner_id: str) -> str:
        """The slug of a partner (or its id if it was never registered here)."""
        partner = self.partners.get(partner_id)
        return partner["slug"] if partner else partner_id

    def lead_counts(self, partner_id: str | None) -> bool:
        """True if a lead is held by a registered partner that has not withdrawn."""
        if partner_id is None:
            return False
        partner = self.partners.get(partner_id)
        return partner is not None and not partner["withdrawn"]


DERIVED_PLAN_STATE = ("standards", "ready_fraction", "needs_ready_days", "thresholds")


def _derive_plan_state(plan: dict[str, Any]) -> None:
    """Fill a plan's derived fields (never stored): exact standards and ready days, and the
    same as integer pairs for `camp_status`."""
    standards = standards_for(plan["standards_profile"], plan["standards_overrides"])
    ready = Fraction(plan["ready_days"])
    plan["standards"] = standards
    plan["ready_fraction"] = ready
    # Needs take ready days as written (2.5, not the float's binary expansion) before a ceiling.
    plan["needs_ready_days"] = ready.limit_denominator(1_000_000)
    plan["thresholds"] = rules.Thresholds.of(standards, ready)


# -- the camp readiness rules (`projections.rules`): the status alone, and the whole view ---------


def camp_status(fold: ReadinessFold, camp_id: str) -> str:
    """A camp's status by the same rules as `camp_view`, without building the view.

    The projector asks this after every moment that touches a camp (for the timeline), so it
    asks the rules for verdicts only (integers) and returns as soon as the status is settled;
    a property test holds it equal to the view's status.
    """
    camp = fold.camps[camp_id]
    if camp["closed"]:
        return rules.CLOSED
    covered = fold.coverage.get(camp_id)
    if covered is None:
        covered = fold.coverage[camp_id] = _covered(fold, camp)
    if not covered:
        return rules.NOT_READY
    pop = camp["population"]["people"]
    if pop == 0:
        return rules.READY
    thresholds: rules.Thresholds = fold.plans[camp["plan_id"]]["thresholds"]
    verdict = rules.consumables(camp["stock"], pop, thresholds, None)
    if verdict is not None:  # not ready, or at risk: nothing below makes it worse
        return verdict
    if (
        rules.overcrowding(pop, camp["shelter_capacity"], None)
        or rules.congestion(camp["site_area_m2"], pop, None)
        or rules.per_person_items(camp["delivered"], pop, None)
        or rules.facilities(camp["facilities"], pop, thresholds, None)
    ):
        return rules.AT_RISK
    return rules.READY


def _covered(fold: ReadinessFold, camp: Mapping[str, Any]) -> bool:
    plan = fold.plans[camp["plan_id"]]
    return not rules.uncovered_sectors(plan["required_sectors"], camp["leads"], fold.lead_counts)


def _camp_verdicts(
    fold: ReadinessFold, camp: Mapping[str, Any], thresholds: rules.Thresholds
) -> tuple[list[str], list[rules.Verdict], list[str]]:
    """Every criterion's verdict and gaps, in the contract's order: (uncovered, verdicts, gaps)."""
    pop = camp["population"]["people"]
    plan = fold.plans[camp["plan_id"]]
    leads = camp["leads"]
    gaps: list[str] = []
    uncovered = rules.uncovered_sectors(plan["required_sectors"], leads, fold.lead_counts)
    verdicts = [rules.sector_coverage(uncovered, leads, fold.partner_slug, gaps)]
    if pop > 0:
        verdicts += [
            rules.consumables(camp["stock"], pop, thresholds, gaps),
            rules.per_person_items(camp["delivered"], pop, gaps),
            rules.facilities(camp["facilities"], pop, thresholds, gaps),
            rules.congestion(camp["site_area_m2"], pop, gaps),
            rules.overcrowding(pop, camp["shelter_capacity"], gaps),
        ]
    protected = fold.lead_counts(leads.get(PROTECTION_SECTOR))
    rules.nobody_left_behind(camp["population"], protected, gaps)
    return uncovered, verdicts, gaps


Measures = dict[str, float | None]


def _camp_measures(
    camp: Mapping[str, Any], thresholds: rules.Thresholds
) -> tuple[Measures, Measures, Measures]:
    """The camp view's measures: days of cover, items per person, people per facility."""
    pop = camp["population"]["people"]
    days_of_cover: Measures = {}
    for item, num, den in thresholds.needs:
        # days = stock ÷ (pop × need), kept as the exact ratio stock·den ÷ pop·num
        days_of_cover[item] = (
            _round(camp["stock"].get(item, 0) * den / (pop * num)) if pop else None
        )
    per_person: Measures = {
        item: _round(camp["delivered"].get(item, 0) / pop) if pop else None
        for item in PER_PERSON_ITEMS
    }
    people_per: Measures = {}
    for facility in FACILITIES:
        count = camp["facilities"].get(facility, 0)
        people_per[facility] = _round(pop / count) if count else None
    return days_of_cover, per_person, people_per


def camp_view(fold: ReadinessFold, camp_id: str) -> dict[str, Any]:
    """The camp readiness view (contract: "Camp readiness view"), by `projections.rules`."""
    camp = fold.camps[camp_id]
    plan = fold.plans[camp["plan_id"]]
    thresholds: rules.Thresholds = plan["thresholds"]
    pop = camp["population"]["people"]
    uncovered, verdicts, gaps = _camp_verdicts(fold, camp, thresholds)
    status = rules.CLOSED if camp["closed"] else rules.worst(verdicts)
    days_of_cover, per_person, people_per = _camp_measures(camp, thresholds)
    area_per_person = Fraction(camp["site_area_m2"]) / pop if pop else None
    congestion = None if area_per_person is None else rules.congestion_band(area_per_person)
    overcrowded = pop > camp["shelter_capacity"]

    return {
        "camp": camp["slug"],
        "id": camp_id,
        "plan": plan["slug"],
        "plan_id": camp["plan_id"],
        "location": camp["location"],
        **site_fields(camp),
        "status": status,
        "population": pop,
        **{group: camp["population"][group] for group in VULNERABLE_GROUPS},
        "required_sectors": list(plan["required_sectors"]),
        "uncovered_sectors": uncovered,
        "sector_leads": {
            sector: fold.partner_slug(partner_id)
            for sector, partner_id in sorted(camp["leads"].items())
        },
        "sector_co_leads": {
            sector: [fold.partner_slug(p) for p in partners]
            for sector, partners in sorted(camp.get("co_leads", {}).items())
            if partners
        },
        "days_of_cover": days_of_cover,
        "per_person": per_person,
        "people_per": people_per,
        "facilities": dict(camp["facilities"]),
        "stock": dict(sorted(camp["stock"].items())),
        "delivered": dict(sorted(camp["delivered"].items())),
        "site_area_m2": camp["site_area_m2"],
        "shelter_capacity": camp["shelter_capacity"],
        "site_area_per_person": None if area_per_person is None else _round(area_per_person),
        "congestion": congestion,
        "overcrowded": overcrowded,
        "ready_days": plan["ready_days"],
        "gaps": gaps,
        "needs": camp_needs(camp, plan),
        "in_transit": in_transit(camp.get("in_transit", {})),
    }


def site_fields(camp: Mapping[str, Any]) -> dict[str, Any]:
    """A camp's site details as its views show them: name defaults to the slug, kind to
    `camp`, the rest to null (a camp established without them has no `site` in its state)."""
    site = camp.get("site") or {}
    return {
        "name": site.get("name") or camp["slug"],
        "kind": site.get("kind") or DEFAULT_SITE_KIND,
        "adm1": site.get("adm1"),
        "adm2": site.get("adm2"),
        "lat": site.get("lat"),
        "lon": site.get("lon"),
    }


def plan_view(fold: ReadinessFold, plan_id: str) -> dict[str, Any]:
    """The plan readiness view (contract: "Plan readiness view")."""
    plan = fold.plans[plan_id]
    members_by_kind = dict.fromkeys(PARTNER_KINDS, 0)
    member_list: list[shapes.Member] = []
    for partner_id, roles in plan["members"].items():
        partner = fold.partners[partner_id]
        member_list.append(
            {
                "partner": partner["slug"],
                "name": partner["name"],
                "kind": partner["kind"],
                "roles": list(roles),
                "withdrawn": partner["withdrawn"],
            }
        )
        if not partner["withdrawn"]:
            members_by_kind[partner["kind"]] += 1
    missing = [kind for kind in TRIPARTITE_KINDS if members_by_kind[kind] == 0]

    currencies = sorted({*plan["pledged"], *plan["received"], *plan["disbursed"]})
    camps_by_status = dict.fromkeys(CAMP_STATUSES, 0)
    population = 0
    for camp_id in plan["camps"]:
        camps_by_status[fold.status_of(camp_id)] += 1
        population += fold.camps[camp_id]["population"]["people"]

    standards: dict[str, Fraction] = plan["standards"]
    preparedness: dict[str, float] = {}
    for item in CONSUMABLES:
        available = sum(
            fold.stockpiles[s]["on_hand"].get(item, 0) - fold.stockpiles[s]["reserved"].get(item, 0)
            for s in plan["stockpiles"]
        )
        need = standards[item]
        needed = plan["planning_figure"] * need.numerator
        preparedness[item] = _round(available * need.denominator / needed)

    doc: shapes.PlanView = {
        "plan": plan["slug"],
        "id": plan_id,
        "title": plan["title"],
        "crisis": plan["crisis"],
        "region": plan["region"],
        "status": plan["status"],
        "planning_figure": plan["planning_figure"],
        "required_sectors": list(plan["required_sectors"]),
        "ready_days": plan["ready_days"],
        "standards": {
            "profile": plan["standards_profile"],
            "overrides": dict(plan["standards_overrides"]),
        },
        "tripartite": not missing,
        "missing_kinds": missing,
        "members": members_by_kind,
        "member_list": member_list,
        "pledged": {c: plan["pledged"].get(c, 0) for c in currencies},
        "received": {c: plan["received"].get(c, 0) for c in currencies},
        "disbursed": {c: plan["disbursed"].get(c, 0) for c in currencies},
        "pool_balance": {
            c: plan["received"].get(c, 0) - plan["disbursed"].get(c, 0) for c in currencies
        },
        "camps": camps_by_status,
        "camp_list": [fold.camps[c]["slug"] for c in plan["camps"]],
        "population": population,
        "stockpiles": [fold.stockpiles[s]["slug"] for s in plan["stockpiles"]],
        "preparedness_days": preparedness,
        "needs": summed_needs(
            [camp_needs(fold.camps[c], plan) for c in plan["camps"] if not fold.camps[c]["closed"]]
        ),
    }
    return dict(doc)  # a plain document for the store and the queries


def stockpile_view(fold: ReadinessFold, stockpile_id: str) -> dict[str, Any]:
    """The stockpile view (contract: "Stockpile view")."""
    depot = fold.stockpiles[stockpile_id]
    items: dict[str, shapes.Levels] = {}
    for item in sorted(depot["on_hand"]):
        on_hand = depot["on_hand"][item]
        reserved = depot["reserved"].get(item, 0)
        items[item] = {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}
    reservations = {
        fold.camps[camp_id]["slug"]: {item: qty for item, qty in sorted(by_item.items()) if qty}
        for camp_id, by_item in depot["reservations"].items()
        if any(by_item.values())
    }
    doc: shapes.StockpileView = {
        "stockpile": depot["slug"],
        "id": stockpile_id,
        "partner": fold.partner_slug(depot["partner_id"]),
        "location": depot["location"],
        "items": items,
        "reservations": dict(sorted(reservations.items())),
        "plans": [fold.plans[p]["slug"] for p in depot["plans"]],
        "in_transit": in_transit(depot.get("in_transit", {})),
    }
    return dict(doc)  # a plain document for the store and the queries


def who_does_what_view(fold: ReadinessFold, camp_id: str) -> dict[str, Any]:
    """The 3W rows of one camp: who leads which sector where, in what role, since when."""
    camp = fold.camps[camp_id]
    plan = fold.plans[camp["plan_id"]]
    details = site_fields(camp)
    site = {
        "site_name": details["name"],
        "site_kind": details["kind"],
        **{key: details[key] for key in ("adm1", "adm2", "lat", "lon")},
    }
    rows = []
    for sector, lead_id in sorted(camp["leads"].items()):
        co_leads = camp.get("co_leads", {}).get(sector, [])
        for partner_id, lead in ((lead_id, "lead"), *((c, "co-lead") for c in co_leads)):
            partner = fold.partners.get(partner_id, {"slug": partner_id, "name": "", "kind": ""})
            rows.append(
                {
                    "partner": partner["slug"],
                    "partner_name": partner["name"],
                    "kind": partner["kind"],
                    "role": ", ".join(plan["members"].get(partner_id, [])) or "not a member",
                    "lead": lead,
                    "sector": sector,
                    "camp": camp["slug"],
                    **site,
                    "location": camp["location"],
                    "plan": plan["slug"],
                    "status": "withdrawn" if partner.get("withdrawn") else "active",
                    "since": camp["lead_since"][sector],
                }
            )
    return {
        "camp": camp["slug"],
        "id": camp_id,
        "plan": plan["slug"],
        "plan_id": camp["plan_id"],
        "rows": rows,
    }
