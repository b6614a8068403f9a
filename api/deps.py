"""The dependencies request handlers declare with `Annotated`: context, caller, common queries."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BeforeValidator

from api.auth import Principal
from api.context import ApiContext
from api.errors import invalid, unauthorized
from api.schemas import MAX_WHOLE

bearer = HTTPBearer(
    auto_error=False,
    description="A token issued to one partner organization with one role "
    "(admin, coordinator, partner, viewer).",
)


def context_of(request: Request) -> ApiContext:
    """The app's context (planner, tokens, settings)."""
    context: ApiContext = request.app.state.api
    return context


async def get_context(request: Request) -> ApiContext:
    """The app's context, as a dependency (`async`: no trip through the thread pool)."""
    return context_of(request)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """The caller named by the bearer token; 401 without one or with an unknown one."""
    if credentials is None:
        raise unauthorized("send a bearer token: 'Authorization: Bearer TOKEN'")
    principal = context_of(request).tokens.identify(credentials.credentials)
    if principal is None:
        raise unauthorized("the bearer token is not known here")
    return principal


Context = Annotated[ApiContext, Depends(get_context)]
Caller = Annotated[Principal, Depends(authenticate)]

_UNESCAPED_PLUS = re.compile(r"^(.*\d) (\d\d(?::?\d\d)?)$")


_ISO_DATE_START = re.compile(r"^\d{4}-\d\d-\d\d")


def _restore_plus(value: object) -> object:
    """'1999-04-20T00:00:00 02:00': a '+' of the offset sent unescaped arrives as a space.

    Only ISO 8601 text is a time here: a bare number (`as_of=0.5`) is refused, not read as
    seconds since 1970."""
    if isinstance(value, str):
        value = _UNESCAPED_PLUS.sub(r"\1+\2", value.strip())
        if not _ISO_DATE_START.match(str(value)):
            raise ValueError("expected an ISO 8601 date and time with an offset")
    return value


AsOf = Annotated[
    AwareDatetime | None,
    BeforeValidator(_restore_plus),
    Query(
        description="time travel: the views as they were at this time (ISO 8601 with offset)",
        examples=["1999-04-20T00:00:00Z"],
    ),
]
After = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_WHOLE,
        description="wait (bounded) until the views include this event position, e.g. the "
        "`position` of a command's response; 503 if they do not catch up in time",
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_WHOLE, description="items to skip")]


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """Refuse (422) query parameters the operation does not declare: a misspelt filter must
    not silently return everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = _query_names(dependant)
    for name in request.query_params:
        if name not in known:
            takes = ", ".join(sorted(known)) or "none"
            raise invalid(
                f"unknown query parameter {name[:40]!r}; this operation takes: {takes}",
                field=name[:40],
            )
