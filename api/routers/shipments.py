"""Shipments: supplies on the road from a stockpile to a camp; shipment views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.commands import add_command_route
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import add_view_route, caught_up, json_response, page
from api.schemas import Item, ShipmentPage, ShipmentView, Slug

router = APIRouter(prefix="/shipments", tags=["shipments"])

_COMMANDS = (
    ("", "send_shipment", "Send supplies from a stockpile to a camp (they arrive later)"),
    ("/{shipment}/deliver", "deliver_shipment", "Confirm a shipment's arrival (all or part)"),
    ("/{shipment}/lose", "lose_shipment", "Record that nothing of a shipment arrives"),
    ("/{shipment}/return", "return_shipment", "Return a shipment, whole, to its stockpile"),
)


@router.get("", response_model=ShipmentPage, summary="Shipment views")
def list_shipments(
    ctx: Context,
    _: Caller,
    in_transit: Annotated[bool | None, Query(description="only those still on the road")] = None,
    overdue: Annotated[
        bool | None, Query(description="only those in transit after their eta (as of the time)")
    ] = None,
    camp: Annotated[Slug | None, Query(description="to this camp")] = None,
    stockpile: Annotated[Slug | None, Query(description="from this stockpile")] = None,
    item: Annotated[Item | None, Query(description="of this item")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every shipment, filtered, paginated, now (the planner's clock) or as of a time."""
    headers = caught_up(ctx, after)
    docs = [
        d
        for d in ctx.planner.queries.views("shipment", as_of=as_of)
        if (in_transit is None or (d["status"] == "in_transit") == in_transit)
        and (overdue is None or d["overdue"] == overdue)
        and (camp is None or d["camp"] == camp)
        and (stockpile is None or d["stockpile"] == stockpile)
        and (item is None or d["item"] == item)
    ]
    return json_response(page(docs, limit, offset), headers=headers)


add_view_route(
    router,
    "shipment",
    response_model=ShipmentView,
    summary="One shipment's view",
    description="Origin, camp, item, quantity sent and received, status, eta and overdue.",
)

for path, command, summary in _COMMANDS:
    add_command_route(router, path, command, summary=summary)
