"""Helpers of the query endpoints: bounded waiting, pagination, one-pass orjson responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from fastapi import Response

from api.context import ApiContext
from api.errors import ApiProblem

JSON = "application/json"
POSITION_HEADER = "X-Views-Position"


def json_response(
    doc: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Serialize once with orjson into a Response."""
    return Response(
        orjson.dumps(doc, default=str), status_code=status, media_type=JSON, headers=headers
    )


def caught_up(ctx: ApiContext, after: int | None) -> dict[str, str]:
    """Wait until the views include `after` (bounded); the headers to answer with.

    Raises a 503 problem (with Retry-After) if the views do not catch up in time.
    """
    if after is None:
        return {}
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


def page(items: Sequence[Any], limit: int, offset: int) -> dict[str, Any]:
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
