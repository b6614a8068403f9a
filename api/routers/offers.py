"""Donor offers: offering, accepting for camps, declining, delivering; offer and needs views."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, cast

from fastapi import APIRouter, Query, Response

import projections.shapes as shapes
from api.commands import add_command_route
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import add_view_route, caught_up, json_response, page
from api.schemas import Item, MatchesReport, NeedsReport, OfferPage, OfferView, Slug
from domain.clock import parse_iso_utc
from projections.matching import match, not_needed

router = APIRouter(prefix="/offers", tags=["offers"])
needs_router = APIRouter(tags=["offers"])

_COMMANDS = (
    ("", "offer_supplies", "Offer goods (a donor's own token)"),
    ("/{offer}/accept", "accept_offer", "Accept part of an offer for a camp"),
    ("/{offer}/decline", "decline_offer", "Decline all that remains of an offer"),
    ("/{offer}/deliver", "deliver_offer", "Deliver accepted goods to a camp"),
    ("/{offer}/withdraw", "withdraw_offer", "Withdraw an offer (its donor)"),
)


@router.get("", response_model=OfferPage, summary="Offer views")
def list_offers(
    ctx: Context,
    _: Caller,
    open: Annotated[bool | None, Query(description="only offers with something remaining")] = None,
    expiring_within_days: Annotated[
        float | None,
        Query(ge=0, le=3650, description="only open offers expiring within this many days"),
    ] = None,
    item: Annotated[Item | None, Query(description="of this item")] = None,
    donor: Annotated[Slug | None, Query(description="made by this partner")] = None,
    plan: Annotated[Slug | None, Query(description="for this plan")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every offer, filtered, paginated, now (the planner's clock) or as of a time."""
    headers = caught_up(ctx, after)
    now = as_of or ctx.planner.service.clock_fn()
    horizon = None if expiring_within_days is None else now + timedelta(days=expiring_within_days)
    docs = [
        d
        for d in ctx.planner.queries.views("offer", as_of=as_of)
        if (open is None or (d["status"] == "open") == open)
        and (
            horizon is None
            or (
                d["status"] == "open"
                and d["expires"] is not None
                and parse_iso_utc(d["expires"]) <= horizon
            )
        )
        and (item is None or d["item"] == item)
        and (donor is None or d["partner"] == donor)
        and (plan is None or d["plan"] == plan)
    ]
    return json_response(page(docs, limit, offset), headers=headers)


@needs_router.get("/needs", response_model=NeedsReport, summary="Needs by camp and plan")
def needs(
    ctx: Context,
    _: Caller,
    plan: Annotated[Slug | None, Query(description="camps of this plan")] = None,
    item: Annotated[str | None, Query(description="only this key (item or facility)")] = None,
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """Shortfall, committed and uncommitted per key: of each open camp, summed per plan."""
    headers = caught_up(ctx, after)
    queries = ctx.planner.queries

    def kept(doc_needs: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in doc_needs.items() if item is None or k == item}

    camps = {
        d["camp"]: kept(d["needs"])
        for d in queries.views("camp", as_of=as_of)
        if (plan is None or d["plan"] == plan) and kept(d["needs"])
    }
    plans = {
        d["plan"]: kept(d["needs"])
        for d in queries.views("plan", as_of=as_of)
        if (plan is None or d["plan"] == plan) and kept(d["needs"])
    }
    return json_response({"camps": camps, "plans": plans}, headers=headers)


@needs_router.get("/matches", response_model=MatchesReport, summary="Offers matched to needs")
def matches(
    ctx: Context,
    _: Caller,
    plan: Annotated[Slug | None, Query(description="camps of this plan")] = None,
    item: Annotated[Item | None, Query(description="only this item")] = None,
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """For each open offer, which camps should get how much (see docs/api.md, "Matching"),
    and the open offers of items no open camp lacks (`not_needed`: decline them early)."""
    headers = caught_up(ctx, after)
    queries = ctx.planner.queries
    camps = [c for c in queries.views("camp", as_of=as_of) if plan is None or c["plan"] == plan]
    offers = [
        o
        for o in queries.views("offer", as_of=as_of)
        if (item is None or o["item"] == item) and (plan is None or o["plan"] in (None, plan))
    ]
    camp_views, offer_views = (
        cast(list[shapes.CampView], camps),
        cast(list[shapes.OfferView], offers),
    )
    found = {
        "matches": match(camp_views, offer_views),
        "not_needed": not_needed(camp_views, offer_views),
    }
    return json_response(found, headers=headers)


add_view_route(
    router,
    "offer",
    response_model=OfferView,
    summary="One offer's view",
    description="Quantities offered, accepted, delivered, declined, lapsed, cancelled, remaining.",
)

for path, command, summary in _COMMANDS:
    add_command_route(router, path, command, summary=summary)
