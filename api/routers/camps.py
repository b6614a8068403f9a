"""Camps: establishing, sector leads, residents, supplies, facilities; camp readiness views."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.commands import add_command_route
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import add_view_route, caught_up, json_response, page
from api.schemas import CampPage, CampView, Sector, Slug

router = APIRouter(prefix="/camps", tags=["camps"])

_COMMANDS = (
    ("", "establish_camp", "Establish a camp under a plan"),
    ("/{camp}/sectors", "assign_sector", "Give a sector without a lead to a partner"),
    ("/{camp}/sectors/{sector}/reassign", "reassign_sector", "Hand a sector's lead over"),
    ("/{camp}/sectors/{sector}/release", "release_sector", "Leave a sector without a lead"),
    ("/{camp}/arrivals", "register_arrivals", "Register arrivals"),
    ("/{camp}/departures", "register_departures", "Register departures"),
    ("/{camp}/distributions", "distribute_supplies", "Distribute camp stock to residents"),
    ("/{camp}/facilities", "build_facilities", "Record facilities built"),
    ("/{camp}/close", "close_camp", "Close the camp"),
)

CampStatus = Literal["ready", "at_risk", "not_ready", "closed"]


@router.get("", response_model=CampPage, summary="Camp readiness views")
def list_camps(
    ctx: Context,
    _: Caller,
    plan: Annotated[Slug | None, Query(description="camps of this plan")] = None,
    status: Annotated[CampStatus | None, Query(description="readiness status")] = None,
    sector: Annotated[
        Sector | None, Query(description="camps where this sector is required or led")
    ] = None,
    uncovered: Annotated[
        Sector | None, Query(description="camps where this sector has no (counting) lead")
    ] = None,
    location: Annotated[str | None, Query(description="exact location")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every camp's readiness view, filtered, paginated, now or as of a time."""
    headers = caught_up(ctx, after)
    plan_id = None if plan is None else str(ctx.planner.service.id_of("plan", plan))
    if as_of is None and sector is None and uncovered is None:  # a page from the store
        items, total = ctx.planner.queries.views_page(
            "camp", limit=limit, offset=offset, plan_id=plan_id, status=status, location=location
        )
        body = {"items": items, "total": total, "limit": limit, "offset": offset}
        return json_response(body, headers=headers)
    docs = ctx.planner.queries.views(
        "camp", as_of=as_of, plan_id=plan_id, status=status, location=location
    )
    docs = [
        d
        for d in docs
        if (sector is None or sector in d["required_sectors"] or sector in d["sector_leads"])
        and (uncovered is None or uncovered in d["uncovered_sectors"])
    ]
    return json_response(page(docs, limit, offset), headers=headers)


add_view_route(
    router,
    "camp",
    response_model=CampView,
    summary="One camp's readiness view",
    description="Status, population, uncovered sectors, days of cover, ratios, gaps.",
)


# After the queries, so that a GET of a view is matched before the command routes are tried.
for path, command, summary in _COMMANDS:
    add_command_route(router, path, command, summary=summary)
