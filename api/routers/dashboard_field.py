"""The dashboard's page of field commands and conflicts (docs/field.md): at headquarters every
conflict with its refusal and resolution; in a field instance also its own commands, each with
what became of it. Resolving stays an API and CLI action (it needs a coordinator's token)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.dashboard.pages import PREFIX, Nav, Page
from api.ports import Planner
from api.routers.dashboard_session import page_response

router = APIRouter(include_in_schema=False)


@router.get(f"{PREFIX}/conflicts")
def conflicts(request: Request) -> Response:
    """Conflicts (open first) and, in a field instance, its outbox."""
    return page_response(request, conflicts_page)


def conflicts_page(planner: Planner, nav: Nav) -> Page:
    """The page: the conflicts headquarters recorded, and a field's own commands."""
    listed = planner.sync.conflicts(open_only=False)
    listed.sort(key=lambda c: (c["resolution"] is not None, c["position"]))
    status = planner.sync.status()
    outbox = planner.sync.outbox() if status["field"] else []
    return Page(
        nav,
        "conflicts.html",
        "Field commands and conflicts",
        {"conflicts": listed, "status": status, "outbox": outbox},
        as_of_control=False,
    )
