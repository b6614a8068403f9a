"""Signing in to the dashboard, and what every dashboard page shares: the session cookie, the
CSRF checks, the security headers, the page rendering.

A person signs in with an API token (any role: a viewer token suffices). The cookie holds only a
random server-side session id (`api.sessions`: HttpOnly, SameSite=Strict, Secure unless served
over plain HTTP to a loopback address, expiring after 8 hours); the token behind the session is
checked against the token registry on every request, and signing out deletes the session.
Every form carries a CSRF token (the sign-in form's is bound to a short-lived cookie, the others
to the session) and every POST must come from this site (Origin, else Referer, when the browser
sends one). Without a session, pages redirect to the sign-in form.
None of these routes is part of the OpenAPI document.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import Principal, token_digest
from api.context import ApiContext
from api.dashboard import pages
from api.dashboard.field_banner import field_notes
from api.dashboard.pages import PREFIX, Nav, Page
from api.dashboard.templating import templates
from api.ports import Planner
from api.sessions import SESSION_TTL_SECONDS, Session

router = APIRouter(include_in_schema=False)

COOKIE = "planner_session"
LOGIN_CSRF_COOKIE = "planner_login_csrf"
LOGIN_CSRF_SECONDS = 3600
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOGIN_BODY_LIMIT = 16_384
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def api_context(request: Request) -> ApiContext:
    """The API's context (planner, tokens, sessions, settings) of the app serving the request."""
    context: ApiContext = request.app.state.api
    return context


def _session(request: Request) -> tuple[str, Session] | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    session = api_context(request).sessions.get(session_id)
    return None if session is None else (session_id, session)


def _principal(request: Request) -> Principal | None:
    found = _session(request)
    if found is None:
        return None
    return api_context(request).tokens.identify_digest(found[1].token_digest)


def _secure(request: Request) -> bool:
    """Cookies are Secure unless the page is served over plain HTTP to a loopback address."""
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


def same_origin(request: Request) -> bool:
    """A POST comes from this site: its Origin (else Referer), if sent, names this host."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # not a browser's cross-site request (browsers send Origin on POSTs)
    return urlsplit(source).netloc == request.headers.get("host", request.url.netloc)


def _forbidden(request: Request, nav: Nav, why: str) -> Response:
    return html_response(request, pages.error_page(nav, "Refused", why), 403)


def html_response(request: Request, page: Page, status: int = 200) -> HTMLResponse:
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
    quarantined = len(api_context(request).planner.views.quarantined_positions())
    if quarantined:
        nav.alerts.append(
            f"{quarantined} stored event(s) could not be projected and are quarantined: the "
            "views skip them, so they may be incomplete. An operator should look at /readyz "
            "and `planner rebuild`."
        )
    nav.notes.extend(field_notes(api_context(request).planner.sync.status()))
    return nav


def signed_in(request: Request) -> Nav | Response:
    """The page's navigation for a signed-in person, or the redirect to the sign-in form."""
    principal = _principal(request)
    if principal is None:
        return _to_login(request)
    return _nav(request, principal)


def page_response(request: Request, render: Callable[[Planner, Nav], Page]) -> Response:
    """A page of the views for a signed-in person, or the redirect to the sign-in form."""
    nav = signed_in(request)
    if not isinstance(nav, Nav):
        return nav
    return html_response(request, render(api_context(request).planner, nav))


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
    response = html_response(request, pages.login_page(nav, next_path, error), status)
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
    ctx = api_context(request)
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


class FormRefused(NamedTuple):
    """Why a signed-in page's form post is refused before it is read: status and message."""

    status: int
    error: str


async def session_form(request: Request, nav: Nav, limit: int) -> dict[str, str] | FormRefused:
    """A signed-in form post's fields, once it came from this site, fits in `limit` bytes and
    carries the session's CSRF token; otherwise why it is refused."""
    if not same_origin(request):
        return FormRefused(403, "Forms must be sent from this site.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return FormRefused(413, "The form is too large.")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not hmac.compare_digest(fields.get("csrf", "").encode(), nav.csrf.encode()):
        return FormRefused(403, "The form expired; reload the page and try again.")
    return fields


@router.post(f"{PREFIX}/login")
async def login(request: Request) -> Response:
    """Check the token; start a server-side session and go where the person was going."""
    nav = Nav(path=request.url.path)
    if not same_origin(request):
        return _forbidden(request, nav, "Sign-in requests must come from this site.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > LOGIN_BODY_LIMIT:
            return html_response(request, pages.login_page(nav, "/", "Too long."), 413)
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
        if not same_origin(request) or not hmac.compare_digest(found[1].csrf, given):
            return _forbidden(
                request, Nav(path=request.url.path), "Sign out from the dashboard's button."
            )
        api_context(request).sessions.revoke(found[0])
    response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
