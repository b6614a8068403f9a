"""Liveness and readiness probes (public: no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context
from api.errors import DATABASE_ERRORS
from api.reads import json_response
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process answers")
async def healthz() -> Response:
    """Always 200 while the process runs."""
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "the database does not answer, events are quarantined, or the "
            "views lag too far behind",
        }
    },
    summary="The database answers, nothing is quarantined, the views keep up",
)
def readyz(ctx: Context) -> Response:
    """200 when the event store and the views answer, no event is quarantined and the views
    lag at most `ready_max_lag` events; else 503 saying which."""
    follower = ctx.planner.follower
    projector = "external" if ctx.settings.projector == "external" else "in-process"
    if follower.error is not None:
        projector = f"error: {type(follower.error).__name__}"
    try:
        last = ctx.last_position()
        views = ctx.views_position()
        quarantined = len(ctx.planner.views.quarantined_positions())
    except DATABASE_ERRORS as error:
        doc: dict[str, object] = {
            "status": "unavailable",
            "database": f"error: {type(error).__name__}",
            "last_position": None,
            "views_position": None,
            "lag": None,
            "projector": projector,
            "quarantined": None,
        }
        return json_response(doc, status=503, headers={"Retry-After": "1"})
    lag = max(0, last - views)
    status = (
        "quarantined" if quarantined else "lagging" if lag > ctx.settings.ready_max_lag else "ready"
    )
    ready: dict[str, object] = {
        "status": status,
        "database": "ok",
        "last_position": last,
        "views_position": views,
        "lag": lag,
        "projector": projector,
        "quarantined": quarantined,
    }
    if status != "ready":
        return json_response(ready, status=503, headers={"Retry-After": "5"})
    return json_response(ready)
