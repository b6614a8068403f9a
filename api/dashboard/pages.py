"""The dashboard's pages: each gathers its views (as of a time) and renders a whole HTML page.

Read-only over the planner's readiness views (`ReadinessQueries` and the view store's
history); the scenario page renders a replay report made elsewhere (`planner.replay`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from api.auth import Principal
from api.dashboard.charts import Point, cover_bars, readiness_timeline, status_label, stock_bar
from api.dashboard.markup import Html, esc, h, join
from domain.catalog import (
    CONSUMABLES,
    CURRENCIES,
    FACILITIES,
    PER_PERSON_ITEMS,
    SECTORS,
    TRIPARTITE_KINDS,
    VULNERABLE_GROUPS,
    standards_for,
)
from planner.wiring import Planner
from projections.queries import THREE_W_COLUMNS

PREFIX = "/dashboard"
STATIC_VERSION = "1"
TIMELINE_ROWS = 200
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


# -- navigation -----------------------------------------------------------------------------------


@dataclass
class Nav:
    """What every page knows: who is looking, at which moment, and on which page."""

    path: str
    principal: Principal | None = None
    as_of: datetime | None = None
    as_of_error: str | None = None
    alerts: list[str] = field(default_factory=list)  # shown on every page (e.g. quarantine)
    csrf: str = ""  # the session's (or the sign-in form's) CSRF token, carried by every form

    def link(self, path: str, **params: str) -> str:
        """A dashboard URL that keeps the as-of time."""
        query = {k: v for k, v in params.items() if v}
        if self.as_of is not None:
            query["as_of"] = self.as_of.isoformat()
        return path + ("?" + urlencode(query) if query else "")


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


def when(moment: datetime | str | None) -> str:
    """A time for people: 2001-10-17 08:30 UTC."""
    if moment is None:
        return "now"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(amount: int, currency: str) -> str:
    """Integer minor units as an amount: 200000000 JPY -> '200,000,000 JPY'."""
    digits = CURRENCIES.get(currency, 2)
    value = amount / 10**digits if digits else amount
    return f"{value:,.{digits}f} {currency}"


def number(value: float | int | None, places: int = 1) -> str:
    """A number for people, or a dash."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{places}f}"


def chip(status: str, text: str | None = None) -> Html:
    """A status in its colours, always with its name in words (colour is never alone)."""
    return h('<span class="chip st-{}">{}</span>', status, text or status_label(status))


# -- layout ---------------------------------------------------------------------------------------

_NAV = (
    ("/", "Overview"),
    (f"{PREFIX}/timeline", "Timeline"),
    (f"{PREFIX}/stockpiles", "Stockpiles & 3W"),
    (f"{PREFIX}/scenario", "Scenario"),
)


def layout(nav: Nav, title: str, body: Html, *, chrome: bool = True, as_of: bool = True) -> Html:
    """A whole page: header with navigation, the as-of control and who is signed in."""
    header = notes = Html("")
    if chrome:
        links = join(
            h(
                '<a href="{}"{}>{}</a>',
                nav.link(path),
                Html(' aria-current="page"') if nav.path == path else Html(""),
                label,
            )
            for path, label in _NAV
        )
        who = Html("")
        if nav.principal is not None:
            who = h(
                '<div class="who"><span>{} ({})</span>'
                '<form class="inline" method="post" action="{}">'
                '<input type="hidden" name="csrf" value="{}"><button type="submit">'
                "Sign out</button></form></div>",
                nav.principal.partner or "admin",
                nav.principal.role,
                f"{PREFIX}/logout",
                nav.csrf,
            )
        control = Html("")
        if as_of:
            control = h(
                '<form class="asof" method="get" action="{}" role="search">'
                '<label for="as_of">As of (UTC)</label>'
                '<input type="datetime-local" id="as_of" name="as_of" value="{}">'
                '<button type="submit" id="as_of_apply">Show</button>'
                '<a href="{}" id="as_of_now">Now</a></form>',
                nav.path,
                "" if nav.as_of is None else nav.as_of.strftime("%Y-%m-%dT%H:%M"),
                nav.path,
            )
            notes = (
                h('<p class="asof-note" id="asof-note">State as of {}</p>', when(nav.as_of))
                if nav.as_of is not None
                else h('<p class="asof-note muted" id="asof-note">{}</p>', "Current state")
            )
        header = h(
            '<header class="top"><span class="brand">Response readiness</span>'
            '<nav aria-label="Pages">{}</nav>{}{}</header>',
            links,
            control,
            who,
        )
    if nav.as_of_error:
        notes = join([h('<p class="banner error" role="alert">{}</p>', nav.as_of_error), notes])
    if nav.alerts:
        banner = '<p class="banner error" role="alert" id="alert">{}</p>'
        notes = join([*(h(banner, alert) for alert in nav.alerts), notes])
    return h(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} · response readiness</title>"
        '<link rel="stylesheet" href="{}/static/dashboard.css?v={}"></head>'
        "<body>{}<main>{}<h1>{}</h1>{}</main></body></html>",
        title,
        PREFIX,
        STATIC_VERSION,
        header,
        notes,
        title,
        body,
    )


