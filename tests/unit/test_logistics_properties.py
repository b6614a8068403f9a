"""Conservation and needs invariants over random command runs (issue 16, item 7).

Runs come from the projection properties' chooser (shipments and offers included). Checked at
the end and as of random past times, on the pure fold of the stored events:

- per item, what stockpiles received = on hand + in transit + delivered by dispatches and
  shipments + lost in transit + written off (a returned shipment is on hand again);
- per offer, quantity = accepted + declined + lapsed + cancelled remainder + remaining, and
  delivered ≤ accepted, per camp as in total;
- in every camp's and the plan's `needs`: committed ≥ 0, uncommitted ≤ shortfall,
  uncommitted = max(0, shortfall − committed) for a camp.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from projections.logistics import time_us
from projections.readiness import ReadinessFold
from tests.projections_helpers import START, stored_records
from tests.unit.test_projection_properties import SETTINGS, World, play, worlds


def fold_until(records: list, moment_us: int) -> ReadinessFold:
    fold = ReadinessFold()
    for record in records:
        if time_us(record.ts) > moment_us:
            break
        fold.apply(record.name, record.oid, record.ts, record.fields)
    return fold


def flows(records: list, moment_us: int) -> dict[str, Counter[str]]:
    """Per item, what came into stockpiles and what left them for good, up to a time."""
    totals: dict[str, Counter[str]] = {
        k: Counter() for k in ("received", "written_off", "dispatched")
    }
    for record in records:
        if time_us(record.ts) > moment_us:
            break
        f = record.fields
        if record.name == "Stockpile.SuppliesReceived":
            totals["received"][f["item"]] += f["quantity"]
        elif record.name == "Stockpile.SuppliesWrittenOff":
            totals["written_off"][f["item"]] += f["quantity"]
        elif record.name == "Stockpile.SuppliesDispatched":
            totals["dispatched"][f["item"]] += f["quantity"]
    return totals


def assert_stock_is_conserved(fold: ReadinessFold, totals: dict[str, Counter[str]]) -> None:
    on_hand: Counter[str] = Counter()
    in_transit: Counter[str] = Counter()
    for depot in fold.stockpiles.values():
        on_hand.update(depot["on_hand"])
        in_transit.update(depot.get("in_transit", {}))
    shipped: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for shipment in fold.shipments.values():
        if shipment["status"] in ("delivered", "lost"):
            shipped[shipment["item"]] += shipment["received"]
            lost[shipment["item"]] += shipment["quantity"] - shipment["received"]
    for item in set(totals["received"]) | set(on_hand):
        assert totals["received"][item] == (
            on_hand[item]
            + in_transit[item]
            + totals["dispatched"][item]
            + shipped[item]
            + lost[item]
            + totals["written_off"][item]
        ), item


def assert_offers_are_conserved(fold: ReadinessFold, at_us: int) -> None:
    for offer_id in fold.offers:
        view = fold.view("offer", offer_id, at_us)
        assert view["quantity"] == (
            view["accepted"]
            + view["declined"]
            + view["lapsed"]
            + view["cancelled_remaining"]
            + view["remaining"]
        ), view
        assert min(view["lapsed"], view["remaining"], view["cancelled"]) >= 0, view
        assert view["delivered"] <= view["accepted"]
        assert sum(c["accepted"] for c in view["by_camp"].values()) == view["accepted"]
        assert sum(c["delivered"] for c in view["by_camp"].values()) == view["delivered"]
        assert all(c["delivered"] <= c["accepted"] for c in view["by_camp"].values())


def assert_needs_are_consistent(fold: ReadinessFold) -> None:
    for camp_id in fold.camps:
        for triple in fold.view("camp", camp_id)["needs"].values():
            assert triple["shortfall"] > 0
            assert triple["committed"] >= 0
            assert triple["uncommitted"] == max(0, triple["shortfall"] - triple["committed"])
    for plan_id in fold.plans:
        for triple in fold.view("plan", plan_id)["needs"].values():
            assert triple["committed"] >= 0
            assert 0 <= triple["uncommitted"] <= triple["shortfall"]


@SETTINGS
@given(world=worlds(), data=st.data(), picks=st.lists(st.integers(0, 10_000), max_size=4))
def test_stock_offers_and_needs_invariants(
    world: World, data: st.DataObject, picks: list[int]
) -> None:
    planner = play(data, world, most=60)
    try:
        records = stored_records(planner.service)
        times = sorted({at for at, _, _ in world.timed})
        moments = [times[-1] + timedelta(days=2)]
        moments += [times[p % len(times)] + timedelta(minutes=p % 3 * 30) for p in picks]
        for moment in [START, *moments]:
            at_us = time_us(moment)
            fold = fold_until(records, at_us)
            assert_stock_is_conserved(fold, flows(records, at_us))
            assert_offers_are_conserved(fold, at_us)
            assert_needs_are_consistent(fold)
    finally:
        planner.close()
