"""Administrative areas: every camp carrying an adm1 or adm2 code, rolled up (contract Part 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.errors import ApiProblem
from api.reads import caught_up, json_response, page
from api.schemas import AreaPage, AreaView, PipelineReport, Problem
from projections.pipeline import read_pipeline

router = APIRouter(prefix="/areas", tags=["areas"])

Level = Literal["adm1", "adm2"]
_CODE = Path(pattern=r"^[A-Za-z0-9_-]+$", max_length=100, description="area code (P-code)")


@router.get("", response_model=AreaPage, summary="Area views")
async def list_areas(
    ctx: Context,
    _: Caller,
    level: Annotated[Level | None, Query(description="only adm1 or only adm2 areas")] = None,
    adm1: Annotated[
        str | None, Query(max_length=100, description="this adm1 area and the adm2 areas in it")
    ] = None,
    as_of: AsOf = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every area the camps carry: adm1 areas, each followed by its adm2 areas."""
    headers = await run_in_threadpool(caught_up, ctx, after)
    docs = await run_in_threadpool(ctx.planner.queries.areas, as_of=as_of, level=level, adm1=adm1)
    return json_response(page(docs, limit, offset), headers=headers)


@router.get(
    "/{level}/{code}",
    response_model=AreaView,
    responses={404: {"model": Problem}, 503: {"model": Problem}},
    summary="One area's view",
)
async def get_area(
    ctx: Context,
    _: Caller,
    level: Annotated[Level, Path(description="adm1 or adm2")],
    code: Annotated[str, _CODE],
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """Camps by status, people in open camps by status, uncovered sectors and needs of an area."""
    headers = await run_in_threadpool(caught_up, ctx, after)
    doc = await run_in_threadpool(ctx.planner.queries.area, level, code, as_of=as_of)
    if doc is None:
        raise _unknown_area(level, code, as_of)
    return json_response(doc, headers=headers)


@router.get(
    "/{level}/{code}/pipeline",
    response_model=PipelineReport,
    responses={404: {"model": Problem}, 503: {"model": Problem}},
    summary="An area's supply pipeline",
)
def area_pipeline(
    ctx: Context,
    _: Caller,
    level: Annotated[Level, Path(description="adm1 or adm2")],
    code: Annotated[str, _CODE],
    as_of: AsOf = None,
    after: After = None,
) -> Response:
    """Per item, for the area's camps: offered (open offers of their plans or of none),
    committed, delivered, distributed, next to their needs; and `not_needed` (docs/api.md)."""
    headers = caught_up(ctx, after)
    found = read_pipeline(ctx.planner.queries, level, code, as_of=as_of)
    if found is None:
        raise _unknown_area(level, code, as_of)
    return json_response(found, headers=headers)


def _unknown_area(level: str, code: str, as_of: datetime | None) -> ApiProblem:
    when = "" if as_of is None else f" at {as_of.isoformat()}"
    return ApiProblem(
        404,
        "not-found",
        "Unknown area",
        f"unknown area: no camp carries {level} code '{code}'{when}",
        field="code",
        extra={"level": level, "code": code},
    )