def login_page(nav: Nav, next_path: str, error: str | None = None) -> Html:
    """The sign-in form: a bearer token of the API (any role can look)."""
    message = h('<p class="banner error" role="alert">{}</p>', error) if error else Html("")
    body = h(
        '<div class="login">{}<p>Sign in with an API token (the <code>Authorization: Bearer'
        "</code> token of the HTTP API). A viewer token is enough; the dashboard changes "
        "nothing but can replay scenario files in a scratch store.</p>"
        '<form method="post" action="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<input type="hidden" name="csrf" value="{}">'
        '<label for="token">Token</label>'
        '<input type="password" id="token" name="token" autocomplete="current-password" '
        "required>"
        '<button type="submit" id="sign_in">Sign in</button></form></div>',
        message,
        f"{PREFIX}/login",
        next_path,
        nav.csrf,
    )
    return layout(nav, "Sign in", body, chrome=False)


def error_page(nav: Nav, title: str, message: str) -> Html:
    """A page saying what is missing, in the dashboard's frame."""
    body = h(
        '<p class="banner error">{}</p><p><a href="{}">Overview</a></p>', message, nav.link("/")
    )
    return layout(nav, title, body)


# -- overview -------------------------------------------------------------------------------------


def _camp_tiles(nav: Nav, camps: Sequence[Mapping[str, Any]]) -> Html:
    if not camps:
        return h('<p class="muted">{}</p>', "No camps yet.")
    tiles = join(
        h(
            '<li><a class="st-{}" href="{}" data-camp="{}" data-status="{}">'
            '<span class="camp-name">{}</span><br>{} · {} people</a></li>',
            camp["status"],
            nav.link(f"{PREFIX}/camps/{camp['id']}"),
            camp["camp"],
            camp["status"],
            camp["camp"],
            status_label(camp["status"]),
            number(camp["population"]),
        )
        for camp in camps
    )
    return h('<ul class="camps">{}</ul>', tiles)


def _tripartite(plan: Mapping[str, Any]) -> Html:
    missing = set(plan.get("missing_kinds", []))
    badges = join(
        h(
            '<span class="chip kind-{}" data-kind="{}">{} {}</span>',
            "missing" if kind in missing else "present",
            kind,
            KIND_LABELS[kind],
            "missing" if kind in missing else "✓ present",
        )
        for kind in TRIPARTITE_KINDS
    )
    verdict = "tripartite" if plan.get("tripartite") else "not tripartite"
    return h('<div class="badges" aria-label="{}">{}</div>', verdict, badges)


