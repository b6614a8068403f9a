"""Every error the API answers with, as RFC 9457 problem details, mapped in this one place.

A problem document has `type` (a URN naming the kind of problem), `title` (the same for every
problem of that type), `status`, `detail` (what went wrong this time, in words a planner
understands), `instance` (the request path) and `field` (the offending field, or null), plus
`rule` for domain refusals and `errors` for validation failures. Unexpected errors become a
bare 500 problem: no stack trace, no exception text leaves the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from domain.commands import ArgumentError
from domain.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    DomainRefusal,
    NotFoundError,
    PlannerError,
    VersionMismatchError,
)
from domain.rights import RightsError

PROBLEM_JSON = "application/problem+json"
_TYPE_PREFIX = "urn:response-planner:problem:"


def problem_type(kind: str) -> str:
    """The `type` URI of a kind of problem (e.g. `domain-refusal`)."""
    return _TYPE_PREFIX + kind


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def unauthorized(detail: str) -> ApiProblem:
    """401: no token, or a token nobody issued."""
    return ApiProblem(
        401,
        "unauthorized",
        "Authentication required",
        detail,
        field="Authorization",
        headers={"WWW-Authenticate": 'Bearer realm="response-planner"'},
    )


def forbidden(detail: str, *, field: str | None = None) -> ApiProblem:
    """403: a known token asking for something outside its rights."""
    return ApiProblem(403, "forbidden", "Not allowed for this token", detail, field=field)


def invalid(detail: str, *, field: str | None = None) -> ApiProblem:
    """422: a request that is well-formed but not acceptable."""
    return ApiProblem(422, "validation", "Invalid request", detail, field=field)


def precondition_failed(detail: str) -> ApiProblem:
    """412: If-Match did not hold; nothing was changed."""
    return ApiProblem(412, "precondition-failed", "Precondition failed", detail, field="If-Match")


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """A problem+json response, serialized once with orjson."""
    doc: dict[str, object] = {
        "type": problem_type(kind),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "field": field,
    }
    if extra:
        doc.update(extra)
    return Response(
        orjson.dumps(doc, default=str),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


# -- the mapping of domain errors to HTTP -------------------------------------------------------

# (error class, status, problem kind, title), most specific first.
DOMAIN_ERRORS: Sequence[tuple[type[PlannerError], int, str, str]] = (
    (RightsError, 403, "forbidden", "Not allowed for this token"),
    (VersionMismatchError, 412, "precondition-failed", "Precondition failed"),
    (NotFoundError, 404, "not-found", "No such entity"),
    (AlreadyExistsError, 409, "already-exists", "The slug is taken"),
    (ConcurrencyError, 409, "concurrent-change", "Changed by another writer"),
    (DomainRefusal, 409, "domain-refusal", "Refused by a domain rule"),
    (PlannerError, 409, "refused", "Refused"),
)


def _planner_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PlannerError)
    status, kind, title = next(
        (status, kind, title)
        for cls, status, kind, title in DOMAIN_ERRORS
        if isinstance(error, cls)
    )
    extra: dict[str, object] = {}
    headers: dict[str, str] = {}
    field = getattr(error, "field", None)
    if isinstance(error, DomainRefusal):
        extra["rule"] = error.rule
    elif isinstance(error, NotFoundError | AlreadyExistsError):
        field = field or error.kind
        extra |= {"entity": error.kind, "slug": error.slug}
        if isinstance(error, AlreadyExistsError):
            extra["rule"] = "slugs are unique per kind"
    elif isinstance(error, VersionMismatchError):
        field = "If-Match"
        extra |= {"expected_version": error.expected, "actual_version": error.actual}
        headers["ETag"] = f'"{error.actual}"'
    elif isinstance(error, ConcurrencyError):
        extra["rule"] = "one writer at a time per entity"
        headers["Retry-After"] = "1"
    return problem_response(
        status,
        kind,
        title,
        str(error),
        instance=request.url.path,
        field=field,
        headers=headers,
        extra=extra,
    )


def _api_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiProblem)
    return problem_response(
        error.status,
        error.kind,
        error.title,
        error.detail,
        instance=request.url.path,
        field=error.field,
        headers=error.headers,
        extra=error.extra,
    )


def _argument_error(request: Request, error: Exception) -> Response:
    return problem_response(
        422,
        "validation",
        "Invalid request",
        str(error),
        instance=request.url.path,
        field=getattr(error, "field", None),
    )


def _scenario_error(request: Request, error: Exception) -> Response:
    """An invalid scenario file (`api.ports.ScenarioUseCases.error`): 422 naming step and line."""
    return problem_response(
        422,
        "invalid-scenario",
        "Invalid scenario file",
        str(error),
        instance=request.url.path,
        field="body",
        extra={
            "ok": False,
            **{key: getattr(error, key, None) for key in ("step", "check", "line")},
        },
    )


_LONG_EXPECTATION = 120


def _validation_message(error: Mapping[str, Any]) -> tuple[str, str | None]:
    loc = [str(part) for part in error.get("loc", ())]
    where, path = (loc[0], loc[1:]) if loc else ("body", [])
    field = ".".join(path) or (where if where != "body" else None)
    kind = error.get("type", "")
    if kind == "missing" and not path and where == "body":
        return "a JSON body is required", "body"
    if kind == "json_invalid":
        return f"the body is not valid JSON: {error.get('ctx', {}).get('error', '')}", "body"
    message = str(error.get("msg", "invalid"))
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        if len(expected) > _LONG_EXPECTATION:
            count = expected.count("'") // 2
            message = (
                f"Input should be one of the {count} values listed in the schema ({expected[:60]}…)"
            )
        message += f", got {error.get('input')!r}"
    elif kind == "extra_forbidden":
        message = "unknown field; the schema lists the fields this request takes"
    elif "input" in error and kind not in ("missing",):
        shown = repr(error["input"])
        if len(shown) <= 60:
            message += f", got {shown}"
    label = field or where
    where_text = f"{where} " if where in ("query", "path", "header") else ""
    return f"{where_text}'{label}': {message}", field


def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    details = [_validation_message(e) for e in errors]
    detail = "; ".join(message for message, _ in details[:5]) or "invalid request"
    if len(details) > 5:
        detail += f"; and {len(details) - 5} more"
    listed = [
        {"field": field, "location": str(e.get("loc", ("",))[0]), "message": message}
        for (message, field), e in zip(details, errors, strict=True)
    ]
    return problem_response(
        422,
        "validation",
        "Invalid request",
        detail,
        instance=request.url.path,
        field=details[0][1] if details else None,
        extra={"errors": listed},
    )


_HTTP_KINDS = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "No such resource"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


_BODY_NOT_PARSED = "There was an error parsing the body"


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and error.detail == _BODY_NOT_PARSED:
        # FastAPI's answer to a body that is not text in its declared encoding: as invalid
        # as malformed JSON, and answered alike.
        return problem_response(
            422,
            "validation",
            "Invalid request",
            "the body is not valid JSON: it is not UTF-8 text",
            instance=request.url.path,
            field="body",
            extra={"errors": [{"field": "body", "location": "body", "message": "not UTF-8 text"}]},
        )
    kind, title = _HTTP_KINDS.get(error.status_code, ("http-error", "HTTP error"))
    detail = error.detail if isinstance(error.detail, str) else title
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(
        error.status_code,
        kind,
        title,
        detail,
        instance=request.url.path,
        headers=headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if route_methods and match is not Match.NONE:
            methods |= set(route_methods)
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _server_error(request: Request, error: Exception) -> Response:
    return problem_response(
        500,
        "internal",
        "Internal server error",
        "the server failed to answer this request; it has been logged",
        instance=request.url.path,
    )


DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)
try:  # PostgreSQL errors, when the driver is installed
    import psycopg

    DATABASE_ERRORS += (psycopg.Error,)
except ImportError:  # pragma: no cover - psycopg is a dependency
    pass
try:
    from eventsourcing.persistence import PersistenceError

    DATABASE_ERRORS += (PersistenceError,)
except ImportError:  # pragma: no cover
    pass


def _database_error(request: Request, error: Exception) -> Response:
    return problem_response(
        503,
        "database-unavailable",
        "Database unavailable",
        "the database did not answer; try again shortly",
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI, *, scenario_error: type[Exception]) -> None:
    """Register every mapping of errors to problem responses on the app."""
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(PlannerError, _planner_error)
    app.add_exception_handler(ArgumentError, _argument_error)
    app.add_exception_handler(scenario_error, _scenario_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error_class in DATABASE_ERRORS:
        app.add_exception_handler(error_class, _database_error)
    app.add_exception_handler(500, _server_error)
