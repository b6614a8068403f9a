"""The dependencies request handlers declare with `Annotated`: context, caller, common queries."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BeforeValidator

from api.auth import Principal
from api.context import ApiContext
from api.errors import unauthorized
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


def _restore_plus(value: object) -> object:
    """'1999-04-20T00:00:00 02:00': a '+' of the offset sent unescaped arrives as a space."""
    if isinstance(value, str):
        return _UNESCAPED_PLUS.sub(r"\1+\2", value.strip())
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