def overview_page(planner: Planner, nav: Nav) -> Html:
    """Every plan: lifecycle, tripartite badge, its camps by status, population, pool balance."""
    queries = planner.queries
    plans = queries.views("plan", as_of=nav.as_of)
    camps = queries.views("camp", as_of=nav.as_of)
    by_plan: dict[str, list[dict[str, Any]]] = {}
    for camp in camps:
        by_plan.setdefault(camp["plan_id"], []).append(camp)
    if not plans:
        body = h('<p class="banner warn">{}</p>', "No plans at this time.")
        return layout(nav, "Overview", body)
    cards = []
    for plan in plans:
        plan_camps = sorted(by_plan.get(plan["id"], []), key=lambda c: c["camp"])
        balance = plan.get("pool_balance") or {}
        balance_text = ", ".join(money(v, c) for c, v in balance.items()) or "none"
        counts = ", ".join(f"{n} {status_label(s)}" for s, n in plan.get("camps", {}).items() if n)
        cards.append(
            h(
                '<section class="plan" data-plan="{}"><h2>{} <span class="chip lifecycle" '
                'data-lifecycle="{}">{}</span></h2><p class="muted">{} · {} · {}</p>{}'
                '<dl class="facts"><div><dt>Population in camps</dt><dd>{}</dd></div>'
                "<div><dt>Planning figure</dt><dd>{}</dd></div>"
                "<div><dt>Pool balance</dt><dd>{}</dd></div>"
                "<div><dt>Camps</dt><dd>{}</dd></div></dl>{}</section>",
                plan["plan"],
                plan["title"],
                plan["status"],
                plan["status"].replace("_", " "),
                plan["plan"],
                plan["crisis"],
                plan.get("region") or "no region",
                _tripartite(plan),
                number(plan["population"]),
                number(plan["planning_figure"]),
                balance_text,
                counts or "none",
                _camp_tiles(nav, plan_camps),
            )
        )
    return layout(nav, "Overview", join(cards))


# -- camp -----------------------------------------------------------------------------------------


CHART_SAMPLES = 48  # evenly spaced views between a camp's first and last time, besides changes


def camp_points(planner: Planner, camp_id: str, as_of: datetime | None) -> list[Point]:
    """A camp's view at each status change and at evenly spaced times up to `as_of`, as chart
    points (each is an as-of view: a checkpoint and a bounded refold, never the whole log)."""
    changes = planner.queries.timeline(kind="camp", entity_id=camp_id, as_of=as_of)
    current = planner.queries.view("camp", camp_id, as_of=as_of)
    if not changes or current is None:
        return []
    first = datetime.fromisoformat(changes[0]["at"])
    last = as_of or datetime.fromisoformat(current["updated_at"])
    times = {datetime.fromisoformat(change["at"]) for change in changes}
    if last > first:
        step = (last - first) / CHART_SAMPLES
        times.update(first + step * i for i in range(1, CHART_SAMPLES + 1))
    ordered = sorted(times)
    docs = planner.queries.view_series("camp", camp_id, ordered)
    return [
        Point(at, doc["status"], doc["days_of_cover"])
        for at, doc in zip(ordered, docs, strict=True)
        if doc is not None
    ]


def _chart_window(nav: Nav, points: Sequence[Point]) -> tuple[datetime, datetime]:
    start = min(p.at for p in points)
    if nav.as_of is not None:
        end = nav.as_of
    else:  # a margin after the last change, so that the current status shows
        last = max(p.at for p in points)
        end = last + max(timedelta(days=1), (last - start) / 20)
    if end - start < timedelta(days=1):
        end = start + timedelta(days=1)
    return start, end


