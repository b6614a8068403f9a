"""The dashboard's pages: each gathers its views (as of a time) into what its template shows.

Read-only over the planner's readiness views (`ReadinessQueries` and the view store's
history); the scenario page shows a replay report made elsewhere (`planner.replay`). The HTML
is in `templates/` (Jinja2, autoescaped); `templating.render` makes the response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from api.auth import Principal
from api.dashboard.chart_series import camp_chart, camp_points, shared_windows
from api.dashboard.charts import status_label, stock_bar
from api.dashboard.templating import PREFIX, money, number, when
from api.ports import Planner
from api.three_w import three_w_csv as write_three_w_csv
from domain.catalog import (
    CONSUMABLES,
    TRIPARTITE_KINDS,
)
from projections.areas import CAMP_STATUSES, area_views
from projections.queries import THREE_W_COLUMNS

__all__ = ["PREFIX", "Nav", "Page", "parse_as_of", "when"]


TIMELINE_ROWS = 200


CAMP_TILES = 24  # a plan with more camps links to the areas page instead of a tile each
OVERVIEW_AREA_ROWS = 40  # more areas than this: the overview lists the adm1 areas only


MENU = (
    ("/", "Overview"),
    (f"{PREFIX}/areas", "Areas"),
    (f"{PREFIX}/timeline", "Timeline"),
    (f"{PREFIX}/stockpiles", "Stockpiles & 3W"),
    (f"{PREFIX}/scenario", "Scenario"),
)


KIND_LABELS = {"ngo": "NGO", "business": "business", "government": "government"}


GROUP_LABELS = {
    "under5": "children under 5",
    "elderly": "elderly",
    "disabled": "people with disabilities",
    "pregnant_lactating": "pregnant or lactating women",
    "unaccompanied_minors": "unaccompanied minors",
}


FACILITY_LABELS = {
    "latrine": "latrine",
    "water_tap": "water tap",
    "health_post": "health post",
    "waste_container": "waste container",
    "bathing_shelter": "bathing shelter",
}


SWATCHES = tuple(zip(CONSUMABLES, ("━━", "╍╍", "┈┈"), strict=False))  # the lines' dash styles


@dataclass
class Nav:
    """What every page knows: who is looking, at which moment, and on which page."""

    path: str
    principal: Principal | None = None
    as_of: datetime | None = None
    as_of_error: str | None = None
    alerts: list[str] = field(default_factory=list)  # shown on every page (e.g. quarantine)
    notes: list[str] = field(default_factory=list)  # shown on every page (a field's sync)
    csrf: str = ""  # the session's (or the sign-in form's) CSRF token, carried by every form

    def link(self, path: str, **params: str) -> str:
        """A dashboard URL that keeps the as-of time."""
        query = {k: v for k, v in params.items() if v}
        if self.as_of is not None:
            query["as_of"] = self.as_of.isoformat()
        return path + ("?" + urlencode(query) if query else "")


@dataclass
class Page:
    """A page to render: its template, its title and what the template shows."""

    nav: Nav
    template: str
    title: str
    context: Mapping[str, object] = field(default_factory=dict)
    chrome: bool = True  # the header: navigation, as-of control, who is signed in
    as_of_control: bool = True

    def template_context(self) -> dict[str, object]:
        """Everything the template sees."""
        return {
            "nav": self.nav,
            "title": self.title,
            "chrome": self.chrome,
            "as_of_control": self.as_of_control,
            "menu": MENU,
            **self.context,
        }


def parse_as_of(text: str | None) -> datetime | None:
    """An as-of time from a query string: ISO 8601; without an offset it is UTC.

    Accepts what a datetime-local input sends (2001-10-17T08:30), a date, and full ISO 8601
    (a '+' of the offset that arrived as a space is restored). Raises ValueError otherwise.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) > 40:
        raise ValueError("too long for a date and time")
    if len(value) > 19 and value[-6] == " ":
        value = value[:-6] + "+" + value[-5:]
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def login_page(nav: Nav, next_path: str, error: str | None = None) -> Page:
    """The sign-in form: a bearer token of the API (any role can look)."""
    context = {"next_path": next_path, "error": error}
    return Page(nav, "login.html", "Sign in", context, chrome=False)


def error_page(nav: Nav, title: str, message: str) -> Page:
    """A page saying what is missing, in the dashboard's frame."""
    return Page(nav, "error.html", title, {"message": message})


