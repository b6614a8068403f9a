"""Readiness across entities: the status timeline and the 3W table (JSON, and CSV with HXL)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.context import ApiContext
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import caught_up, json_response, page
from api.schemas import Sector, Slug, ThreeWPage, TimelinePage
from api.three_w import three_w_csv as write_csv
from projections.queries import THREE_W_COLUMNS

router = APIRouter(tags=["readiness"])


@router.get("/timeline", response_model=TimelinePage, summary="Readiness timeline")
def timeline(
    ctx: Context,
    _: Caller,
    kind: Annotated[
        Literal["camp", "plan"] | None, Query(description="only camps or plans")
    ] = None,
    camp: Annotated[Slug | None, Query(description="only this camp")] = None,
    plan: Annotated[Slug | None, Query(description="only this plan and its camps")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every status change of camps and plans, oldest first, with its time and position."""
    headers = caught_up(ctx, after)
    service = ctx.planner.service
    entries = ctx.planner.queries.timeline(kind=kind, as_of=as_of)
    if camp is not None or plan is not None:
        wanted: set[str] = set()
        if camp is not None:
            wanted.add(str(service.id_of("camp", camp)))
        if plan is not None:
            plan_id = str(service.id_of("plan", plan))
            wanted.add(plan_id)
            wanted.update(d["id"] for d in ctx.planner.queries.views("camp", plan_id=plan_id))
        entries = [e for e in entries if e["id"] in wanted]
    return json_response(page(entries, limit, offset), headers=headers)


def _three_w(
    ctx: ApiContext,
    as_of: datetime | None,
    plan: str | None,
    camp: str | None,
    sector: str | None,
    partner: str | None,
    location: str | None,
    status: str | None,
) -> list[dict[str, object]]:
    # Filtered on the plan slug here: who_does_what(plan_id=…) matches no 3W view (their
    # documents carry the plan's slug, not its id).
    def keep(r: dict[str, object]) -> bool:
        return (
            (plan is None or r["plan"] == plan)
            and (camp is None or r["camp"] == camp)
            and (sector is None or r["sector"] == sector)
            and (partner is None or r["partner"] == partner)
            and (location is None or r["location"] == location)
            and (status is None or r["status"] == status)
        )

    return ctx.planner.queries.who_does_what(as_of=as_of, keep=keep)


_Plan = Annotated[Slug | None, Query(description="camps of this plan")]
_Camp = Annotated[Slug | None, Query(description="this camp")]
_Sector = Annotated[Sector | None, Query(description="this cluster")]
_Partner = Annotated[Slug | None, Query(description="led by this partner")]
_Location = Annotated[str | None, Query(description="exact location")]
_Status = Annotated[
    Literal["active", "withdrawn"] | None, Query(description="status of the lead partner")
]


@router.get("/3w", response_model=ThreeWPage, summary="3W: who does what where (JSON)")
def three_w(
    ctx: Context,
    _: Caller,
    plan: _Plan = None,
    camp: _Camp = None,
    sector: _Sector = None,
    partner: _Partner = None,
    location: _Location = None,
    status: _Status = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """One row per sector lead of each camp: partner, kind, role, sector, camp, since."""
    headers = caught_up(ctx, after)
    rows = _three_w(ctx, as_of, plan, camp, sector, partner, location, status)
    return json_response(page(rows, limit, offset), headers=headers)


@router.get(
    "/3w.csv",
    summary="3W as CSV with HXL hashtags",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {
                    "example": ",".join(column for column, _ in THREE_W_COLUMNS)
                    + "\n"
                    + ",".join(tag for _, tag in THREE_W_COLUMNS)
                    + "\npwj,Peace Winds Japan,ngo,lead,CCM,korce-1,Korçë camp 1,camp,"
                    "Korçë district,AL08,,40.62,20.78,camp-japan,active,"
                    "1999-04-20T00:00:00+00:00,4120\n"
                }
            },
            "description": "header row, HXL hashtag row, then one row per sector lead",
        }
    },
)
def three_w_csv(
    ctx: Context,
    _: Caller,
    plan: _Plan = None,
    camp: _Camp = None,
    sector: _Sector = None,
    partner: _Partner = None,
    location: _Location = None,
    status: _Status = None,
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """Every 3W row (unpaginated); the second row carries the HXL hashtags."""
    headers = caught_up(ctx, after)
    rows = _three_w(ctx, as_of, plan, camp, sector, partner, location, status)
    return Response(
        write_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="3w.csv"'},
    )
