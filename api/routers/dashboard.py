"""The readiness dashboard: HTML pages at `/` and under `/dashboard/`, signed in by cookie.

A person signs in with an API token (any role: a viewer token suffices). The cookie holds only a
random server-side session id (`api.sessions`: HttpOnly, SameSite=Strict, Secure unless served
over plain HTTP to a loopback address, expiring after 8 hours); the token behind the session is
checked against the token registry on every request, and signing out deletes the session.
Every form carries a CSRF token (the sign-in form's is bound to a short-lived cookie, the others
to the session) and every POST must come from this site (Origin, else Referer, when the browser
sends one). Without a session, pages redirect to the sign-in form.
The pages only read the views; the one thing to post is a scenario file, replayed in a scratch
in-memory store exactly as `POST /scenarios/replay` does. None of these routes is part of the
OpenAPI document.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.assets import packaged_file
from api.auth import Principal, token_digest
from api.context import ApiContext
from api.dashboard import area_pages, camp_page, pages
from api.dashboard.field_banner import field_notes
from api.dashboard.pages import PREFIX, Nav, Page
from api.dashboard.templating import templates
from api.errors import ApiProblem
from api.ports import Planner
from api.sessions import SESSION_TTL_SECONDS, Session
from domain.site import AREA_LEVELS

router = APIRouter(include_in_schema=False)

COOKIE = "planner_session"
LOGIN_CSRF_COOKIE = "planner_login_csrf"
LOGIN_CSRF_SECONDS = 3600
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
STATIC = Path(__file__).resolve().parent.parent / "dashboard" / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8"}
LOGIN_BODY_LIMIT = 16_384
MULTIPART_OVERHEAD = 65_536
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.api
    return context


def _session(request: Request) -> tuple[str, Session] | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    session = _context(request).sessions.get(session_id)
    return None if session is None else (session_id, session)


def _principal(request: Request) -> Principal | None:
    found = _session(request)
    if found is None:
        return None
    return _context(request).tokens.identify_digest(found[1].token_digest)


def _secure(request: Request) -> bool:
    """Cookies are Secure unless the page is served over plain HTTP to a loopback address."""
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


def _same_origin(request: Request) -> bool:
    """A POST comes from this site: its Origin (else Referer), if sent, names this host."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # not a browser's cross-site request (browsers send Origin on POSTs)
    return urlsplit(source).netloc == request.headers.get("host", request.url.netloc)


def _forbidden(request: Request, nav: Nav, why: str) -> Response:
    return _html(request, pages.error_page(nav, "Refused", why), 403)


def _html(request: Request, page: Page, status: int = 200) -> HTMLResponse:
    """A page rendered from its template, with the strict security headers."""
    return templates.TemplateResponse(
        request,
        page.template,
        page.template_context(),
        status_code=status,
        headers=SECURITY_HEADERS,
    )


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(
        f"{PREFIX}/login?{urlencode({'next': target})}", status_code=303, headers=SECURITY_HEADERS
    )


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) <= 32 or ord(c) == 127 for c in value)
    ):
        return "/"
    return value


def _nav(request: Request, principal: Principal) -> Nav:
    nav = Nav(path=request.url.path, principal=principal)
    found = _session(request)
    nav.csrf = found[1].csrf if found is not None else ""
    raw = request.query_params.get("as_of")
    try:
        nav.as_of = pages.parse_as_of(raw)
    except ValueError:
        nav.as_of_error = (
            f"'{raw}' is not a date and time (use 2001-10-17T08:30, UTC): showing the current state"
        )
    quarantined = len(_context(request).planner.views.quarantined_positions())
    if quarantined:
        nav.alerts.append(
            f"{quarantined} stored event(s) could not be projected and are quarantined: the "
            "views skip them, so they may be incomplete. An operator should look at /readyz "
            "and `planner rebuild`."
        )
    nav.notes.extend(field_notes(_context(request).planner.sync.status()))
    return nav


