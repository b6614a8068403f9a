"""The supply pipeline (issue 16, item 4): a hand-made case, and properties over random runs.

The properties hold the pipeline, read through the queries now and as of several times, to the
offer, shipment, stockpile and camp views computed independently at the same time: per item,
committed = reserved + accepted undelivered + in transit (shipments in transit, from the
shipment views), offered = the open offers' remaining, nothing negative, distributed ≤ delivered,
shortfall and uncommitted = the plan's needs.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.pipeline import COMMITTED_PARTS, pipeline, read_pipeline
from tests.unit.test_projection_properties import SETTINGS, World, play, worlds


def camp(slug: str, plan: str = "p", **extra: Any) -> Any:  # a CampView's fields used here
    doc: dict[str, Any] = {
        "camp": slug,
        "plan": plan,
        "status": "not_ready",
        "adm1": "A1",
        "adm2": None,
        "stock": {},
        "delivered": {},
        "in_transit": {},
        "needs": {},
    }
    return doc | extra


def offer(slug: str, item: str, remaining: int, **extra: Any) -> Any:  # an OfferView's
    doc: dict[str, Any] = {
        "offer": slug,
        "item": item,
        "plan": None,
        "status": "open" if remaining else "committed",
        "remaining": remaining,
        "withdrawn": False,
        "by_camp": {},
        "expires": None,
    }
    return doc | extra


def test_the_stages_of_a_plans_pipeline() -> None:
    camps = [
        camp(
            "a",
            stock={"water": 300},
            delivered={"water": 1_000, "blanket": 40},
            in_transit={"water": 200},
            needs={
                "water": {"shortfall": 900, "committed": 700, "uncommitted": 200},
                "latrine": {"shortfall": 3, "committed": 0, "uncommitted": 3},
            },
        ),
        camp("b", plan="q", needs={"water": {"shortfall": 50, "committed": 0, "uncommitted": 50}}),
    ]
    stockpiles: list[Any] = [{"reservations": {"a": {"water": 100}, "b": {"water": 7}}}]
    offers = [
        offer("w", "water", 500, by_camp={"a": {"accepted": 600, "delivered": 200}}),
        offer("w-q", "water", 80, plan="q"),
        offer("gone", "water", 0, withdrawn=True, by_camp={"a": {"accepted": 9, "delivered": 0}}),
        offer("tents", "tent", 30),
        offer("tents-q", "tent", 10, plan="q"),
    ]
    found = pipeline("plan", "p", camps, stockpiles, offers)
    assert found["camps"] == ["a"] and found["plans"] == ["p"]
    water, blanket, tent = found["items"]  # in catalog order; no row for a facility
    assert water == {
        "item": "water",
        "offered": 500,  # not q's own offer
        "committed": 100 + 400 + 200,
        "delivered": 1_000,
        "distributed": 700,
        "reserved": 100,
        "accepted": 400,  # the withdrawn offer's acceptance was cancelled
        "in_transit": 200,
        "shortfall": 900,
        "uncommitted": 200,
    }
    assert (blanket["item"], blanket["delivered"], blanket["distributed"]) == ("blanket", 40, 40)
    assert (tent["item"], tent["offered"]) == ("tent", 30)
    assert found["not_needed"] == ["tents"]


def test_a_plan_without_camps_counts_its_own_offers() -> None:
    offers = [offer("for-p", "water", 5, plan="p"), offer("for-q", "water", 7, plan="q")]
    found = pipeline("plan", "p", [camp("b", plan="q")], [], offers)
    assert (found["camps"], found["plans"]) == ([], ["p"])
    assert found["items"][0]["offered"] == 5
    assert found["not_needed"] == ["for-p"]


def test_an_areas_pipeline_takes_offers_of_its_camps_plans() -> None:
    camps = [camp("a"), camp("b", plan="q", adm1="A2")]
    offers = [offer("for-q", "water", 5, plan="q"), offer("any", "water", 7)]
    found = pipeline("adm1", "A2", camps, [], offers)
    assert found["camps"] == ["b"]
    assert found["items"][0]["offered"] == 12
    assert found["not_needed"] == ["any", "for-q"]


# -- properties ---------------------------------------------------------------------------------


def independent(views: dict[str, list[dict[str, Any]]], plan: str) -> dict[str, Counter[str]]:
    """Per part, per item, what the plan's camps have committed, from the other views."""
    camps = {c["camp"] for c in views["camp"] if c["plan"] == plan}
    parts: dict[str, Counter[str]] = {name: Counter() for name in (*COMMITTED_PARTS, "offered")}
    for shipment in views["shipment"]:
        if shipment["status"] == "in_transit" and shipment["camp"] in camps:
            parts["in_transit"][shipment["item"]] += shipment["quantity"]
    for depot in views["stockpile"]:
        for slug, held in depot["reservations"].items():
            if slug in camps:
                parts["reserved"].update(held)
    for o in views["offer"]:
        if o["status"] == "open" and o["plan"] in (None, plan):
            parts["offered"][o["item"]] += o["remaining"]
        if o["status"] != "withdrawn":
            for slug, taken in o["by_camp"].items():
                if slug in camps:
                    parts["accepted"][o["item"]] += taken["accepted"] - taken["delivered"]
    return parts


@SETTINGS
@given(world=worlds(), data=st.data(), picks=st.lists(st.integers(0, 10_000), max_size=3))
def test_pipeline_agrees_with_the_views_at_every_time(
    world: World, data: st.DataObject, picks: list[int]
) -> None:
    planner = play(data, world, most=50)
    try:
        planner.catch_up()
        times = sorted({at for at, _, _ in world.timed})
        moments = [None, times[-1] + timedelta(days=2)]
        moments += [times[p % len(times)] + timedelta(minutes=p % 3 * 30) for p in picks]
        for moment in moments:
            queries = planner.queries
            found = read_pipeline(queries, "plan", "p", as_of=moment)
            assert found is not None
            kinds = ("camp", "stockpile", "offer", "shipment", "plan")
            views = {kind: queries.views(kind, as_of=moment) for kind in kinds}
            parts = independent(views, "p")
            (plan_view,) = views["plan"]
            rows: dict[str, dict[str, Any]] = {row["item"]: dict(row) for row in found["items"]}
            for item in {*rows, *(k for part in parts.values() for k in part)}:
                row = rows[item]
                assert all(row[figure] >= 0 for figure in row if figure != "item"), row
                for part in (*COMMITTED_PARTS, "offered"):
                    assert row[part] == parts[part][item], (moment, part, row)
                assert row["committed"] == sum(parts[p][item] for p in COMMITTED_PARTS)
            for item, row in rows.items():
                assert row["distributed"] <= row["delivered"]
                need = plan_view["needs"].get(item, {"shortfall": 0, "uncommitted": 0})
                assert (row["shortfall"], row["uncommitted"]) == (
                    need["shortfall"],
                    need["uncommitted"],
                )
                assert row["uncommitted"] <= row["shortfall"]
            for camp_doc in views["camp"]:  # a camp's needs.committed is its share of the plan's
                for key, need in camp_doc["needs"].items():
                    if key in rows:
                        assert need["committed"] <= rows[key]["committed"]
    finally:
        planner.close()
