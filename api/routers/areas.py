"""Administrative areas: every camp carrying an adm1 or adm2 code, rolled up (contract Part 2)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from api.deps import After, AsOf, Caller, Context, Limit, Offset
from api.errors import ApiProblem
from api.reads import caught_up, json_response, page
from api.schemas import AreaPage, AreaView, Problem

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
        when = "" if as_of is None else f" at {as_of.isoformat()}"
        raise ApiProblem(
            404,
            "not-found",
            "Unknown area",
            f"unknown area: no camp carries {level} code '{code}'{when}",
            field="code",
            extra={"level": level, "code": code},
        )
    return json_response(doc, headers=headers)
