"""The dashboard's page of field commands and conflicts (docs/field.md): at headquarters every
conflict with its refusal and resolution; in a field instance also its own commands, each with
what became of it.

At headquarters a coordinator or admin (`domain.service_field.RESOLVERS`, the rights
`POST /conflicts/{id}/resolve` uses) gets a form per open conflict: discard with a reason, or
apply the command as taken or adjusted (command and JSON arguments). A form posts the session's
CSRF token and must come from this site; the resolution runs exactly as the API's does (the
service checks the resolver's rights inside its command lock), so a forged post by anyone else
is refused (403) and nothing is stored. A field instance resolves at headquarters (its CLI asks
headquarters with the field's token), so its page has no forms.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.dashboard.pages import PREFIX, Nav, Page
from api.errors import DOMAIN_ERRORS
from api.policy import actor_of
from api.ports import Planner
from api.routers.dashboard_session import (
    FormRefused,
    api_context,
    html_response,
    session_form,
    signed_in,
)
from domain.errors import PlannerError
from domain.field_command import RESOLUTIONS
from domain.service_field import RESOLVERS

router = APIRouter(include_in_schema=False)

FORM_LIMIT = 16_384
PAGE = f"{PREFIX}/conflicts"


@router.get(PAGE)
def conflicts(request: Request) -> Response:
    """Conflicts (open first), with resolve forms for a resolver; in a field, its outbox."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    return html_response(request, conflicts_page(api_context(request).planner, nav))


def conflicts_page(
    planner: Planner, nav: Nav, *, notice: str | None = None, error: str | None = None
) -> Page:
    """The page: the conflicts headquarters recorded, and a field's own commands."""
    listed = planner.sync.conflicts(open_only=False)
    listed.sort(key=lambda c: (c["resolution"] is not None, c["position"]))
    status = planner.sync.status()
    outbox = planner.sync.outbox() if status["field"] else []
    may_resolve = _may_resolve(nav) and not status["field"]
    forms = {
        c["id"]: orjson.dumps(c["args"]).decode()
        for c in listed
        if may_resolve and c["resolution"] is None
    }
    return Page(
        nav,
        "conflicts.html",
        "Field commands and conflicts",
        {
            "conflicts": listed,
            "status": status,
            "outbox": outbox,
            "forms": forms,
            "notice": notice,
            "error": error,
        },
        as_of_control=False,
    )


def _may_resolve(nav: Nav) -> bool:
    return nav.principal is not None and nav.principal.role in RESOLVERS


@router.post(f"{PAGE}/{{command_id}}/resolve")
async def resolve_form(request: Request, command_id: str) -> Response:
    """Discard a conflict with a reason, or apply it as taken or adjusted, from the page."""
    signed = signed_in(request)
    if not isinstance(signed, Nav):
        return signed
    nav: Nav = signed
    nav.path = PAGE
    nav.as_of = None
    planner = api_context(request).planner

    def answer(status: int, *, notice: str | None = None, error: str | None = None) -> Response:
        page = conflicts_page(planner, nav, notice=notice, error=error)
        return html_response(request, page, status)

    fields = await session_form(request, nav, FORM_LIMIT)
    if isinstance(fields, FormRefused):
        return answer(fields.status, error=fields.error)
    action = fields.get("action", "")
    if action not in RESOLUTIONS or nav.principal is None:
        return answer(422, error="Unknown action.")
    try:
        command, args, reason = _resolution(action, fields)
        done = await run_in_threadpool(
            planner.sync.resolve,
            actor_of(nav.principal),
            command_id[:64],
            action,
            command,
            args,
            reason,
        )
    except PlannerError as refusal:
        status = next(s for cls, s, _, _ in DOMAIN_ERRORS if isinstance(refusal, cls))
        return answer(status, error=f"Refused: {refusal}")
    except ValueError as problem:  # also ArgumentError
        return answer(422, error=f"Invalid form: {problem}")
    position = done.get("position")
    if position is not None:
        await run_in_threadpool(
            api_context(request).wait_for, int(position), api_context(request).settings.wait_timeout
        )
    what = "Applied" if action == "apply" else "Discarded"
    return answer(200, notice=f"{what} conflict {command_id[:64]}.")


def _resolution(action: str, fields: dict[str, str]) -> tuple[str | None, Any, str]:
    """The command, arguments and reason a form names (arguments: a JSON object)."""
    reason = fields.get("reason", "").strip()[:2000]
    if action == "discard":  # the record refuses a discard without a reason
        return None, None, reason
    command = fields.get("command", "").strip() or None
    text = fields.get("args", "").strip()
    if not text:
        return command, None, reason
    try:
        args = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"args: not JSON ({error})") from None
    if not isinstance(args, dict):
        raise ValueError('args: a JSON object of the command\'s arguments, like {"camp": "c"}')
    return command, args, reason
