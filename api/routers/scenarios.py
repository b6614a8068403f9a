"""Scenario files over HTTP: validate, or replay into a scratch store and report.

The body is the scenario YAML itself (`Content-Type: application/yaml`, UTF-8), at most
`max_scenario_bytes` (1 MB by default: 413 beyond). A replay never touches the main store: it
runs in a fresh in-memory store that is dropped afterwards, one replay at a time per process.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import Caller, Context
from api.errors import invalid
from api.ports import ScenarioFile
from api.reads import json_response, read_body
from api.schemas import Problem, ScenarioCheckResult, ScenarioReport

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

_EXAMPLE = """scenario: tiny
title: A tiny camp
start: 1999-04-01T00:00:00Z
steps:
  - {at: +0d, do: register_partner, with: {partner: pwj, name: Peace Winds Japan, kind: ngo}}
  - {at: +0d, do: draft_plan, with: {plan: p, title: T, crisis: C, planning_figure: 100}}
checks:
  - {at: +0d, plan: p, expect: {status: drafted}}
"""
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "the file is larger than the limit"},
    422: {"model": Problem, "description": "the file is not a valid scenario"},
}
_Name = Annotated[str, Query(max_length=200, description="file name used in messages")]


async def _scenario_text(request: Request, ctx: ApiContext) -> str:
    data = await read_body(request, ctx.settings.max_scenario_bytes, "scenario file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise invalid(
            f"the scenario is not UTF-8 text (byte {error.start})", field="body"
        ) from None


async def _parse(request: Request, ctx: ApiContext, name: str) -> ScenarioFile:
    text = await _scenario_text(request, ctx)
    return await run_in_threadpool(ctx.planner.scenarios.parse, text, name)


@router.post(
    "/check",
    response_model=ScenarioCheckResult,
    responses=_ERRORS,
    openapi_extra=_BODY,
    summary="Validate a scenario file",
)
async def check_scenario(
    request: Request, ctx: Context, _: Caller, name: _Name = "upload.yaml"
) -> Response:
    """Parse and validate only; nothing is replayed or stored. 422 names step and line."""
    scenario = await _parse(request, ctx, name)
    return json_response(
        {
            "ok": True,
            "scenario": scenario.slug,
            "title": scenario.title,
            "steps": len(scenario.steps),
            "checks": len(scenario.checks),
        }
    )


@router.post(
    "/replay",
    response_model=ScenarioReport,
    responses=_ERRORS,
    openapi_extra=_BODY,
    summary="Replay a scenario file in a scratch store",
)
async def replay(
    request: Request,
    ctx: Context,
    _: Caller,
    name: _Name = "upload.yaml",
    until: Annotated[
        str | None, Query(description="stop at a simulated time (+3d or ISO 8601)")
    ] = None,
) -> Response:
    """The same report as `planner replay --json`; `ok` is false if a check failed or a step
    was refused (then `error` names the step and line). The main store is never touched."""
    scenario = await _parse(request, ctx, name)
    stop = None
    if until is not None:
        try:
            stop = ctx.planner.scenarios.parse_until(until, scenario.start)
        except ValueError as error:
            raise invalid(f"until: {error}", field="until") from None
    report = await run_in_threadpool(_replay_in_scratch, ctx, scenario, stop)
    return json_response(report)


def _replay_in_scratch(ctx: ApiContext, scenario: ScenarioFile, until: Any) -> dict[str, Any]:
    with ctx.replays:
        return ctx.planner.scenarios.replay(scenario, until)
