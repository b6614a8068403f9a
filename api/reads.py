"""Helpers of the query endpoints: bounded waiting, pagination, one-pass orjson responses."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import After, AsOf, Caller, context_of
from api.errors import ApiProblem
from api.schemas import Problem, Slug
from projections.logistics import TIMED_KINDS
from projections.shapes import ViewDoc

JSON = "application/json"
POSITION_HEADER = "X-Views-Position"


def json_response(
    doc: object, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Serialize once with orjson into a Response."""
    return Response(
        orjson.dumps(doc, default=str), status_code=status, media_type=JSON, headers=headers
    )


def caught_up(ctx: ApiContext, after: int | None) -> dict[str, str]:
    """Wait until the views include `after` (bounded); the headers to answer with.

    Raises a 503 problem (with Retry-After) if the views do not catch up in time, and a 409
    problem at once for a position beyond the last stored event (well-formed, but no such
    event exists yet: waiting cannot help).
    """
    if after is None:
        return {}
    if ctx.views_position() < after and after > ctx.last_position():
        # No command has been answered with this position: waiting cannot help.
        raise ApiProblem(
            409,
            "position-not-stored",
            "No such position yet",
            f"query 'after': no event has been stored at position {after} yet "
            f"(the last is {ctx.last_position()}); pass the `position` of a command's response",
            field="after",
        )
    if not ctx.wait_for(after, ctx.settings.wait_timeout):
        position = ctx.views_position()
        raise ApiProblem(
            503,
            "not-caught-up",
            "Views not caught up",
            f"the views include events up to {position}, not yet {after}; "
            f"waited {ctx.settings.wait_timeout:g} s, try again",
            field="after",
            headers={"Retry-After": "1", POSITION_HEADER: str(position)},
            extra={"views_position": position, "after": after},
        )
    return {POSITION_HEADER: str(ctx.views_position())}


async def one_view(
    ctx: ApiContext, kind: str, slug: str, as_of: datetime | None, after: int | None
) -> Response:
    """One readiness view by slug, for `async def` endpoints.

    The read itself (a primary-key SELECT) serves the stored JSON as is (api.inline_views): on
    the event loop from a SQLite file, in the thread pool from PostgreSQL (with the bounded
    wait of `?after=` in the same trip). The endpoints calling this take the context from the
    request (`context_of`) rather than as a dependency, and are declared before their router's
    command routes: both save time on the hottest queries.
    """
    inline = ctx.inline_views
    if inline is not None and as_of is None and kind not in TIMED_KINDS:
        if inline.on_event_loop:
            headers = {} if after is None else await run_in_threadpool(caught_up, ctx, after)
            body = _inline_body(ctx, kind, slug)
        else:
            headers, body = await run_in_threadpool(_waited_body, ctx, kind, slug, after)
        if body is None:
            raise not_found(kind, slug, as_of)
        return Response(body, media_type=JSON, headers=headers)
    headers = {} if after is None else await run_in_threadpool(caught_up, ctx, after)
    entity_id = str(ctx.planner.service.id_of(kind, slug))
    doc = await _view(ctx, kind, entity_id, as_of)
    if doc is None and (other := replayed_id(ctx, kind, slug, entity_id)) is not None:
        doc = await _view(ctx, kind, other, as_of)
    if doc is None:
        raise not_found(kind, slug, as_of)
    return json_response(doc, headers=headers)


def _waited_body(
    ctx: ApiContext, kind: str, slug: str, after: int | None
) -> tuple[dict[str, str], bytes | None]:
    headers = caught_up(ctx, after)
    return headers, _inline_body(ctx, kind, slug)


def _inline_body(ctx: ApiContext, kind: str, slug: str) -> bytes | None:
    """The stored JSON of a view by slug (or of a replayed scenario's entity with that slug)."""
    assert ctx.inline_views is not None
    entity_id = str(ctx.planner.service.id_of(kind, slug))
    body = ctx.inline_views.get(kind, entity_id)
    if body is None and (other := replayed_id(ctx, kind, slug, entity_id)) is not None:
        body = ctx.inline_views.get(kind, other)
    return body


async def _view(
    ctx: ApiContext, kind: str, entity_id: str, as_of: datetime | None
) -> ViewDoc | None:
    if ctx.inline_reads and as_of is None:  # as-of folds events again: not on the event loop
        return ctx.planner.queries.view(kind, entity_id, as_of)
    return await run_in_threadpool(ctx.planner.queries.view, kind, entity_id, as_of)


def replayed_id(ctx: ApiContext, kind: str, slug: str, default_id: str) -> str | None:
    """The id of an entity with this slug from a replayed scenario's workspace, if exactly one.

    `planner replay` stores each scenario's entities under ids of the scenario's own namespace;
    reading them by slug should still work when the store holds one such entity.
    """
    ids = [i for i in ctx.planner.served_views.find_id(kind, slug) if i != default_id]
    return ids[0] if len(ids) == 1 else None


def add_view_route(
    router: APIRouter, kind: str, *, response_model: Any, summary: str, description: str
) -> None:
    """Add `GET /{kind}`: one readiness view by slug (`one_view`), named `get_{kind}`.

    The path parameter is named after the kind; the description is the endpoint's docstring.
    """

    async def endpoint(**values: Any) -> Response:
        return await one_view(
            context_of(values["request"]), kind, values[kind], values["as_of"], values["after"]
        )

    endpoint.__name__ = endpoint.__qualname__ = f"get_{kind}"
    endpoint.__doc__ = description
    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter("_", keyword, annotation=Caller),
            inspect.Parameter(
                kind, keyword, annotation=Annotated[Slug, Path(description=f"{kind} slug")]
            ),
            inspect.Parameter("as_of", keyword, annotation=AsOf, default=None),
            inspect.Parameter("after", keyword, annotation=After, default=None),
        ],
        return_annotation=Response,
    )
    router.add_api_route(
        f"/{{{kind}}}",
        endpoint,
        methods=["GET"],
        response_model=response_model,
        responses={404: {"model": Problem}, 503: {"model": Problem}},
        summary=summary,
    )


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, at most `limit` bytes (413 beyond, checked while it streams in);
    422 if it is empty."""
    too_large = ApiProblem(
        413,
        "too-large",
        "Request body too large",
        f"a {what} may be at most {limit} bytes",
        field="body",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise ApiProblem(
            422,
            "validation",
            "Invalid request",
            f"send the {what} as the request body",
            field="body",
        )
    return data


def page(items: Sequence[object], limit: int, offset: int) -> dict[str, object]:
    """A page of a list with its total."""
    return {
        "items": list(items[offset : offset + limit]),
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def not_found(kind: str, slug: str, as_of: datetime | None) -> ApiProblem:
    """404 for a view that does not exist (yet, or at the time asked for)."""
    when = "" if as_of is None else f" at {as_of.isoformat()}"
    return ApiProblem(
        404,
        "not-found",
        "No such entity",
        f"no {kind} '{slug}'{when}",
        field=kind,
        extra={"entity": kind, "slug": slug},
    )
