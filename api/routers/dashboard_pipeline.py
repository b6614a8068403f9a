"""The dashboard's pipeline pages and their one-click forms: accept a suggested match, decline an
offer nobody needs (issue 16, items 3 and 4).

A form posts the command's arguments, the session's CSRF token and an idempotency key made
when the page was drawn (a second click, or a reload of the answer, replays the first answer
instead of accepting twice). The command runs exactly as `POST /offers/{offer}/accept` or
`/decline` does (`api.commands.run_command`): the service checks the rights table
(`domain.rights`) inside its command lock, so a forged post by someone without the right is
refused (403) like an API call, and nothing is stored. None of these routes is in the OpenAPI
document.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.commands import CommandCall, run_command
from api.dashboard import pages
from api.dashboard.pages import PREFIX, Nav
from api.dashboard.pipeline_page import FORM_COMMANDS, pipeline_page
from api.errors import DOMAIN_ERRORS, ApiProblem
from api.routers.dashboard_session import (
    FormRefused,
    api_context,
    html_response,
    session_form,
    signed_in,
)
from api.schemas import REQUEST_MODELS
from domain.errors import PlannerError
from domain.site import AREA_LEVELS

router = APIRouter(include_in_schema=False)

FORM_LIMIT = 4_096
FORM_FIELDS = {"accept_offer": ("camp", "quantity"), "decline_offer": ("reason",)}


def _page(request: Request, scope: str, code: str) -> Response:
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    return _render(request, nav, scope, code)


def _render(
    request: Request,
    nav: Nav,
    scope: str,
    code: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    planner = api_context(request).planner
    page = None
    if scope == "plan" or scope in AREA_LEVELS:
        page = pipeline_page(planner, nav, scope, code[:100], notice=notice, error=error)
    if page is None:
        when = "" if nav.as_of is None else f" at {pages.when(nav.as_of)}"
        what = f"plan '{code[:100]}'" if scope == "plan" else f"area {scope} '{code[:100]}'"
        message = f"There is no {what}{when}."
        return html_response(request, pages.error_page(nav, "Not found", message), 404)
    return html_response(request, page, status)


@router.get(f"{PREFIX}/plans/{{plan}}/pipeline")
def plan_pipeline(request: Request, plan: str) -> Response:
    """A plan's supply pipeline, its suggested matches and the offers nobody needs."""
    return _page(request, "plan", plan)


@router.get(f"{PREFIX}/areas/{{level}}/{{code}}/pipeline")
def area_pipeline(request: Request, level: str, code: str) -> Response:
    """An area's supply pipeline, its suggested matches and the offers nobody needs."""
    return _page(request, level, code)


@router.post(f"{PREFIX}/plans/{{plan}}/pipeline/offers")
async def plan_offer_form(request: Request, plan: str) -> Response:
    """Accept a suggested match or decline an unneeded offer, from a plan's pipeline page."""
    return await _offer_form(request, "plan", plan)


@router.post(f"{PREFIX}/areas/{{level}}/{{code}}/pipeline/offers")
async def area_offer_form(request: Request, level: str, code: str) -> Response:
    """Accept or decline from an area's pipeline page."""
    return await _offer_form(request, level, code)


async def _offer_form(request: Request, scope: str, code: str) -> Response:
    signed = signed_in(request)
    if not isinstance(signed, Nav):
        return signed
    nav: Nav = signed
    nav.path = request.url.path.removesuffix("/offers")  # the page the answer shows
    nav.as_of = None  # a command acts now; the answer shows the current state

    def answer(status: int, *, notice: str | None = None, error: str | None = None) -> Response:
        return _render(request, nav, scope, code, notice=notice, error=error, status=status)

    fields = await session_form(request, nav, FORM_LIMIT)
    if isinstance(fields, FormRefused):
        return answer(fields.status, error=fields.error)
    command = fields.get("command", "")
    if command not in FORM_COMMANDS or nav.principal is None:
        return answer(422, error="Unknown action.")
    try:
        call = CommandCall(
            command=command,
            path_args={"offer": fields.get("offer", "")},
            body=REQUEST_MODELS[command].model_validate(_body(command, fields)),
            if_match=None,
            idempotency_key=fields.get("key") or None,
            principal=nav.principal,
        )
        response = await _run(request, call)
    except (ValidationError, ValueError) as problem:  # ValueError: also ArgumentError
        return answer(422, error=f"Invalid form: {_first_error(problem)}")
    except ApiProblem as problem:
        return answer(problem.status, error=problem.detail)
    except PlannerError as refusal:
        status = next(s for cls, s, _, _ in DOMAIN_ERRORS if isinstance(refusal, cls))
        return answer(status, error=f"Refused: {refusal}")
    return answer(200, notice=_done(command, fields, response))


def _body(command: str, fields: dict[str, str]) -> dict[str, object]:
    """The command's body from the form's text fields (a quantity is a whole number)."""
    body: dict[str, object] = {name: fields.get(name, "") for name in FORM_FIELDS[command]}
    if "quantity" in body:
        text = str(body["quantity"])
        if not text.isdigit() or len(text) > 15:
            raise ValueError(f"quantity must be a whole number, got {text[:20]!r}")
        body["quantity"] = int(text)
    return body


async def _run(request: Request, call: CommandCall) -> Response:
    """Run the command in the thread pool, then wait (bounded) until the views show it."""
    ctx = api_context(request)
    response = await run_in_threadpool(run_command, ctx, call)
    position = int(orjson.loads(bytes(response.body))["position"])
    await run_in_threadpool(ctx.wait_for, position, ctx.settings.wait_timeout)
    return response


def _first_error(problem: Exception) -> str:
    if isinstance(problem, ValidationError):
        first = problem.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(problem)


def _done(command: str, fields: dict[str, str], response: Response) -> str:
    replayed = " (already done: this is the first answer again)" if _replayed(response) else ""
    if command == "accept_offer":
        return (
            f"Accepted {int(fields['quantity']):,} of offer {fields['offer']} for camp "
            f"{fields['camp']}{replayed}."
        )
    return f"Declined what remained of offer {fields['offer']} as not needed{replayed}."


def _replayed(response: Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"
