"""The dashboard's pipeline page: a plan's (or an area's) supply pipeline per item as bars, the
suggested matches of open offers to its camps, each with a one-click accept for whoever may
accept it, and the open offers nobody needs, each with a decline for whoever may decline it.

Buttons are shown by the rights table itself (`domain.rights.authorize`, asked without running
anything) and only for the current state: accepting acts now, not at an as-of time. The forms
post to `api.routers.dashboard_pipeline`, which runs the command with the API's machinery, so a
forged post is refused by the same rights check.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from api.auth import Principal
from api.dashboard.charts import status_label
from api.dashboard.markup import Html, h, join
from api.dashboard.pages import PREFIX, Nav, Page
from api.policy import actor_of
from api.ports import Planner
from domain.base import PlannerAggregate
from domain.errors import NotFoundError, PlannerError
from domain.rights import authorize
from domain.service import PlannerService
from projections.matching import match
from projections.pipeline import (
    in_scope,
    read_views,
    scoped_pipeline,
    takes_from,
)

A = TypeVar("A", bound=PlannerAggregate)

# The bars of an item's chart, top to bottom: (figure, label, CSS class); committed is stacked.
BARS = (
    ("uncommitted", "still needed", "pl-need"),
    ("offered", "offered", "pl-offered"),
    ("committed", "committed", ""),
    ("delivered", "delivered", "pl-delivered"),
    ("distributed", "distributed", "pl-distributed"),
)
COMMITTED_SEGMENTS = (
    ("reserved", "reserved", "pl-reserved"),
    ("accepted", "accepted", "pl-accepted"),
    ("in_transit", "in transit", "pl-transit"),
)
FORM_COMMANDS = ("accept_offer", "decline_offer")


def pipeline_path(scope: str, code: str) -> str:
    """The dashboard path of a plan's or an area's pipeline page."""
    if scope == "plan":
        return f"{PREFIX}/plans/{code}/pipeline"
    return f"{PREFIX}/areas/{scope}/{code}/pipeline"


def pipeline_chart(row: Mapping[str, Any]) -> Html:
    """One item's pipeline as horizontal bars on one scale (the item's largest figure)."""
    label_w, bar_w, bar_h, gap = 150.0, 380.0, 24.0, 8.0
    scale = max((row[figure] for figure, _, _ in BARS), default=0) or 1
    parts: list[Html] = []
    for index, (figure, label, css) in enumerate(BARS):
        y = index * (bar_h + gap)
        parts.append(h('<text x="0" y="{}">{}</text>', _n(y + bar_h - 5), label))
        segments = COMMITTED_SEGMENTS if figure == "committed" else ((figure, label, css),)
        x = label_w
        for part, _, part_css in segments:
            width = bar_w * row[part] / scale
            if width > 0:
                parts.append(
                    h(
                        '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}"></rect>',
                        part_css,
                        _n(x),
                        _n(y),
                        _n(max(width, 2.0)),
                        _n(bar_h),
                    )
                )
                x += width
        value = row[figure]
        parts.append(h('<text x="{}" y="{}">{}</text>', _n(x + 6), _n(y + bar_h - 5), f"{value:,}"))
    height = len(BARS) * (bar_h + gap)
    width = label_w + bar_w + 110
    summary = ", ".join(f"{label} {row[f]:,}" for f, label, _ in BARS)
    title = f"{row['item'].replace('_', ' ')}: {summary}"
    return h(
        '<svg class="chart pipeline" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        title,
        _n(width),
        _n(height),
        title,
        join(parts),
    )


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _StoredFacts:
    """What the rights table reads, straight from the store: unlike the service's own `load`,
    never through (nor into) the unit of work of a command group running in another thread."""

    def __init__(self, service: PlannerService) -> None:
        self.service = service

    def load(self, kind: str, slug: str, cls: type[A]) -> A:
        """The entity of this kind and slug as stored (NotFoundError if none)."""
        aggregate = self.by_id(self.service.id_of(kind, slug))
        if not isinstance(aggregate, cls):
            raise NotFoundError(kind, slug)
        return aggregate

    def by_id(self, aggregate_id: UUID) -> Any:
        """The aggregate of this id as stored."""
        try:
            return self.service.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError("entity", str(aggregate_id)) from None


@dataclass
class _Rights:
    """Whether the signed-in person may run a command, asked of the rights table once per
    entity that decides it (the camp for an accept, the offer for a decline)."""

    planner: Planner
    principal: Principal | None
    live: bool  # the current state (no as-of time): only then are there buttons

    def __post_init__(self) -> None:
        self.known: dict[tuple[str, str], bool] = {}

    def may(self, command: str, decided_by: str, args: Mapping[str, object]) -> bool:
        """True if the rights table lets the signed-in token run this command now."""
        if not self.live or self.principal is None:
            return False
        key = (command, decided_by)
        if key not in self.known:
            try:
                facts = _StoredFacts(self.planner.service)
                authorize(facts, actor_of(self.principal), command, args)
                self.known[key] = True
            except PlannerError:  # no right, or an entity gone meanwhile
                self.known[key] = False
        return self.known[key]


def pipeline_page(
    planner: Planner,
    nav: Nav,
    scope: str,
    code: str,
    *,
    notice: str | None = None,
    error: str | None = None,
) -> Page | None:
    """A plan's or an area's pipeline, its suggested matches and its unneeded offers; None if
    there is no such plan or area at the time shown."""
    views = read_views(planner.queries, nav.as_of)
    found = scoped_pipeline(views, scope, code)
    if found is None:
        return None
    rights = _Rights(planner, nav.principal, live=nav.as_of is None)
    camps = [c for c in views.camps if in_scope(c, scope, code)]
    usable = [o for o in views.offers if takes_from(o, found["plans"])]
    offers = {o["offer"]: o for o in usable}
    suggestions = []
    for suggestion in match(camps, usable):
        args = {k: suggestion[k] for k in ("offer", "camp", "quantity")}
        suggestions.append(
            {
                **suggestion,
                "status_label": status_label(suggestion["camp_status"]),
                "may_accept": rights.may("accept_offer", suggestion["camp"], args),
                "key": secrets.token_urlsafe(16),
            }
        )
    unneeded = []
    for slug in found["not_needed"]:
        args = {"offer": slug, "reason": "not_needed"}
        unneeded.append(
            {
                "offer": offers[slug],
                "may_decline": rights.may("decline_offer", slug, args),
                "key": secrets.token_urlsafe(16),
            }
        )
    if scope == "plan":
        plan = next(p for p in views.plans if p["plan"] == code)
        title, back = f"Pipeline: {plan['title']}", nav.link("/")
    else:
        title, back = f"Pipeline: area {scope} {code}", nav.link(f"{PREFIX}/areas/{scope}/{code}")
    context = {
        "pipeline": found,
        "charts": [(row, pipeline_chart(row)) for row in found["items"]],
        "suggestions": suggestions,
        "unneeded": unneeded,
        "action": pipeline_path(scope, code) + "/offers",
        "back": back,
        "notice": notice,
        "error": error,
        "live": rights.live,
        "segments": COMMITTED_SEGMENTS,
        "bars": BARS,
    }
    return Page(nav, "pipeline.html", title, context)
