"""Partners: the registry of organizations (admin tokens write it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.commands import add_command_route
from api.deps import Caller, Context
from api.reads import json_response, not_found
from api.schemas import PartnerState, Problem, Slug
from domain.errors import NotFoundError
from domain.partner import Partner

router = APIRouter(prefix="/partners", tags=["partners"])

add_command_route(
    router,
    "",
    "register_partner",
    summary="Register a partner organization",
    description="Enter an organization in the registry (admin tokens only).",
)
add_command_route(
    router,
    "/{partner}/withdraw",
    "withdraw_partner",
    summary="Withdraw a partner",
    description="The partner stays on record but no longer counts (admin tokens only).",
)


@router.get(
    "/{partner}",
    response_model=PartnerState,
    responses={404: {"model": Problem}},
    summary="A partner as the registry holds it",
)
def get_partner(
    ctx: Context, _: Caller, partner: Annotated[Slug, Path(description="partner slug")]
) -> Response:
    """Read from the event store (the registry has no readiness view); ETag is its version."""
    try:
        org = ctx.planner.service.load("partner", partner, Partner)
    except NotFoundError:
        raise not_found("partner", partner, None) from None
    doc: dict[str, object] = {
        "partner": org.slug,
        "id": str(org.id),
        "name": org.name,
        "kind": org.kind,
        "sectors": org.sectors,
        "active": org.active,
        "version": org.version,
    }
    return json_response(doc, headers={"ETag": f'"{org.version}"'})