def camp_page(planner: Planner, nav: Nav, camp_id: str) -> Html | None:
    """One camp: people, sector leads, days of cover, facilities, congestion, gaps in words."""
    camp = planner.queries.view("camp", camp_id, as_of=nav.as_of)
    if camp is None:
        return None
    plan = planner.queries.view("plan", camp["plan_id"], as_of=nav.as_of) or {}
    standards_doc = plan.get("standards") or {}
    standards = standards_for(
        standards_doc.get("profile", "sphere-emergency"), standards_doc.get("overrides") or {}
    )
    ready_days = camp["ready_days"]

    people = join(
        h("<tr><th>{}</th><td class=num>{}</td></tr>", GROUP_LABELS[g], number(camp[g]))
        for g in VULNERABLE_GROUPS
    )
    population = h(
        '<table class="population"><tbody><tr><th>All people</th><td class="num" '
        'id="population">{}</td></tr>{}</tbody></table>'
        '<p class="muted">Shelter capacity {} · site {} m²</p>',
        number(camp["population"]),
        people,
        number(camp["shelter_capacity"]),
        number(camp["site_area_m2"]),
    )

    leads = camp.get("sector_leads", {})
    uncovered = set(camp.get("uncovered_sectors", []))
    sectors = list(camp.get("required_sectors", [])) + sorted(
        s for s in leads if s not in camp.get("required_sectors", [])
    )
    cells = []
    for sector in sectors:
        lead = leads.get(sector)
        required = sector in camp.get("required_sectors", [])
        if sector in uncovered:
            state = "uncovered"
            text = "uncovered" if lead is None else f"uncovered ({lead} withdrew)"
        else:
            state, text = "covered", f"lead: {lead}"
        cells.append(
            h(
                '<div class="sector {}" data-sector="{}"><span class="code">{}</span> {}'
                '<br><span class="lead">{}</span>{}</div>',
                state,
                sector,
                sector,
                SECTORS.get(sector, ""),
                text,
                Html("") if required else Html("<br><span>(not required)</span>"),
            )
        )
    grid = h('<div class="sectors">{}</div>', join(cells))

    facility_rows = []
    for facility in FACILITIES:
        limit = float(standards[facility])
        ratio = camp["people_per"].get(facility)
        count = camp["facilities"].get(facility, 0)
        if ratio is None:
            verdict = "none built" if camp["population"] else "no residents"
            css = "at_risk" if camp["population"] else "closed"
        elif ratio > limit:
            verdict, css = "over the standard", "at_risk"
        else:
            verdict, css = "within the standard", "ready"
        facility_rows.append(
            h(
                '<tr><th>{}</th><td class="num">{}</td><td class="num">{}</td>'
                '<td class="num">at most {}</td><td>{}</td></tr>',
                FACILITY_LABELS[facility],
                number(count),
                number(ratio),
                number(limit),
                chip(css, verdict),
            )
        )
    facilities = h(
        '<table class="facilities"><thead><tr><th>Facility</th><th class="num">Built</th>'
        '<th class="num">People per</th><th class="num">Standard</th><th></th></tr></thead>'
        "<tbody>{}</tbody></table>",
        join(facility_rows),
    )
    per_person = join(
        h(
            "<li>{}: {} per person (standard: at least 1)</li>",
            item.replace("_", " "),
            number(camp["per_person"].get(item), 2),
        )
        for item in PER_PERSON_ITEMS
    )
    congestion = camp.get("congestion")
    crowding = h(
        "<p>Site area per person: <strong>{} m²</strong> (standard 45) · congestion: "
        '<strong id="congestion">{}</strong>{}</p>',
        number(camp.get("site_area_per_person")),
        congestion or "—",
        Html(" · <strong>overcrowded</strong>") if camp.get("overcrowded") else Html(""),
    )

    gaps = camp.get("gaps", [])
    gap_list = (
        h('<ul class="gaps" id="gaps">{}</ul>', join(h("<li>{}</li>", g) for g in gaps))
        if gaps
        else h('<p class="banner ok" id="gaps">{}</p>', "No gaps: every rule is met.")
    )
    points = camp_points(planner, camp_id, nav.as_of)
    chart = Html("")
    if points:
        start, end = _chart_window(nav, points)
        chart = readiness_timeline(camp["camp"], points, start, end, ready_days, CONSUMABLES)

    body = h(
        '<p>{} <span id="camp-status" data-status="{}">{}</span> · plan <strong>{}</strong> · '
        "{} · updated {}</p>"
        '<div class="panels"><section><h2>Gaps</h2>{}</section>'
        "<section><h2>People</h2>{}</section>"
        "<section><h2>Sectors</h2>{}</section>"
        "<section><h2>Days of cover</h2>{}</section>"
        "<section><h2>Facilities</h2>{}<ul>{}</ul>{}</section></div>"
        "<h2>Readiness over time</h2>{}{}",
        "Status:",
        camp["status"],
        chip(camp["status"]),
        camp["plan"],
        camp["location"],
        when(camp["updated_at"]),
        gap_list,
        population,
        grid,
        cover_bars(camp["days_of_cover"], ready_days),
        facilities,
        per_person,
        crowding,
        _legend(),
        chart,
    )
    return layout(nav, f"Camp {camp['camp']}", body)


