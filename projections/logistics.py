"""Needs, shipments in transit and donor offers: the fold's handlers and views for them.

Contract Part 2, "Needs", "Shipments" and "Donor offers". The handlers are mixed into
`ReadinessFold`; the views are pure functions of its state. Offers and shipments change with
time alone (expiry, `overdue`): their views take the time they are asked at (µs since the
epoch); without one, the time of the entity's last event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, cast

import projections.shapes as shapes
from domain.catalog import CONSUMABLES, FACILITIES, PER_PERSON_ITEMS
from projections.areas import bump as _add
from projections.fold_state import (
    CampState,
    EventFields,
    OfferState,
    PlanState,
    ShipmentState,
    StockpileState,
)
from projections.ids import canonical_id

if TYPE_CHECKING:
    from projections.readiness import Moment, ReadinessFold, ViewKey

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Camp state keys this module keeps: item → quantity reserved for the camp in any stockpile,
# on the road to it, and accepted from offers and not yet delivered.
Commitment = Literal["reserved_for", "in_transit", "offered"]
CAMP_COMMITMENTS: tuple[Commitment, ...] = ("reserved_for", "in_transit", "offered")
TIMED_KINDS = ("offer", "shipment")  # views that change with time alone


_LAST_ISO: dict[str, int] = {}  # the last ISO time parsed -> its µs


def time_us(moment: datetime | str) -> int:
    """A time (datetime, or ISO 8601 text with an offset) in µs since the epoch."""
    if isinstance(moment, str):
        # The events of one moment share their time: parse it once.
        last = _LAST_ISO.get(moment)
        if last is not None:
            return last
        us = time_us(datetime.fromisoformat(moment))
        _LAST_ISO.clear()
        _LAST_ISO[moment] = us
        return us
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class LogisticsHandlers:
    """Fold handlers for shipments, offers and what they commit to camps (a ReadinessFold mixin)."""

    camps: dict[str, CampState]
    stockpiles: dict[str, StockpileState]
    shipments: dict[str, ShipmentState]
    offers: dict[str, OfferState]
    touched: set[ViewKey]
    touched_camps: set[str]
    touched_stockpiles: set[str]
    # A fold of one shipment's or offer's own events (time travel past a checkpoint, which keeps
    # no shipments and offers): it changes no camp or stockpile.
    ledger_only = False

    if TYPE_CHECKING:

        def camp_keys(self, camp_id: str) -> tuple[ViewKey, ViewKey]: ...

    def _commit_to_camp(self, camp_id: str, bucket: Commitment, item: str, delta: int) -> None:
        """Change what is committed to a camp: its and its plan's needs change, not its status."""
        if self.ledger_only:
            return
        camp = self.camps[camp_id]
        _add(camp.setdefault(bucket, {}), item, delta)
        self.touched.update(self.camp_keys(camp_id))

    def _arrived(self, camp_id: str, item: str, quantity: int) -> None:
        camp = self.camps[camp_id]
        camp["stock"][item] = camp["stock"].get(item, 0) + quantity
        camp["delivered"][item] = camp["delivered"].get(item, 0) + quantity
        self.touched_camps.add(camp_id)

    # -- shipments -----------------------------------------------------------------------------

    def _on_Shipment__Sent(self, oid: str, ts: Moment, f: EventFields) -> None:
        stockpile_id, camp_id = canonical_id(f["stockpile_id"]), canonical_id(f["camp_id"])
        item, quantity = f["item"], f["quantity"]
        self.shipments[oid] = {
            "slug": f["slug"],
            "stockpile_id": stockpile_id,
            "camp_id": camp_id,
            "item": item,
            "quantity": quantity,
            "received": 0,
            "status": "in_transit",
            "eta": f["eta"],
            "eta_us": None if f["eta"] is None else time_us(f["eta"]),
            "changed_us": time_us(ts),
        }
        self._shift_in_transit(stockpile_id, camp_id, item, quantity)
        self.touched.add(("shipment", oid))

    def _shipment_ended(
        self, oid: str, ts: Moment, f: EventFields, status: shapes.ShipmentStatus, quantity: int
    ) -> None:
        """Take an ended shipment off the road: the event says from where, to where, what."""
        stockpile_id, camp_id, item = (
            canonical_id(f["stockpile_id"]),
            canonical_id(f["camp_id"]),
            f["item"],
        )
        self._shift_in_transit(stockpile_id, camp_id, item, -quantity)
        shipment = self.shipments.get(oid)  # absent from a fold that keeps no shipments
        if shipment is not None:
            shipment["status"] = status
            shipment["changed_us"] = time_us(ts)
            if status == "delivered":
                shipment["received"] = f["received"]
            self.touched.add(("shipment", oid))

    def _shift_in_transit(self, stockpile_id: str, camp_id: str, item: str, delta: int) -> None:
        """Change what is in transit from a stockpile to a camp."""
        if self.ledger_only:
            return
        _add(self.stockpiles[stockpile_id].setdefault("in_transit", {}), item, delta)
        self.touched.add(("stockpile", stockpile_id))
        self._commit_to_camp(camp_id, "in_transit", item, delta)

    def _on_Shipment__Delivered(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._shipment_ended(oid, ts, f, "delivered", f["received"] + f["lost"])

    def _on_Shipment__Lost(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._shipment_ended(oid, ts, f, "lost", f["quantity"])

    def _on_Shipment__Returned(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._shipment_ended(oid, ts, f, "returned", f["quantity"])

    def _on_Camp__ShipmentReceived(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._arrived(oid, f["item"], f["quantity"])

    # -- offers --------------------------------------------------------------------------------

    def _on_Offer__Made(self, oid: str, ts: Moment, f: EventFields) -> None:
        self.offers[oid] = {
            "slug": f["slug"],
            "partner_id": canonical_id(f["partner_id"]),
            "item": f["item"],
            "quantity": f["quantity"],
            "plan_id": None if f["plan_id"] is None else canonical_id(f["plan_id"]),
            "expires": f["expires"],
            "expires_us": None if f["expires"] is None else time_us(f["expires"]),
            "accepted": 0,
            "declined": 0,
            "delivered": 0,
            "by_camp": {},
            "withdrawn": False,
            "cancelled_remaining": 0,
            "cancelled_undelivered": 0,
            "changed_us": time_us(ts),
        }
        self.touched.add(("offer", oid))

    def _offer(self, oid: str, ts: Moment) -> OfferState | None:
        """The offer's state (None in a fold that keeps no offers), marked changed now."""
        offer = self.offers.get(oid)
        if offer is not None:
            offer["changed_us"] = time_us(ts)
            self.touched.add(("offer", oid))
        return offer

    def _on_Offer__Accepted(self, oid: str, ts: Moment, f: EventFields) -> None:
        camp_id, quantity = canonical_id(f["camp_id"]), f["quantity"]
        self._commit_to_camp(camp_id, "offered", f["item"], quantity)
        offer = self._offer(oid, ts)
        if offer is not None:
            offer["accepted"] += quantity
            offer["by_camp"].setdefault(camp_id, [0, 0])[0] += quantity

    def _on_Offer__Declined(self, oid: str, ts: Moment, f: EventFields) -> None:
        offer = self._offer(oid, ts)
        if offer is not None:
            offer["declined"] += f["quantity"]

    def _on_Offer__Delivered(self, oid: str, ts: Moment, f: EventFields) -> None:
        camp_id, quantity = canonical_id(f["camp_id"]), f["quantity"]
        self._commit_to_camp(camp_id, "offered", f["item"], -quantity)
        offer = self._offer(oid, ts)
        if offer is not None:
            offer["delivered"] += quantity
            offer["by_camp"][camp_id][1] += quantity

    def _on_Offer__Withdrawn(self, oid: str, ts: Moment, f: EventFields) -> None:
        for camp_id, quantity in zip(f["camp_ids"], f["undelivered_at"], strict=True):
            self._commit_to_camp(canonical_id(camp_id), "offered", f["item"], -quantity)
        offer = self._offer(oid, ts)
        if offer is not None:
            offer["withdrawn"] = True
            offer["cancelled_remaining"] = f["remaining"]
            offer["cancelled_undelivered"] = f["undelivered"]

    def _on_Camp__OfferReceived(self, oid: str, ts: Moment, f: EventFields) -> None:
        self._arrived(oid, f["item"], f["quantity"])


# -- views ---------------------------------------------------------------------------------------


def camp_needs(camp: CampState, plan: PlanState) -> shapes.Needs:
    """A camp's `needs`: per key with a shortfall above 0, {shortfall, committed, uncommitted}."""
    pop = camp["population"]["people"]
    if camp["closed"] or pop == 0:
        return {}
    standards = plan["standards"]
    ready = plan["needs_ready_days"]
    stock, delivered = camp["stock"], camp["delivered"]
    shortfalls: dict[str, int] = {}
    for item in CONSUMABLES:
        need = standards[item]  # ⌈P × need × R⌉ in integers: exact, and no Fraction objects
        numerator = pop * need.numerator * ready.numerator
        shortfalls[item] = -(-numerator // (need.denominator * ready.denominator)) - stock.get(
            item, 0
        )
    for item in PER_PERSON_ITEMS:
        shortfalls[item] = pop - delivered.get(item, 0)
    for facility in FACILITIES:
        limit = standards[facility]  # people per unit
        units = -(-(pop * limit.denominator) // limit.numerator)
        shortfalls[facility] = units - camp["facilities"].get(facility, 0)
    needs: shapes.Needs = {}
    for key, shortfall in shortfalls.items():
        if shortfall <= 0:
            continue
        committed = sum(camp.get(bucket, {}).get(key, 0) for bucket in CAMP_COMMITMENTS)
        needs[key] = {
            "shortfall": shortfall,
            "committed": committed,
            "uncommitted": max(0, shortfall - committed),
        }
    return needs


def summed_needs(entries: list[shapes.Needs]) -> shapes.Needs:
    """Needs summed key by key, each of shortfall, committed and uncommitted on its own."""
    totals: shapes.Needs = {}
    for needs in entries:
        for key, need in needs.items():
            total = totals.setdefault(key, {"shortfall": 0, "committed": 0, "uncommitted": 0})
            total["shortfall"] += need["shortfall"]
            total["committed"] += need["committed"]
            total["uncommitted"] += need["uncommitted"]
    order = {key: i for i, key in enumerate((*CONSUMABLES, *PER_PERSON_ITEMS, *FACILITIES))}
    return {key: totals[key] for key in sorted(totals, key=lambda k: order.get(k, len(order)))}


def shipment_view(
    fold: ReadinessFold, shipment_id: str, at_us: int | None = None
) -> shapes.ShipmentView:
    """The shipment view (contract: "Shipment view"), as of `at_us`."""
    shipment = fold.shipments[shipment_id]
    camp = fold.camps[shipment["camp_id"]]
    return shipment_at(
        {
            "shipment": shipment["slug"],
            "id": shipment_id,
            "stockpile": fold.stockpiles[shipment["stockpile_id"]]["slug"],
            "camp": camp["slug"],
            "plan_id": camp["plan_id"],
            "item": shipment["item"],
            "quantity": shipment["quantity"],
            "received": shipment["received"],
            "lost_in_transit": shipment["quantity"] - shipment["received"]
            if shipment["status"] in ("delivered", "lost")
            else 0,
            "status": shipment["status"],
            "eta": shipment["eta"],
            "overdue": False,
        },
        shipment["changed_us"] if at_us is None else at_us,
    )


def offer_view(fold: ReadinessFold, offer_id: str, at_us: int | None = None) -> shapes.OfferView:
    """The offer view (contract: "Offer view"), with expiry applied as of `at_us`."""
    offer = fold.offers[offer_id]
    plan_id = offer["plan_id"]
    return offer_at(
        {
            "offer": offer["slug"],
            "id": offer_id,
            "partner": fold.partner_slug(offer["partner_id"]),
            "item": offer["item"],
            "plan": None if plan_id is None else fold.plans[plan_id]["slug"],
            "plan_id": plan_id,
            "quantity": offer["quantity"],
            "accepted": offer["accepted"],
            "delivered": offer["delivered"],
            "declined": offer["declined"],
            "lapsed": 0,
            "cancelled": offer["cancelled_remaining"] + offer["cancelled_undelivered"],
            "cancelled_remaining": offer["cancelled_remaining"],
            "remaining": 0,
            "by_camp": {
                fold.camps[camp_id]["slug"]: {"accepted": accepted, "delivered": delivered}
                for camp_id, (accepted, delivered) in offer["by_camp"].items()
            },
            "status": "open",
            "expires": offer["expires"],
            "withdrawn": offer["withdrawn"],
        },
        offer["changed_us"] if at_us is None else at_us,
    )


def with_time(kind: str, doc: shapes.ViewDoc, at_us: int) -> shapes.ViewDoc:
    """Apply time to an offer or shipment view document (expiry, `overdue`) as of `at_us`;
    other kinds are returned as they are.

    The same function serves the fold's views and stored documents read later: a document holds
    everything its time-dependent fields are computed from.
    """
    if kind == "shipment":
        shipment_at(cast(shapes.ShipmentView, doc), at_us)
    elif kind == "offer":
        offer_at(cast(shapes.OfferView, doc), at_us)
    return doc


def shipment_at(doc: shapes.ShipmentView, at_us: int) -> shapes.ShipmentView:
    """Set a shipment view's `overdue` as of `at_us` (in place; the document is returned)."""
    eta = doc["eta"]
    doc["overdue"] = doc["status"] == "in_transit" and eta is not None and at_us > time_us(eta)
    return doc


def offer_at(doc: shapes.OfferView, at_us: int) -> shapes.OfferView:
    """Apply expiry to an offer view as of `at_us` (in place; the document is returned)."""
    open_quantity = doc["quantity"] - doc["accepted"] - doc["declined"]
    if doc["withdrawn"]:  # what had lapsed before the withdrawal stays lapsed; nothing after
        doc["lapsed"], doc["remaining"] = open_quantity - doc["cancelled_remaining"], 0
    elif doc["expires"] is not None and at_us >= time_us(doc["expires"]):
        doc["lapsed"], doc["remaining"] = open_quantity, 0
    else:
        doc["lapsed"], doc["remaining"] = 0, open_quantity
    doc["status"] = offer_status(doc)
    return doc


def offer_status(doc: shapes.OfferView) -> shapes.OfferStatus:
    """An offer's status by the contract's rules, from its view's totals."""
    if doc["withdrawn"]:
        return "withdrawn"
    if doc["remaining"] > 0:
        return "open"
    if doc["accepted"] == 0:
        return "declined" if doc["declined"] > 0 else "expired"
    return "committed" if doc["delivered"] < doc["accepted"] else "fulfilled"


def in_transit(totals: Mapping[str, int]) -> dict[str, int]:
    """Item → quantity in transit, the non-zero ones, in item order."""
    return {item: quantity for item, quantity in sorted(totals.items()) if quantity}
