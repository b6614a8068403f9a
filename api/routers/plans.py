"""Plans: drafting, membership, the pooled fund, lifecycle, committed stockpiles; plan views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api.commands import add_command_route
from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.reads import add_view_route, caught_up, json_response, not_found, page
from api.schemas import PipelineReport, PlanPage, PlanView, Problem, Sector, Slug
from domain.catalog import PLAN_STATUSES
from projections.pipeline import read_pipeline

router = APIRouter(prefix="/plans", tags=["plans"])

_COMMANDS = (
    (
        "",
        "draft_plan",
        "Draft a plan",
        "Write down a plan for a crisis (status drafted). A coordinator token's organization "
        "joins it as coordinator in the same transaction.",
    ),
    ("/{plan}/join", "join_plan", "A partner joins the plan in a role", ""),
    ("/{plan}/leave", "leave_plan", "A member leaves the plan", ""),
    ("/{plan}/pledges", "pledge_funds", "Pledge funds to the plan's pool", ""),
    ("/{plan}/receipts", "receive_funds", "Receive money against a pledge", ""),
    ("/{plan}/disbursements", "disburse_funds", "Pay from the pool to a member", ""),
    ("/{plan}/split-pool", "split_pool", "Split the pool equally among member NGOs", ""),
    ("/{plan}/activate", "activate_plan", "Activate a drafted plan", ""),
    ("/{plan}/stand-down", "stand_down_plan", "Start standing the plan down", ""),
    ("/{plan}/close", "close_plan", "Close the plan", ""),
    ("/{plan}/stockpiles", "commit_stockpile", "Commit a stockpile to the plan", ""),
    (
        "/{plan}/stockpile-withdrawals",
        "withdraw_stockpile",
        "Withdraw a stockpile from the plan",
        "The stockpile's holder takes it back: it no longer counts in the plan's preparedness; "
        "reservations already made stay until released or dispatched.",
    ),
)

if TYPE_CHECKING:
    PlanStatus = str
else:
    PlanStatus = Literal[PLAN_STATUSES]


@router.get("", response_model=PlanPage, summary="Plan readiness views")
def list_plans(
    ctx: Context,
    _: Caller,
    status: Annotated[PlanStatus | None, Query(description="lifecycle status")] = None,
    sector: Annotated[Sector | None, Query(description="plans requiring this sector")] = None,
    region: Annotated[str | None, Query(description="exact region")] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every plan's view, filtered, paginated, now or as of a time."""
    headers = caught_up(ctx, after)
    docs = ctx.planner.queries.views("plan", as_of=as_of, status=status)
    docs = [
        d
        for d in docs
        if (sector is None or sector in d["required_sectors"])
        and (region is None or d.get("region") == region)
    ]
    return json_response(page(docs, limit, offset), headers=headers)


@router.get(
    "/{plan}/pipeline",
    response_model=PipelineReport,
    responses={404: {"model": Problem}, 503: {"model": Problem}},
    summary="A plan's supply pipeline",
)
def plan_pipeline(
    ctx: Context,
    _: Caller,
    plan: Annotated[Slug, Path(description="plan slug")],
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """Per item: offered (open offers the plan's camps may take), committed (reserved +
    accepted undelivered + in transit), delivered, distributed, next to the plan's needs; and
    the open offers nobody who may take them lacks (`not_needed`). See docs/api.md, "Pipeline"."""
    headers = caught_up(ctx, after)
    found = read_pipeline(ctx.planner.queries, "plan", plan, as_of=as_of)
    if found is None:
        raise not_found("plan", plan, as_of)
    return json_response(found, headers=headers)


add_view_route(
    router,
    "plan",
    response_model=PlanView,
    summary="One plan's readiness view",
    description="The plan's view: members by kind, tripartite, money per currency, camps, "
    "preparedness.",
)


# After the queries, so that a GET of a view is matched before the command routes are tried.
for path, command, summary, description in _COMMANDS:
    add_command_route(router, path, command, summary=summary, description=description)