def _signed_in(request: Request) -> Nav | Response:
    """The page's navigation for a signed-in person, or the redirect to the sign-in form."""
    principal = _principal(request)
    if principal is None:
        return _to_login(request)
    return _nav(request, principal)


def _page(request: Request, render: Callable[[Planner, Nav], Page]) -> Response:
    """A page of the views for a signed-in person, or the redirect to the sign-in form."""
    nav = _signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    return _html(request, render(_context(request).planner, nav))


# -- sign in and out ------------------------------------------------------------------------------


UNKNOWN_TOKEN = (
    "That token is not known here. Tokens come from the server's token file: "
    "`planner tokens add --role viewer --partner SLUG` makes one; a server started without "
    "tokens prints a sign-in link with a one-time admin token."
)


@router.get(f"{PREFIX}/login")
def login_form(request: Request, next: str | None = None, token: str | None = None) -> Response:
    """The sign-in form, its CSRF token bound to a short-lived cookie; with `?token=` (the link
    `planner serve` prints, opened by the person) it signs in at once."""
    next_path = _safe_next(next)
    if token is not None:
        return _sign_in(request, token.strip()[:LOGIN_BODY_LIMIT], next_path)
    return _login_page(request, next_path)


def _login_page(
    request: Request, next_path: str, error: str | None = None, status: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(32)
    nav = Nav(path=request.url.path, csrf=csrf)
    response = _html(request, pages.login_page(nav, next_path, error), status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        max_age=LOGIN_CSRF_SECONDS,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
    )
    return response


def _sign_in(request: Request, token: str, next_path: str) -> Response:
    """Start a server-side session for a known token and go on; the form again otherwise."""
    ctx = _context(request)
    digest = token_digest(token) if token else b""
    if not token or ctx.tokens.identify_digest(digest) is None:
        return _login_page(request, next_path, UNKNOWN_TOKEN, 401)
    session_id, _ = ctx.sessions.create(digest)
    response = RedirectResponse(next_path, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=SESSION_TTL_SECONDS,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post(f"{PREFIX}/login")
async def login(request: Request) -> Response:
    """Check the token; start a server-side session and go where the person was going."""
    nav = Nav(path=request.url.path)
    if not _same_origin(request):
        return _forbidden(request, nav, "Sign-in requests must come from this site.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > LOGIN_BODY_LIMIT:
            return _html(request, pages.login_page(nav, "/", "Too long."), 413)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    token = (fields.get("token") or [""])[0].strip()
    next_path = _safe_next((fields.get("next") or ["/"])[0])
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = (fields.get("csrf") or [""])[0]
    if not expected or not hmac.compare_digest(expected, given):
        return _forbidden(request, nav, "The sign-in form expired; open it again and sign in.")
    return _sign_in(request, token, next_path)


@router.post(f"{PREFIX}/logout")
async def logout(request: Request) -> Response:
    """End the session (server-side) and forget its cookie."""
    found = _session(request)
    if found is not None:
        fields = parse_qs((await request.body())[:LOGIN_BODY_LIMIT].decode("utf-8", "replace"))
        given = (fields.get("csrf") or [""])[0]
        if not _same_origin(request) or not hmac.compare_digest(found[1].csrf, given):
            return _forbidden(
                request, Nav(path=request.url.path), "Sign out from the dashboard's button."
            )
        _context(request).sessions.revoke(found[0])
    response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/")
def overview(request: Request) -> Response:
    """Every plan at a glance."""
    return _page(request, pages.overview_page)


@router.get(PREFIX)
def dashboard_root() -> Response:
    """The overview lives at `/`."""
    return RedirectResponse("/", status_code=307)


@router.get(f"{PREFIX}/camps/{{camp_id}}")
def camp(request: Request, camp_id: str) -> Response:
    """One camp (by its view id), as of the chosen time."""
    nav = _signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    ctx = _context(request)
    page = camp_page.camp_page(ctx.planner, nav, camp_id[:100])
    if page is None:
        when = "" if nav.as_of is None else f" at {pages.when(nav.as_of)}"
        message = f"There is no such camp{when}."
        return _html(request, pages.error_page(nav, "No such camp", message), 404)
    return _html(request, page)


@router.get(f"{PREFIX}/areas")
def areas(request: Request) -> Response:
    """Sites by administrative area, filtered (area, status, plan, kind), map and coverage."""
    filters = area_pages.SiteFilters.from_query(request.query_params)
    return _page(request, lambda planner, nav: _some(area_pages.areas_page(planner, nav, filters)))


@router.get(f"{PREFIX}/areas/{{level}}/{{code}}")
def area(request: Request, level: str, code: str) -> Response:
    """One administrative area: its view, its sites on the map and in the coverage matrix."""
    nav = _signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    filters = area_pages.SiteFilters.from_query(request.query_params)
    page = None
    if level in AREA_LEVELS:
        page = area_pages.areas_page(_context(request).planner, nav, filters, (level, code[:100]))
    if page is None:
        when = "" if nav.as_of is None else f" at {pages.when(nav.as_of)}"
        message = f"No site carries the {level} code '{code[:100]}'{when}: unknown area."
        return _html(request, pages.error_page(nav, "Unknown area", message), 404)
    return _html(request, page)


def _some(page: Page | None) -> Page:
    assert page is not None  # without a fixed area there is always a page
    return page


@router.get(f"{PREFIX}/timeline")
def timeline(request: Request) -> Response:
    """Each camp's readiness over time."""
    return _page(request, pages.timeline_page)


@router.get(f"{PREFIX}/stockpiles")
def stockpiles(request: Request) -> Response:
    """Stock levels and the 3W table."""
    return _page(request, pages.stockpiles_page)


@router.get(f"{PREFIX}/3w.csv")
def three_w_csv(request: Request) -> Response:
    """The 3W table as CSV with HXL hashtags, as of the chosen time (a download)."""
    nav = _signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    data = pages.three_w_csv(_context(request).planner, nav.as_of)
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
    nav = _signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    limit = _context(request).settings.max_scenario_bytes
    return _html(request, pages.scenario_page(nav, limit))


@router.post(f"{PREFIX}/scenario")
async def scenario_replay(request: Request) -> Response:
    """Replay an uploaded scenario in a scratch in-memory store; show its report."""
    signed_in = _signed_in(request)
    if not isinstance(signed_in, Nav):
        return signed_in
    nav: Nav = signed_in
    ctx = _context(request)
    limit = ctx.settings.max_scenario_bytes

    def refuse(message: str, status: int) -> Response:
        return _html(request, pages.scenario_page(nav, limit, error=message), status)

    if not _same_origin(request):
        return refuse("Uploads must come from this site.", 403)

    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit + MULTIPART_OVERHEAD:
            return refuse(f"The file is larger than {limit:,} bytes.", 413)
    try:
        fields = parse_form_data(bytes(body), request.headers.get("content-type", ""))
    except ValueError as error:
        return refuse(str(error), 400)
    if not hmac.compare_digest(fields.get("csrf", (None, b""))[1], nav.csrf.encode()):
        return refuse("The form expired; reload the page and upload again.", 403)
    name, data = fields.get("file", (None, b""))
    name = (name or "upload.yaml")[:200]
    if len(data) > limit:
        return refuse(f"The file is larger than {limit:,} bytes.", 413)
    if not data.strip():
        return refuse("Choose a scenario file (YAML) to replay.", 422)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return refuse(f"The file is not UTF-8 text (byte {error.start}).", 422)
    until_text = fields.get("until", (None, b""))[1].decode("utf-8", "replace").strip()
    scenarios = ctx.planner.scenarios
    try:
        report = await ctx.scratch.replay(text, name, until_text or None)
    except scenarios.error as error:
        return refuse(str(error), 422)
    except ValueError as error:
        return refuse(f"Stop at: {error}", 422)
    except ApiProblem as problem:
        return refuse(problem.detail, problem.status)
    return _html(request, pages.scenario_page(nav, limit, report=report))


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
