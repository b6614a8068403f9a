"""Matching offers to needs (issue 16, item 3): hand-made cases and hypothesis properties."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.matching import STATUS_ORDER, match, need_order, not_needed
from projections.shapes import CampView, OfferView

PLANS = ("p", "q")
STATUSES = ("not_ready", "at_risk", "ready")


def camp(slug: str, plan: str, status: str, water: int, cover: float = 0.5, **extra: Any) -> Any:
    needs = {"water": {"shortfall": water, "committed": 0, "uncommitted": water}} if water else {}
    return {
        "camp": slug,
        "plan": plan,
        "status": status,
        "needs": needs,
        "days_of_cover": {"water": cover},
        "per_person": {},
        **extra,
    }


def offer(slug: str, remaining: int, plan: str | None = None, expires: str | None = None) -> Any:
    return {
        "offer": slug,
        "item": "water",
        "plan": plan,
        "expires": expires,
        "remaining": remaining,
        "status": "open" if remaining else "committed",
    }


def test_priority_and_expiry() -> None:
    camps = [
        camp("ready-1", "p", "ready", 100, cover=0.1),
        camp("risk-1", "p", "at_risk", 100, cover=2.0),
        camp("nr-high", "p", "not_ready", 100, cover=0.9),
        camp("nr-low", "p", "not_ready", 100, cover=0.2),
        camp("nr-low-vuln", "p", "not_ready", 100, cover=0.2, elderly=5),
    ]
    offers = [
        offer("later", 150, expires="2011-04-01T00:00:00Z"),
        offer("sooner", 150, "p", expires="2011-03-25T00:00:00Z"),
    ]
    got = [(m["camp"], m["offer"], m["quantity"]) for m in match(camps, offers)]
    assert got == [
        ("nr-low-vuln", "sooner", 100),
        ("nr-low", "sooner", 50),
        ("nr-low", "later", 50),
        ("nr-high", "later", 100),
    ]


def test_plan_bound_offers_serve_only_their_plans_camps() -> None:
    camps = [camp("a", "p", "not_ready", 100), camp("b", "q", "at_risk", 100)]
    offers = [offer("open", 100), offer("for-q", 100, "q")]
    got = {(m["camp"], m["offer"]): m["quantity"] for m in match(camps, offers)}
    assert got == {("a", "open"): 100, ("b", "for-q"): 100}  # the max-flow total, 200


def test_not_needed_lists_open_offers_of_items_nobody_lacks() -> None:
    camps = [camp("a", "p", "ready", 0)]
    assert not_needed(camps, [offer("o", 5), offer("gone", 0)]) == ["o"]


def test_an_offer_for_a_plan_is_not_needed_when_only_other_plans_lack_its_item() -> None:
    camps = [camp("a", "p", "not_ready", 0), camp("b", "q", "not_ready", 50)]
    offers = [offer("for-p", 5, "p"), offer("for-q", 5, "q"), offer("any", 5)]
    assert not_needed(camps, offers) == ["for-p"]


def max_flow(camps: list[Any], offers: list[Any]) -> int:
    """The largest total any assignment reaches (Edmonds–Karp on offer → camp)."""
    graph: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in offers:
        if o["status"] == "open":
            graph["s"][o["offer"]] += o["remaining"]
            for c in camps:
                if o["plan"] in (None, c["plan"]):
                    graph[o["offer"]]["c:" + c["camp"]] += 10**9
    for c in camps:
        graph["c:" + c["camp"]]["t"] += c["needs"].get("water", {}).get("uncommitted", 0)
    total = 0
    while True:
        parent: dict[str, str] = {"s": ""}
        queue = deque(["s"])
        while queue and "t" not in parent:
            node = queue.popleft()
            for nxt, capacity in list(graph[node].items()):
                if capacity > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if "t" not in parent:
            return total
        path, node = [], "t"
        while node != "s":
            path.append((parent[node], node))
            node = parent[node]
        push = min(graph[a][b] for a, b in path)
        for a, b in path:
            graph[a][b] -= push
            graph[b][a] += push
        total += push


camps_strategy = st.lists(
    st.tuples(
        st.sampled_from(PLANS),
        st.sampled_from(STATUSES),
        st.integers(0, 50),
        st.floats(0, 5),
        st.integers(0, 5),
    ),
    max_size=5,
).map(
    lambda rows: [
        camp(f"c{i}", plan, status, water, cover, under5=vuln)
        for i, (plan, status, water, cover, vuln) in enumerate(rows)
    ]
)
offers_strategy = st.lists(
    st.tuples(
        st.integers(0, 60),
        st.sampled_from((None, *PLANS)),
        st.sampled_from((None, "2011-03-25T00:00:00Z", "2011-03-30T00:00:00Z")),
    ),
    max_size=4,
).map(lambda rows: [offer(f"o{i}", *row) for i, row in enumerate(rows)])


@settings(max_examples=200, deadline=None)
@given(camps=camps_strategy, offers=offers_strategy)
def test_matching_properties(camps: list[Any], offers: list[Any]) -> None:
    found = match(camps, offers)
    again = match(list(reversed(camps)), list(reversed(offers)))
    assert sorted(map(str, found)) == sorted(map(str, again))  # deterministic, any input order
    by_offer: dict[str, int] = defaultdict(int)
    by_camp: dict[str, int] = defaultdict(int)
    camp_of = {c["camp"]: c for c in camps}
    offer_of = {o["offer"]: o for o in offers}
    for m in found:
        assert m["quantity"] > 0
        assert offer_of[m["offer"]]["plan"] in (None, camp_of[m["camp"]]["plan"])
        by_offer[m["offer"]] += m["quantity"]
        by_camp[m["camp"]] += m["quantity"]
    for slug, quantity in by_offer.items():
        assert quantity <= offer_of[slug]["remaining"]  # never more than remains
    for slug, quantity in by_camp.items():
        assert quantity <= camp_of[slug]["needs"]["water"]["uncommitted"]  # nor than is needed
    assert sum(by_camp.values()) == max_flow(camps, offers)  # an exact optimum
    # a camp left short means every offer it could take from is used up, and camps served
    # before it in the order were no lower in priority
    for c in camps:
        short = c["needs"].get("water", {}).get("uncommitted", 0) - by_camp[c["camp"]]
        if short > 0:
            usable = [o for o in offers if o["plan"] in (None, c["plan"]) and o["status"] == "open"]
            assert all(by_offer[o["offer"]] == o["remaining"] for o in usable)
    # with one open offer for everyone, camps are served in priority order
    single = [offer("all", 60)]
    served = [m["camp"] for m in match(camps, single)]
    ranks = [STATUS_ORDER[camp_of[s]["status"]] for s in served]
    assert ranks == sorted(ranks)
    assert served == sorted(served, key=lambda s: need_order(camp_of[s], "water"))


def test_accepting_and_delivering_every_suggestion_closes_the_gaps_it_covers() -> None:
    from datetime import timedelta
    from pathlib import Path

    from domain.base import workspace_namespace
    from planner.replay import replay_scenario
    from planner.scenario import load_scenario
    from planner.wiring import open_planner

    path = Path(__file__).resolve().parents[2] / "scenarios" / "janic-offers-2011.yaml"
    scenario = load_scenario(path)
    at = scenario.start + timedelta(days=1)
    planner = open_planner("memory:", namespace=workspace_namespace(scenario.slug))
    try:
        assert replay_scenario(scenario, planner=planner, until=at).error is None
        views = planner.queries
        camps = cast(list[CampView], views.views("camp", as_of=at))
        offers = cast(list[OfferView], views.views("offer", as_of=at))
        suggestions = match(camps, offers)
        assert suggestions
        before = {c["camp"]: c["needs"] for c in camps}
        service = planner.service
        for m in suggestions:
            service.accept_offer(offer=m["offer"], camp=m["camp"], quantity=m["quantity"])
            service.deliver_offer(offer=m["offer"], camp=m["camp"], quantity=m["quantity"])
        planner.catch_up()
        after = {c["camp"]: c["needs"] for c in views.views("camp")}
        for m in suggestions:
            was, now = before[m["camp"]][m["item"]], after[m["camp"]].get(m["item"])
            covered = sum(
                s["quantity"]
                for s in suggestions
                if (s["camp"], s["item"]) == (m["camp"], m["item"])
            )
            assert (now or {"shortfall": 0})["shortfall"] == max(0, was["shortfall"] - covered)
            if covered >= was["uncommitted"]:
                assert now is None or now["uncommitted"] == 0
    finally:
        planner.close()
