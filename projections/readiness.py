"""Readiness rules as a pure fold over domain events.

`ReadinessFold.apply()` takes one event (its class name, originator id, timestamp and fields)
and returns which views it touched; `view()` computes a view document from the folded state,
exactly as the contract's "Readiness rules" say. No I/O here: the same fold serves the
materialised views, time travel, rebuilds and the simulator. The handlers are in
projections/plan_handlers.py, camp_handlers.py and logistics.py; the views in readiness_views.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import cast

import projections.shapes as shapes
from projections.camp_handlers import CampHandlers
from projections.fold_state import (
    CampState,
    EntityState,
    EventFields,
    Moment,
    OfferState,
    PlanState,
    ShipmentState,
    StockpileState,
)
from projections.ids import canonical_id
from projections.logistics import (
    LogisticsHandlers,
    offer_view,
    shipment_view,
)
from projections.plan_handlers import PlanHandlers
from projections.readiness_views import (
    CAMP_STATUSES,
    DERIVED_PLAN_STATE,
    SITE_FIELDS,
    camp_status,
    camp_view,
    derive_plan_state,
    plan_view,
    site_fields,
    stockpile_view,
    who_does_what_view,
)

ViewKey = tuple[str, str]  # (view kind, entity id)
VIEW_KINDS = ("camp", "plan", "stockpile", "3w", "shipment", "offer")


# Domain events that change no view, by name ("Aggregate.Event"): the fold has no handler for
# them on purpose. Every other domain event needs a `_on_<Aggregate>__<Event>` handler
# (tests/unit/test_fold_handlers.py walks every event class of `domain/`).
# Headquarters' records of field commands (docs/field.md): an applied command or a resolution
# changes views through its own events, stored beside the record.
EVENTS_CHANGING_NO_VIEW: frozenset[str] = frozenset(
    {"FieldCommand.Received", "FieldCommand.Resolved"}
)


class ReadinessFold(PlanHandlers, CampHandlers, LogisticsHandlers):
    """The state the readiness views need, folded from events in notification order."""

    def __init__(self) -> None:
        self.partners: dict[str, shapes.PartnerState] = {}
        self.plans: dict[str, PlanState] = {}
        self.stockpiles: dict[str, StockpileState] = {}
        self.camps: dict[str, CampState] = {}
        self.shipments: dict[str, ShipmentState] = {}
        self.offers: dict[str, OfferState] = {}
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
        self.handlers: dict[str, Callable[[str, Moment, EventFields], None]] = {
            name[len("_on_") :].replace("__", "."): getattr(self, name)
            for name in dir(self)
            if name.startswith("_on_")
        }

    # -- applying events -----------------------------------------------------------------------

    def apply(
        self, event_name: str, oid: str, ts: datetime | str, fields: EventFields
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
        self, event_name: str, oid: str, ts: datetime | str, fields: EventFields
    ) -> None:
        """Fold one event when the caller does not ask what it touched (cheaper than apply)."""
        self._fold(event_name, oid, ts, fields)
        self._forget_touched()

    def fold_events(self, events: Iterable[tuple[str, str, Moment, EventFields]]) -> None:
        """Fold events (name, originator id, time, fields) in order, when the caller does not
        ask what they touched: as `fold_event` on each, the touched views forgotten once."""
        handlers = self.handlers
        for event_name, oid, ts, fields in events:
            handler = handlers.get(event_name)
            if handler is not None:
                handler(oid, ts, fields)
        self._forget_touched()

    def _fold(self, event_name: str, oid: str, ts: Moment, fields: EventFields) -> None:
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

    # -- views ---------------------------------------------------------------------------------

    def status_of(self, camp_id: str) -> str:
        """A camp's readiness status (cached until the camp or what it depends on changes)."""
        status = self.camp_status.get(camp_id)
        if status is None:
            status = self.camp_status[camp_id] = camp_status(self, camp_id)
        return status

    # -- state (checkpoints and resuming) ------------------------------------------------------

    def export_state(self, ledger: bool = True) -> dict[str, dict[str, Mapping[str, object]]]:
        """The folded state as plain JSON-ready data, entities in id order (the same fold gives
        the same data, whether resumed or folded from scratch), derived fields left out;
        without shipments and offers unless `ledger` (checkpoints keep none: they would grow
        with every shipment and offer ever made)."""
        tables: list[tuple[str, Mapping[str, EntityState]]] = [
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

    def entity_state(self, table: str, entity_id: str) -> Mapping[str, object]:
        """One entity's state as stored (a plan without its derived fields)."""
        state: EntityState = getattr(self, table)[entity_id]
        if table == "plans":
            return {k: v for k, v in state.items() if k not in DERIVED_PLAN_STATE}
        return state

    def load_entity(self, table: str, entity_id: str, state: EntityState) -> None:
        """Put one entity's exported state back (table: partners, plans, stockpiles, camps,
        shipments, offers)."""
        if table == "plans":
            derive_plan_state(cast(PlanState, state))
        getattr(self, table)[entity_id] = state
        self.camp_status.clear()
        self.coverage.clear()
        self._camp_keys.clear()
        self._stockpile_keys.clear()

    @classmethod
    def from_state(cls, state: Mapping[str, Mapping[str, EntityState]]) -> ReadinessFold:
        """A fold holding an exported state."""
        fold = cls()
        for table, entities in state.items():
            for entity_id, entity in entities.items():
                fold.load_entity(table, entity_id, entity)
        return fold

    def view(self, kind: str, entity_id: str, at_us: int | None = None) -> shapes.ViewDoc:
        """Compute the current view document of one entity; offers and shipments as of
        `at_us` (µs since the epoch; default: the time of their last event)."""
        if kind == "camp":
            doc = camp_view(self, entity_id)
            self.camp_status[entity_id] = doc["status"]
            return dict(doc)
        if kind == "plan":
            return dict(plan_view(self, entity_id))
        if kind == "stockpile":
            return dict(stockpile_view(self, entity_id))
        if kind == "3w":
            return dict(who_does_what_view(self, entity_id))
        if kind == "shipment":
            return dict(shipment_view(self, entity_id, at_us))
        if kind == "offer":
            return dict(offer_view(self, entity_id, at_us))
        raise KeyError(f"unknown view kind {kind!r}")

    def slug_of(self, kind: str, entity_id: str) -> str:
        """The slug of an entity, for views and lists."""
        return self.table_of(kind)[entity_id]["slug"]

    def table_of(self, kind: str) -> Mapping[str, EntityState]:
        """The entities whose views are of this kind."""
        tables: dict[str, Mapping[str, EntityState]] = {
            "camp": self.camps,
            "3w": self.camps,
            "plan": self.plans,
            "stockpile": self.stockpiles,
            "shipment": self.shipments,
            "offer": self.offers,
        }
        return tables[kind]

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


__all__ = [
    "CAMP_STATUSES",
    "EVENTS_CHANGING_NO_VIEW",
    "SITE_FIELDS",
    "VIEW_KINDS",
    "Moment",
    "ReadinessFold",
    "ViewKey",
    "camp_status",
    "camp_view",
    "canonical_id",
    "plan_view",
    "site_fields",
    "stockpile_view",
    "who_does_what_view",
]
