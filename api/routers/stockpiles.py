"""Stockpiles: opening, supplies in and out, reservations for camps; stockpile views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.commands import add_command_route
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import add_view_route, caught_up, json_response, page
from api.schemas import Item, Slug, StockpilePage, StockpileView, StockTotals

router = APIRouter(prefix="/stockpiles", tags=["stockpiles"])

_COMMANDS = (
    ("", "open_stockpile", "Open a stockpile held by a partner"),
    ("/{stockpile}/receipts", "receive_supplies", "Receive supplies into the stockpile"),
    ("/{stockpile}/reservations", "reserve_supplies", "Reserve free stock for a camp"),
    ("/{stockpile}/releases", "release_reservation", "Release (part of) a camp's reservation"),
    ("/{stockpile}/dispatches", "dispatch_supplies", "Dispatch supplies to a camp, atomically"),
    ("/{stockpile}/write-offs", "write_off_supplies", "Write off expired, damaged or lost stock"),
)


@router.get("", response_model=StockpilePage, summary="Stockpile views")
def list_stockpiles(
    ctx: Context,
    _: Caller,
    plan: Annotated[Slug | None, Query(description="committed to this plan")] = None,
    partner: Annotated[Slug | None, Query(description="held by this partner")] = None,
    location: Annotated[str | None, Query(description="exact location")] = None,
    item: Annotated[Item | None, Query(description="holding this item")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every stockpile's levels, filtered, paginated, now or as of a time."""
    headers = caught_up(ctx, after)
    docs = ctx.planner.queries.views("stockpile", as_of=as_of, location=location)
    docs = [
        d
        for d in docs
        if (plan is None or plan in d["plans"])
        and (partner is None or d["partner"] == partner)
        and (item is None or item in d["items"])
    ]
    return json_response(page(docs, limit, offset), headers=headers)


@router.get("/totals", response_model=StockTotals, summary="Stock totals per item")
def stock_totals(ctx: Context, _: Caller, as_of: AsOf = None, after: After = None) -> Response:
    """On hand, reserved and available per item over every stockpile."""
    headers = caught_up(ctx, after)
    return json_response({"items": ctx.planner.queries.stock_totals(as_of=as_of)}, headers=headers)


add_view_route(
    router,
    "stockpile",
    response_model=StockpileView,
    summary="One stockpile's view",
    description="Levels per item (on hand, reserved, available), reservations per camp, plans.",
)


# After the queries, so that a GET of a view is matched before the command routes are tried.
for path, command, summary in _COMMANDS:
    add_command_route(router, path, command, summary=summary)