def _legend() -> Html:
    statuses = join(chip(s) for s in ("ready", "at_risk", "not_ready", "closed"))
    lines = join(
        h('<span class="swatch-{}">{} {}</span>', item, mark, item.replace("_", " "))
        for item, mark in zip(CONSUMABLES, ("━━", "╍╍", "┈┈"), strict=False)
    )
    return h(
        '<div class="legend">Band: {}</div><div class="legend">Lines (days of cover): {} · '
        "dashed black: the plan's ready days</div>",
        statuses,
        lines,
    )


# -- timeline -------------------------------------------------------------------------------------


def timeline_page(planner: Planner, nav: Nav) -> Html:
    """Each camp's status and days of cover over time; the status changes as a table."""
    camps = planner.queries.views("camp", as_of=nav.as_of)
    charts = []
    for camp in sorted(camps, key=lambda c: (c["plan"], c["camp"])):
        points = camp_points(planner, camp["id"], nav.as_of)
        if not points:
            continue
        start, end = _chart_window(nav, points)
        charts.append(
            h(
                '<section class="camp-timeline" data-camp="{}"><h2><a href="{}">{}</a> {}</h2>'
                '<p class="muted">plan {} · ready days {}</p>{}</section>',
                camp["camp"],
                nav.link(f"{PREFIX}/camps/{camp['id']}"),
                camp["camp"],
                chip(camp["status"]),
                camp["plan"],
                camp["ready_days"],
                readiness_timeline(
                    camp["camp"], points, start, end, camp["ready_days"], CONSUMABLES
                ),
            )
        )
    changes = planner.queries.timeline(as_of=nav.as_of)
    rows = join(
        h(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(entry["at"]),
            entry["kind"],
            entry["slug"],
            _status_cell(entry["kind"], entry.get("from")),
            _status_cell(entry["kind"], entry.get("to")),
        )
        for entry in reversed(changes[-TIMELINE_ROWS:])
    )
    table = h(
        '<h2>Status changes, newest first</h2><table id="changes"><thead><tr><th>When</th>'
        "<th>Kind</th><th>Name</th><th>From</th><th>To</th></tr></thead><tbody>{}</tbody>"
        "</table>",
        rows,
    )
    empty = Html("") if charts else h('<p class="banner warn">{}</p>', "No camps at this time.")
    return layout(nav, "Readiness timeline", join([_legend(), empty, *charts, table]))


def _status_cell(kind: str, status: str | None) -> Html:
    """A camp's readiness status as a chip; a plan's lifecycle status in words."""
    if status is None:
        return Html("—")
    return chip(status) if kind == "camp" else esc(status.replace("_", " "))


# -- stockpiles and 3W ----------------------------------------------------------------------------


def _level_rows(items: Mapping[str, Mapping[str, int]]) -> Html:
    return join(
        h(
            '<tr data-item="{}"><th>{}</th><td class="num">{}</td><td class="num">{}</td>'
            '<td class="num">{}</td><td>{}</td></tr>',
            item,
            item.replace("_", " "),
            number(levels["on_hand"]),
            number(levels["reserved"]),
            number(levels["available"]),
            stock_bar(item, levels),
        )
        for item, levels in items.items()
    )


_LEVELS_HEAD = (
    '<thead><tr><th>Item</th><th class="num">On hand</th><th class="num">Reserved</th>'
    '<th class="num">Available</th><th><span class="muted">reserved ▒ · available █</span>'
    "</th></tr></thead>"
)