def overview_page(planner: Planner, nav: Nav) -> Page:
    """Every plan: lifecycle, tripartite badge, its camps by status, population, pool balance;
    the areas' roll-ups. Reads the camps of the plans small enough to show a tile per camp only,
    so the page costs about the same with 20 sites or 2,000."""
    queries = planner.queries
    plans = queries.views("plan", as_of=nav.as_of)
    sites = {plan["id"]: sum(plan.get("camps", {}).values()) for plan in plans}
    small = {plan_id for plan_id, n in sites.items() if 0 < n <= CAMP_TILES}
    tiles, areas = _tiles_and_areas(planner, nav, small)
    cards: list[dict[str, object]] = []
    for plan in plans:
        missing = set(plan.get("missing_kinds", []))
        balance = plan.get("pool_balance") or {}
        cards.append(
            {
                "plan": plan,
                "kinds": [(k, KIND_LABELS[k], k in missing) for k in TRIPARTITE_KINDS],
                "balance": ", ".join(money(v, c) for c, v in balance.items()),
                "counts": ", ".join(
                    f"{n} {status_label(s)}" for s, n in plan.get("camps", {}).items() if n
                ),
                "sites": sites[plan["id"]],
                "camps": sorted(tiles.get(plan["id"], []), key=lambda c: c["camp"]),
            }
        )
    groups = area_groups(areas, nav)
    collapsed = len(groups) > OVERVIEW_AREA_ROWS  # adm1 areas only; their pages list the rest
    context = {
        "cards": cards,
        "areas": [g for g in groups if g["view"]["level"] == "adm1"] if collapsed else groups,
        "areas_collapsed": collapsed,
        "statuses": CAMP_STATUSES,
        "camp_tiles": CAMP_TILES,
    }
    return Page(nav, "overview.html", "Overview", context)


def _tiles_and_areas(
    planner: Planner, nav: Nav, plan_ids: set[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The camp views of these plans, by plan, and every area's view: now, the plans' camps and
    the areas' roll-ups; as of a past time, from one read of the camps then."""
    queries = planner.queries
    if nav.as_of is None:
        tiles = {plan_id: queries.views("camp", plan_id=plan_id) for plan_id in plan_ids}
        return tiles, queries.areas()
    camps = queries.views("camp", as_of=nav.as_of)
    by_plan: dict[str, list[dict[str, object]]] = {}
    for camp in camps:
        if camp["plan_id"] in plan_ids:
            by_plan.setdefault(camp["plan_id"], []).append(camp)
    return by_plan, area_views(camps)


def area_groups(views: Sequence[Mapping[str, Any]], nav: Nav) -> list[dict[str, Any]]:
    """Area views (adm1 areas, each followed by its adm2 areas) as table rows linking to their
    pages."""
    return [
        {
            "view": view,
            "link": nav.link(f"{PREFIX}/areas/{view['level']}/{view['area']}"),
            "uncovered": ", ".join(f"{s} {n}" for s, n in view["uncovered"].items()),
        }
        for view in views
    ]


def timeline_page(planner: Planner, nav: Nav) -> Page:
    """Each camp's status and days of cover over time; the status changes as a table."""
    camps = sorted(
        planner.queries.views("camp", as_of=nav.as_of), key=lambda c: (c["plan"], c["camp"])
    )
    series = {camp["id"]: camp_points(planner, camp["id"], nav.as_of) for camp in camps}
    windows = shared_windows(nav, series)  # the camps of one crisis line up
    charts = []
    for camp in camps:
        chart = camp_chart(planner, nav, camp, series[camp["id"]], windows.get(camp["id"]))
        if chart is not None:
            charts.append({"camp": camp, "chart": chart})
    changes = planner.queries.timeline(as_of=nav.as_of)
    context = {
        "swatches": SWATCHES,
        "charts": charts,
        "changes": list(reversed(changes[-TIMELINE_ROWS:])),
    }
    return Page(nav, "timeline.html", "Readiness timeline", context)


def _level_rows(items: Mapping[str, Mapping[str, int]]) -> list[dict[str, object]]:
    return [
        {"item": item, "levels": levels, "bar": stock_bar(item, levels)}
        for item, levels in items.items()
    ]


def stockpiles_page(planner: Planner, nav: Nav) -> Page:
    """Levels per item per stockpile and in total; the 3W table with its CSV download."""
    queries = planner.queries
    depots = [
        {"view": depot, "items": _level_rows(depot["items"])}
        for depot in sorted(
            queries.views("stockpile", as_of=nav.as_of), key=lambda d: d["stockpile"]
        )
    ]
    columns = ["plan", "camp", *(name for name, _ in THREE_W_COLUMNS)]
    rows = [
        [(c, _cell(c, row.get(c))) for c in columns]
        for row in queries.who_does_what(as_of=nav.as_of)
    ]
    context = {
        "totals": _level_rows(queries.stock_totals(as_of=nav.as_of)),
        "depots": depots,
        "columns": columns,
        "tags": ["", "", *(tag for _, tag in THREE_W_COLUMNS)],
        "rows": rows,
    }
    return Page(nav, "stockpiles.html", "Stockpiles and 3W", context)


def _cell(column: str, value: Any) -> str:
    if column == "since" and value:
        return when(value).removesuffix(" UTC")
    if column == "population":
        return number(value)
    return "" if value is None else str(value)


def three_w_csv(planner: Planner, as_of: datetime | None) -> bytes:
    """The 3W table as the API's /3w.csv writes it: header, HXL hashtag row, one row per lead."""
    return write_three_w_csv(planner.queries.who_does_what(as_of=as_of))


def scenario_page(
    nav: Nav,
    max_bytes: int,
    *,
    report: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> Page:
    """The upload form, with a replay report or the reason a file was refused."""
    entities = (
        sorted({name for snap in report["readiness"] for name in snap["entities"]})
        if report is not None
        else []
    )
    context = {
        "max_kb": max_bytes // 1000,
        "report": report,
        "error": error,
        "entities": entities,
    }
    return Page(nav, "scenario.html", "Scenario replay", context, as_of_control=False)
