"""Field instances and headquarters (docs/field.md): events out, field commands in, conflicts.

At headquarters: `GET /sync/events` exports stored events after a position (whole workspace, or
`?camp=` camps with what they need), `POST /sync/commands` receives a field's commands (each
applied at most once, re-validated with the pushing token's rights), `GET /conflicts` lists the
field commands it refused and `POST /conflicts/{id}/resolve` resolves one. On a field instance
`GET /sync/status` says when it last synced and how many commands wait, and `GET /sync/outbox`
lists its commands with what became of each.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, Context
from api.errors import ApiProblem
from api.policy import actor_of
from api.reads import json_response
from api.schemas import MAX_WHOLE, Problem

router = APIRouter(tags=["sync"])

MAX_PUSH = 1000  # commands in one push
_ID = r"^[A-Za-z0-9-]{1,64}$"


def bounded_args(args: dict[str, Any] | None) -> dict[str, Any] | None:
    """A command's free-form arguments, refused if a whole number anywhere in them is beyond the
    API's bound (the store could not encode it; no command takes one)."""
    _check_whole_numbers(args, "args")
    return args


def _check_whole_numbers(value: object, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not -MAX_WHOLE <= value <= MAX_WHOLE:
        raise ValueError(f"{where}: a whole number must lie between -{MAX_WHOLE} and {MAX_WHOLE}")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_whole_numbers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_whole_numbers(item, f"{where}[{index}]")


class FieldCommandIn(BaseModel):
    """One command a field instance took offline."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=_ID, description="the command's id (a UUID), unique across fields")
    command: str = Field(max_length=64, description="a command of the command table")
    args: dict[str, Any] = Field(default_factory=dict, description="its arguments")
    hq_position: int = Field(0, ge=0, le=MAX_WHOLE, description="headquarters position seen")
    taken_at: str = Field("", max_length=64, description="when the field took it (ISO 8601)")

    _bounded = field_validator("args")(bounded_args)


class FieldPush(BaseModel):
    """A field instance's commands, in the order it took them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    field_id: str = Field(pattern=_ID, description="the field instance's id")
    commands: list[FieldCommandIn] = Field(max_length=MAX_PUSH)


class Resolution(BaseModel):
    """How a coordinator resolves a conflict."""

    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["apply", "discard"]
    command: str | None = Field(None, max_length=64, description="apply: another command")
    args: dict[str, Any] | None = Field(None, description="apply: adjusted arguments")
    reason: str = Field("", max_length=2000, description="why (required to discard)")

    _bounded = field_validator("args")(bounded_args)


@router.get(
    "/sync/events",
    summary="Stored events after a position, for field instances",
    responses={404: {"model": Problem, "description": "a named camp does not exist"}},
)
def export_events(
    ctx: Context,
    _: Caller,
    after: Annotated[int, Query(ge=0, le=MAX_WHOLE)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    camp: Annotated[list[str] | None, Query(max_length=100)] = None,
) -> Response:
    """Events as stored (originator id, version, topic, base64 state), in position order."""
    return json_response(ctx.planner.sync.export(after, limit, camp or []))


@router.post(
    "/sync/commands",
    summary="Receive a field instance's commands",
    responses={403: {"model": Problem, "description": "a viewer token cannot push"}},
)
async def receive_commands(ctx: Context, caller: Caller, push: FieldPush) -> Response:
    """Apply each command at most once, in order; answer each one's outcome (applied,
    conflict with the refusal, or refused: its id was another field instance's)."""
    if caller.role == "viewer":
        raise ApiProblem(
            403, "forbidden", "Not allowed for this token", "a viewer token cannot push commands"
        )
    commands = [vars(c) for c in push.commands]  # its fields, flat: model_dump() without its cost
    outcomes = await run_in_threadpool(
        ctx.planner.sync.receive, actor_of(caller), push.field_id, commands
    )
    return json_response({"outcomes": outcomes})


@router.get("/conflicts", summary="Field commands headquarters refused")
def list_conflicts(
    ctx: Context,
    _: Caller,
    state: Annotated[Literal["open", "all"], Query(description="open only, or all")] = "open",
) -> Response:
    """Each conflict: the command, what the field saw (`field_saw`), the refusal, resolution."""
    return json_response({"items": ctx.planner.sync.conflicts(open_only=state == "open")})


@router.post(
    "/conflicts/{command_id}/resolve",
    summary="Resolve a conflict",
    responses={
        403: {
            "model": Problem,
            "description": "only a coordinator or admin resolves; or the "
            "adjusted command is beyond this token's rights",
        },
        404: {"model": Problem, "description": "no field command has this id"},
        409: {
            "model": Problem,
            "description": "not an open conflict, or the adjusted command is refused (see `rule`)",
        },
    },
)
def resolve_conflict(
    ctx: Context,
    caller: Caller,
    command_id: Annotated[str, Path(pattern=_ID)],
    resolution: Resolution,
) -> Response:
    """Apply an adjusted command (with this token's rights) or discard with a reason."""
    done = ctx.planner.sync.resolve(
        actor_of(caller),
        command_id,
        resolution.action,
        resolution.command,
        resolution.args,
        resolution.reason,
    )
    ctx.planner.follower.poke()
    return json_response(done)


@router.get("/sync/status", summary="A field instance's sync status")
def sync_status(ctx: Context, _: Caller) -> Response:
    """Last sync, last error, headquarters position, field commands by outcome."""
    return json_response(ctx.planner.sync.status())


@router.get("/sync/outbox", summary="A field instance's commands and their outcomes")
def sync_outbox(ctx: Context, _: Caller) -> Response:
    """Every command taken in this field instance, in order, with what became of it."""
    return json_response({"items": ctx.planner.sync.outbox()})