def stockpiles_page(planner: Planner, nav: Nav) -> Html:
    """Levels per item per stockpile and in total; the 3W table with its CSV download."""
    queries = planner.queries
    depots = queries.views("stockpile", as_of=nav.as_of)
    sections = []
    for depot in sorted(depots, key=lambda d: d["stockpile"]):
        committed = ", ".join(depot.get("plans", [])) or "not committed to a plan"
        table = (
            h(
                '<table class="levels">' + _LEVELS_HEAD + "<tbody>{}</tbody></table>",
                _level_rows(depot["items"]),
            )
            if depot["items"]
            else h('<p class="muted">{}</p>', "Nothing received yet.")
        )
        sections.append(
            h(
                '<section class="stockpile" data-stockpile="{}"><h3>{}</h3>'
                '<p class="muted">{} · held by {} · {}</p>{}</section>',
                depot["stockpile"],
                depot["stockpile"],
                depot["location"],
                depot["partner"],
                committed,
                table,
            )
        )
    totals = queries.stock_totals(as_of=nav.as_of)
    total_table = (
        h(
            '<table class="levels" id="totals">' + _LEVELS_HEAD + "<tbody>{}</tbody></table>",
            _level_rows(totals),
        )
        if totals
        else h('<p class="muted">{}</p>', "No stock at this time.")
    )

    rows = queries.who_does_what(as_of=nav.as_of)
    columns = [name for name, _ in THREE_W_COLUMNS]
    head = join(h("<th>{}</th>", c) for c in ["plan", "camp", *columns])
    tags = join(h("<th>{}</th>", t) for t in ["", "", *(tag for _, tag in THREE_W_COLUMNS)])
    body_rows = join(
        h(
            "<tr>{}</tr>",
            join(
                h(
                    "<td{}>{}</td>",
                    Html(' class="wide"') if c == "location" else Html(' class="nowrap"'),
                    _cell(c, row.get(c)),
                )
                for c in ["plan", "camp", *columns]
            ),
        )
        for row in rows
    )
    csv_link = nav.link(f"{PREFIX}/3w.csv")
    three_w = h(
        '<p><a href="{}" id="csv" download="3w.csv">Download the 3W table as CSV with HXL '
        "hashtags</a> (the same file as the API's <code>/3w.csv</code>).</p>"
        '<table id="three-w"><thead><tr>{}</tr><tr class="hxl">{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        csv_link,
        head,
        tags,
        body_rows,
    )
    if not rows:
        three_w = join([three_w, h('<p class="muted">{}</p>', "No sector leads at this time.")])
    body = join(
        [
            h("<h2>Totals across stockpiles</h2>{}", total_table),
            h(
                '<h2>Stockpiles</h2><div class="stockpiles">{}</div>',
                join(sections) or "No stockpiles at this time.",
            ),
            h("<h2>3W: who does what where</h2>{}", three_w),
        ]
    )
    return layout(nav, "Stockpiles and 3W", body)


def _cell(column: str, value: Any) -> str:
    if column == "since" and value:
        return when(value).removesuffix(" UTC")
    if column == "population":
        return number(value)
    return "" if value is None else str(value)


