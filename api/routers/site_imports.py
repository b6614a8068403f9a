"""Site lists over HTTP: a coordinator uploads an HXL-tagged CSV and its rows become camps of
the plan, all of them or none (`planner import-sites` over HTTP)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.context import ApiContext
from api.deps import Caller, Context
from api.errors import ApiProblem
from api.policy import actor_of
from api.reads import json_response, read_body
from api.schemas import Problem, SiteImportReport, Slug

router = APIRouter(prefix="/sites", tags=["camps"])

_EXAMPLE = (
    "name,code,type,adm1,adm2,lat,lon,people,capacity,area\n"
    "#loc+name,#loc+code,#loc+type,#adm1+code,#adm2+code,#geo+lat,#geo+lon,"
    "#affected+incamp,#capacity,#loc+area\n"
    "Miyako gym,miyako-gym,evacuation centre,03,03202,39.64,141.96,1200,900,4000\n"
)
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }
}


@router.post(
    "/import",
    status_code=201,
    response_model=SiteImportReport,
    responses={
        403: {"model": Problem},
        413: {"model": Problem, "description": "the file is larger than the limit"},
        422: {"model": Problem, "description": "a bad row: `problems` lists every fault"},
    },
    openapi_extra=_BODY,
    summary="Import a site list (HXL-tagged CSV) as camps of a plan",
)
async def import_site_list(
    request: Request,
    ctx: Context,
    caller: Caller,
    plan: Annotated[Slug, Query(description="the plan the sites belong to")],
    name: Annotated[str, Query(max_length=200, description="file name used in messages")] = (
        "sites.csv"
    ),
) -> Response:
    """Each row becomes `establish_camp` (and `register_arrivals` for its people). Needs the
    right to establish camps in the plan (its coordinators, or admin). A list with any bad row
    stores nothing; the 422 problem lists each fault with its row, column and why."""
    data = await read_body(request, ctx.settings.max_scenario_bytes, "site list")
    result = await run_in_threadpool(_import, ctx, caller, data, plan, name)
    return json_response(result, status=201)


def _import(
    ctx: ApiContext, caller: Principal, data: bytes, plan: str, name: str
) -> dict[str, object]:
    sites = ctx.planner.sites
    try:
        return sites.import_csv(ctx.planner.service, data, plan, name, actor_of(caller))
    except sites.error as error:
        problems: list[str] = getattr(error, "problems", [str(error)])
        raise ApiProblem(
            422,
            "validation",
            "Site list refused",
            str(error),
            field="body",
            extra={"problems": problems},
        ) from None
