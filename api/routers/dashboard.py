"""The readiness dashboard: HTML pages at `/` and under `/dashboard/`, signed in by cookie
(`api.routers.dashboard_session`).

The pages only read the views; the one thing to post is a scenario file, replayed in a scratch
in-memory store exactly as `POST /scenarios/replay` does. None of these routes is part of the
OpenAPI document.
"""

from __future__ import annotations

import hmac
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.assets import packaged_file
from api.dashboard import area_pages, camp_page, pages
from api.dashboard.pages import PREFIX, Nav, Page
from api.errors import ApiProblem
from api.routers.dashboard_session import (
    api_context,
    html_response,
    page_response,
    same_origin,
    signed_in,
)
from domain.site import AREA_LEVELS

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent.parent / "dashboard" / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8"}
MULTIPART_OVERHEAD = 65_536


@router.get("/")
def overview(request: Request) -> Response:
    """Every plan at a glance."""
    return page_response(request, pages.overview_page)


@router.get(PREFIX)
def dashboard_root() -> Response:
    """The overview lives at `/`."""
    return RedirectResponse("/", status_code=307)


@router.get(f"{PREFIX}/camps/{{camp_id}}")
def camp(request: Request, camp_id: str) -> Response:
    """One camp (by its view id), as of the chosen time."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    ctx = api_context(request)
    page = camp_page.camp_page(ctx.planner, nav, camp_id[:100])
    if page is None:
        when = "" if nav.as_of is None else f" at {pages.when(nav.as_of)}"
        message = f"There is no such camp{when}."
        return html_response(request, pages.error_page(nav, "No such camp", message), 404)
    return html_response(request, page)


@router.get(f"{PREFIX}/areas")
def areas(request: Request) -> Response:
    """Sites by administrative area, filtered (area, status, plan, kind), map and coverage."""
    filters = area_pages.SiteFilters.from_query(request.query_params)
    return page_response(
        request, lambda planner, nav: _some(area_pages.areas_page(planner, nav, filters))
    )


@router.get(f"{PREFIX}/areas/{{level}}/{{code}}")
def area(request: Request, level: str, code: str) -> Response:
    """One administrative area: its view, its sites on the map and in the coverage matrix."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    filters = area_pages.SiteFilters.from_query(request.query_params)
    page = None
    if level in AREA_LEVELS:
        page = area_pages.areas_page(
            api_context(request).planner, nav, filters, (level, code[:100])
        )
    if page is None:
        when = "" if nav.as_of is None else f" at {pages.when(nav.as_of)}"
        message = f"No site carries the {level} code '{code[:100]}'{when}: unknown area."
        return html_response(request, pages.error_page(nav, "Unknown area", message), 404)
    return html_response(request, page)


def _some(page: Page | None) -> Page:
    assert page is not None  # without a fixed area there is always a page
    return page


@router.get(f"{PREFIX}/timeline")
def timeline(request: Request) -> Response:
    """Each camp's readiness over time."""
    return page_response(request, pages.timeline_page)


@router.get(f"{PREFIX}/stockpiles")
def stockpiles(request: Request) -> Response:
    """Stock levels and the 3W table."""
    return page_response(request, pages.stockpiles_page)


@router.get(f"{PREFIX}/3w.csv")
def three_w_csv(request: Request) -> Response:
    """The 3W table as CSV with HXL hashtags, as of the chosen time (a download)."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    data = pages.three_w_csv(api_context(request).planner, nav.as_of)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="3w.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


# -- scenario upload ------------------------------------------------------------------------------


@router.get(f"{PREFIX}/scenario")
def scenario_form(request: Request) -> Response:
    """The scenario upload form."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    limit = api_context(request).settings.max_scenario_bytes
    return html_response(request, pages.scenario_page(nav, limit))


@router.post(f"{PREFIX}/scenario")
async def scenario_replay(request: Request) -> Response:
    """Replay an uploaded scenario in a scratch in-memory store; show its report."""
    found = signed_in(request)
    if not isinstance(found, Nav):
        return found
    nav: Nav = found
    ctx = api_context(request)
    limit = ctx.settings.max_scenario_bytes

    def refuse(message: str, status: int) -> Response:
        return html_response(request, pages.scenario_page(nav, limit, error=message), status)

    scenarios = ctx.planner.scenarios
    try:
        fields = await _form_fields(request, limit)
        name, text, until = _upload(fields, limit, nav.csrf)
        report = await ctx.scratch.replay(text, name, until)
    except UploadRefused as refusal:
        return refuse(refusal.message, refusal.status)
    except scenarios.error as error:
        return refuse(str(error), 422)
    except ValueError as error:
        return refuse(f"Stop at: {error}", 422)
    except ApiProblem as problem:
        return refuse(problem.detail, problem.status)
    return html_response(request, pages.scenario_page(nav, limit, report=report))


class UploadRefused(Exception):
    """Why an uploaded scenario is refused before it is replayed, with the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def _form_fields(request: Request, limit: int) -> dict[str, tuple[str | None, bytes]]:
    """The upload form's fields, read up to the size limit, from this site only."""
    if not same_origin(request):
        raise UploadRefused("Uploads must come from this site.", 403)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit + MULTIPART_OVERHEAD:
            raise UploadRefused(f"The file is larger than {limit:,} bytes.", 413)
    try:
        return parse_form_data(bytes(body), request.headers.get("content-type", ""))
    except ValueError as error:
        raise UploadRefused(str(error), 400) from error


def _upload(
    fields: dict[str, tuple[str | None, bytes]], limit: int, csrf: str
) -> tuple[str, str, str | None]:
    """The uploaded file's name and text, and the time to stop at if given."""
    if not hmac.compare_digest(fields.get("csrf", (None, b""))[1], csrf.encode()):
        raise UploadRefused("The form expired; reload the page and upload again.", 403)
    name, data = fields.get("file", (None, b""))
    if len(data) > limit:
        raise UploadRefused(f"The file is larger than {limit:,} bytes.", 413)
    if not data.strip():
        raise UploadRefused("Choose a scenario file (YAML) to replay.", 422)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UploadRefused(f"The file is not UTF-8 text (byte {error.start}).", 422) from error
    until_text = fields.get("until", (None, b""))[1].decode("utf-8", "replace").strip()
    return (name or "upload.yaml")[:200], text, until_text or None


def parse_form_data(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (file name or None, bytes).

    Parsed with the standard library's MIME parser (no extra dependency); raises ValueError
    when the body is not multipart/form-data.
    """
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in (
        content_type.lower()
    ):
        raise ValueError("Send the form as multipart/form-data (choose a file and press Replay).")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("The form could not be read.")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in fields:
            continue
        payload = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


# -- static files ---------------------------------------------------------------------------------


@router.get(f"{PREFIX}/static/{{name}}")
def static(name: str) -> Response:
    """The stylesheet (served from the package; nothing comes from the internet)."""
    return packaged_file(STATIC, name, STATIC_TYPES, max_age=3600)