def three_w_csv(planner: Planner, as_of: datetime | None) -> bytes:
    """The 3W table as the API's /3w.csv writes it: header, HXL hashtag row, one row per lead."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column for column, _ in THREE_W_COLUMNS])
    writer.writerow([tag for _, tag in THREE_W_COLUMNS])
    for row in planner.queries.who_does_what(as_of=as_of):
        writer.writerow([row[column] for column, _ in THREE_W_COLUMNS])
    return out.getvalue().encode("utf-8")


# -- scenario -------------------------------------------------------------------------------------


def scenario_form(max_bytes: int, csrf: str = "") -> Html:
    """The upload form (with the session's CSRF token)."""
    return h(
        "<p>Upload a scenario file to replay it in a scratch store and see its report: the "
        "checks, the readiness at each check time and the steps. The planner's own store is "
        "never touched.</p>"
        '<form method="post" enctype="multipart/form-data" class="upload">'
        '<input type="hidden" name="csrf" value="{}">'
        '<p><label for="scenario_file">Scenario file (YAML, at most {} kB)</label><br>'
        '<input type="file" id="scenario_file" name="file" accept=".yaml,.yml,text/yaml" '
        "required></p>"
        '<p><label for="until">Stop at (optional: +3d or an ISO 8601 time)</label><br>'
        '<input type="text" id="until" name="until" size="28"></p>'
        '<button type="submit" id="replay">Replay</button></form>',
        csrf,
        max_bytes // 1000,
    )


def scenario_page(
    nav: Nav,
    max_bytes: int,
    *,
    report: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> Html:
    """The upload form, with a replay report or the reason a file was refused."""
    parts: list[Html] = []
    if error is not None:
        parts.append(h('<p class="banner error" id="scenario-error" role="alert">{}</p>', error))
    if report is not None:
        parts.append(_report(report))
        parts.append(Html("<h2>Replay another file</h2>"))
    parts.append(scenario_form(max_bytes, nav.csrf))
    return layout(nav, "Scenario replay", join(parts), as_of=False)


def _report(report: Mapping[str, Any]) -> Html:
    verdict = (
        h('<p class="banner ok" id="verdict">{}</p>', f"OK: all {report['passed']} checks pass")
        if report["ok"]
        else h(
            '<p class="banner error" id="verdict">{}</p>',
            f"NOT OK: {report['failed']} checks fail"
            + (f"; {report['error']}" if report.get("error") else ""),
        )
    )
    check_rows = join(
        h(
            '<tr><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{} {}</td>'
            '<td><span class="chip result-{}">{}</span></td><td>{}</td></tr>',
            c["check"],
            c["line"],
            c["at"],
            c["entity"],
            c["slug"],
            c["result"],
            c["result"],
            join(
                h(
                    "<div>{}: expected {}, got {}</div>",
                    m["field"],
                    _short(m["expected"]),
                    _short(m["actual"]),
                )
                for m in c["mismatches"]
            ),
        )
        for c in report["checks"]
    )
    checks = h(
        '<h2>Checks</h2><table id="checks"><thead><tr><th class="num">#</th>'
        '<th class="num">Line</th><th>At</th><th>Entity</th><th>Result</th><th>Differences'
        "</th></tr></thead><tbody>{}</tbody></table>",
        check_rows,
    )
    entities = sorted({name for snap in report["readiness"] for name in snap["entities"]})
    snap_rows = join(
        h(
            "<tr><td>{}</td>{}</tr>",
            snap["at"],
            join(
                h("<td>{}</td>", _snapshot_cell(name, snap["entities"].get(name)))
                for name in entities
            ),
        )
        for snap in report["readiness"]
    )
    readiness = h(
        '<h2>Readiness at each check time</h2><table id="readiness"><thead><tr><th>At</th>{}'
        "</tr></thead><tbody>{}</tbody></table>",
        join(h("<th>{}</th>", name) for name in entities),
        snap_rows,
    )
    steps = join(
        h(
            '<tr><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td>'
            "<td><code>{}</code></td></tr>",
            s["step"],
            s["line"],
            s["at"],
            s["do"],
            _short(s["with"]),
        )
        for s in report["timeline"]
    )
    timeline = h(
        "<details><summary>Steps applied ({} of {}; {} events)</summary>"
        '<table id="steps"><thead><tr><th class="num">Step</th><th class="num">Line</th>'
        "<th>At</th><th>Command</th><th>Arguments</th></tr></thead><tbody>{}</tbody></table>"
        "</details>",
        report["steps_applied"],
        report["steps_total"],
        report["events_stored"],
        steps,
    )
    head = h(
        '<h2 id="report-title">Report: {}</h2><p class="muted">{} · {}{}</p>',
        report["title"],
        report["scenario"],
        report["file"],
        f" · until {report['until']}" if report.get("until") else "",
    )
    return join([head, verdict, checks, readiness, timeline])


def _snapshot_cell(name: str, summary: Mapping[str, Any] | None) -> Html:
    if summary is None:
        return Html("—")
    status = summary["status"]
    if name.startswith("camp "):
        return chip(status)
    return esc(status.replace("_", " "))


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
