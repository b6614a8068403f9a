"""Scenario files over HTTP: validate, or replay into a scratch store and report.

The body is the scenario YAML itself (`Content-Type: application/yaml`, UTF-8), at most
`max_scenario_bytes` (1 MB by default: 413 beyond). A replay never touches the main store: it
runs in a fresh in-memory store that is dropped afterwards. Checks and replays share a small
pool per process (`replay_concurrency`, 2): a request finding it full is answered 429 at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.context import ApiContext
from api.deps import Caller, Context
from api.errors import invalid
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
_ERRORS: dict[int | str, dict[str, object]] = {
    413: {"model": Problem, "description": "the file is larger than the limit"},
    422: {"model": Problem, "description": "the file is not a valid scenario"},
    429: {"model": Problem, "description": "every scratch slot is taken: retry later"},
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
    text = await _scenario_text(request, ctx)
    return json_response(await ctx.scratch.check(text, name))


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
    text = await _scenario_text(request, ctx)
    try:
        report = await ctx.scratch.replay(text, name, until)
    except ValueError as error:
        raise invalid(f"until: {error}", field="until") from None
    return json_response(report)
