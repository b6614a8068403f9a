"""The dashboard without a browser: WCAG contrast of the palette, escaping, sign-in, pages, CSV.

Fast tests (no Chromium, no server process): the app over an in-memory planner holding the
API tests' small world, through Starlette's TestClient.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard import charts, templating
from api.dashboard.markup import Html, esc, h, join
from api.dashboard.pages import Nav, parse_as_of
from api.routers.dashboard import parse_form_data
from api.routers.dashboard_session import COOKIE
from planner.wiring import Planner, open_planner
from tests.api.conftest import TOKENS, build_world, registry
from tests.dashboard_helpers import csrf_in, page_csrf, sign_in

ROOT = Path(__file__).resolve().parents[2]
CSS = ROOT / "api" / "dashboard" / "static" / "dashboard.css"
AA_TEXT = 4.5
VIEWER = TOKENS["viewer"][0]

# -- WCAG AA contrast of the stylesheet's colours ------------------------------------------------


def palette() -> dict[str, str]:
    """The custom properties of :root: name -> #rrggbb."""
    root = re.search(r":root\s*\{(.*?)\}", CSS.read_text(encoding="utf-8"), re.S)
    assert root is not None, "dashboard.css has no :root block"
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", root.group(1)))


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_pairs(colours: dict[str, str]) -> list[tuple[str, str]]:
    """(text, background) pairs the stylesheet puts together."""
    pairs = [
        (name[: -len("-bg")] + "-fg", name)
        for name in colours
        if name.endswith("-bg") and name[: -len("-bg")] + "-fg" in colours
    ]
    on_page = ["--page-fg", "--muted-fg", "--link", "--chart-line", "--chart-grid"]
    on_page += [name for name in colours if name.startswith("--chart-")]
    pairs += [(name, "--page-bg") for name in dict.fromkeys(on_page)]
    pairs += [(name, "--stripe-bg") for name in ("--page-fg", "--muted-fg", "--link")]
    pairs += [("--header-accent", "--header-bg"), ("--button-fg", "--button-bg")]
    pairs += [("--header-fg", "--button-bg"), ("--link", "--covered-bg")]
    return pairs


def test_the_palette_is_parsed() -> None:
    colours = palette()
    assert colours["--ready-bg"].startswith("#") and len(colours) >= 30


@pytest.mark.parametrize("fg, bg", text_pairs(palette()))
def test_text_colours_meet_wcag_aa_contrast(fg: str, bg: str) -> None:
    colours = palette()
    ratio = contrast(colours[fg], colours[bg])
    assert ratio >= AA_TEXT, f"{fg} {colours[fg]} on {bg} {colours[bg]}: {ratio:.2f}:1"


def test_every_status_colour_has_its_text_colour() -> None:
    colours = palette()
    for status in ("ready", "at_risk", "not_ready", "closed"):
        assert f"--{status}-bg" in colours and f"--{status}-fg" in colours
        assert contrast(colours[f"--{status}-fg"], colours[f"--{status}-bg"]) >= AA_TEXT


def test_every_colour_is_checked_and_lives_in_the_palette() -> None:
    colours = palette()
    checked = {name for pair in text_pairs(colours) for name in pair}
    assert set(colours) <= checked, f"colours never checked: {sorted(set(colours) - checked)}"
    css = CSS.read_text(encoding="utf-8")
    outside_root = re.sub(r":root\s*\{.*?\}", "", css, count=1, flags=re.S)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", outside_root)
    sources = [ROOT / "api" / "dashboard" / m for m in ("charts.py", "pages.py")]
    sources += sorted((ROOT / "api" / "dashboard" / "templates").glob("*.html"))
    for module in sources:  # charts and pages use classes, never colours
        source = module.read_text(encoding="utf-8")
        assert not re.findall(r"fill=\"#|stroke=\"#|style=", source), module


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


# -- markup and charts -----------------------------------------------------------------------------


def test_values_are_escaped_and_trusted_markup_is_not() -> None:
    assert h("<p>{}</p>", "<script>&'\"") == "<p>&lt;script&gt;&amp;&#39;&#34;</p>"
    assert h("<p>{}</p>", Html("<b>x</b>")) == "<p><b>x</b></p>"
    assert join(["<i>", Html("<b>")]) == "&lt;i&gt;<b>"
    assert esc(None) == ""


def test_cover_bars_mark_each_consumable_against_ready_days() -> None:
    svg = charts.cover_bars({"water": 0.5, "food_ration": 3.0, "medical_kit": None}, 5)
    assert 'class="bar st-not_ready"' in svg and 'class="bar st-at_risk"' in svg
    assert "<td><strong>0.5 days</strong><br>under 1 day</td>" in svg
    assert "<td><strong>3 days</strong><br>under ready days</td>" in svg
    assert "<td><strong>no residents</strong></td>" in svg
    assert "dashed: ready, 5 days" in svg and "<title>water: 0.5 days" in svg


def test_timeline_chart_draws_status_bands_and_lines() -> None:
    day = datetime(2001, 10, 10, tzinfo=UTC)
    points = [
        charts.Point(day, "not_ready", {"water": None}),
        charts.Point(day.replace(day=12), "at_risk", {"water": 2.0}),
        charts.Point(day.replace(day=13), "at_risk", {"water": 4.0}),
        charts.Point(day.replace(day=14), "ready", {"water": 6.0}),
    ]
    svg = charts.readiness_timeline(
        "c<1>", points, day, day.replace(day=16), 5, ("water", "food_ration")
    )
    assert svg.count('class="band st-') == 3  # the two at_risk versions are one band
    assert svg.count('class="series series-water"') == 1
    assert "series-food_ration" not in svg  # no data, no line
    assert "c&lt;1&gt;" in svg and "c<1>" not in svg


# -- small parsers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2001-10-17T08:30", datetime(2001, 10, 17, 8, 30, tzinfo=UTC)),
        ("2001-10-17", datetime(2001, 10, 17, tzinfo=UTC)),
        ("2001-10-17T10:30:00+02:00", datetime(2001, 10, 17, 8, 30, tzinfo=UTC)),
        ("2001-10-17T10:30:00 02:00", datetime(2001, 10, 17, 8, 30, tzinfo=UTC)),
        ("2001-10-17T08:30:00Z", datetime(2001, 10, 17, 8, 30, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_as_of_is_read_as_utc_unless_it_says_otherwise(
    text: str | None, expected: datetime | None
) -> None:
    assert parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2001-13-01", "x" * 41])
def test_a_bad_as_of_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_as_of(text)


def test_multipart_form_data_is_read_with_the_standard_library() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="s.yaml"\r\n'
        b"Content-Type: application/x-yaml\r\n\r\n"
        b"location: Kor\xc3\xa7\xc3\xab\r\nsteps: []\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="until"\r\n\r\n'
        b"+3d\r\n"
        b"--XyZ--\r\n"
    )
    fields = parse_form_data(body, "multipart/form-data; boundary=XyZ")
    assert fields["file"] == ("s.yaml", "location: Korçë\r\nsteps: []".encode())
    assert fields["until"] == (None, b"+3d")
    with pytest.raises(ValueError):
        parse_form_data(b"token=x", "application/x-www-form-urlencoded")


# -- the pages through the app ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[Planner]:
    planner = open_planner("memory:")
    build_world(planner)
    planner.service.execute(
        "establish_camp",
        {
            "camp": "x",
            "plan": "q",
            "location": "<script>alert(1)</script>",
            "site_area_m2": 100,
            "shelter_capacity": 10,
        },
    )
    planner.catch_up()
    yield planner
    planner.close()


@pytest.fixture(scope="module")
def client(world: Planner) -> Iterator[TestClient]:
    app = create_app(world, registry())
    # a loopback address over plain HTTP: the session cookie is not Secure (see docs/dashboard.md)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def viewer(client: TestClient) -> Iterator[TestClient]:
    assert sign_in(client, VIEWER).status_code == 303
    yield client
    client.cookies.clear()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/dashboard/timeline",
        "/dashboard/stockpiles",
        "/dashboard/scenario",
        "/dashboard/3w.csv",
    ],
)
def test_without_a_session_every_page_sends_to_the_sign_in_form(
    client: TestClient, path: str
) -> None:
    response = client.get(path + "?as_of=2001-01-01")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/login?next=")
    assert client.get(path, headers={"Authorization": f"Bearer {VIEWER}"}).status_code == 303


def test_signing_in_sets_an_http_only_strict_session_cookie(client: TestClient) -> None:
    refused = sign_in(client, "nope")
    assert refused.status_code == 401 and "not known" in refused.text
    assert COOKIE not in refused.headers.get("set-cookie", "")
    accepted = sign_in(client, VIEWER, "/dashboard/timeline?as_of=x")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/dashboard/timeline?as_of=x"
    cookie = next(c for c in accepted.headers.get_list("set-cookie") if c.startswith(COOKIE))
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert VIEWER not in cookie and len(session_id) >= 40  # a random id, never the token
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain HTTP on a loopback address only
    csrf = page_csrf(client)
    assert client.post("/dashboard/logout", data={"csrf": "forged"}).status_code == 403
    out = client.post("/dashboard/logout", data={"csrf": csrf})
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    # the session is revoked server-side: the old cookie no longer opens a page
    client.cookies.set(COOKIE, session_id)
    assert client.get("/").status_code == 303
    client.cookies.clear()


def test_sign_in_and_uploads_refuse_cross_site_forgery(client: TestClient) -> None:
    form = client.get("/dashboard/login")
    csrf = csrf_in(form.text)
    forged = client.post("/dashboard/login", data={"token": VIEWER, "csrf": "x" * 43})
    assert forged.status_code == 403
    cross = client.post(
        "/dashboard/login",
        data={"token": VIEWER, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert sign_in(client, VIEWER).status_code == 303
    files = {"file": ("t.yaml", b"scenario: t", "application/x-yaml")}
    assert client.post("/dashboard/scenario", files=files).status_code == 403
    assert (
        client.post(
            "/dashboard/scenario",
            files=files,
            data={"csrf": page_csrf(client)},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )
    client.cookies.clear()


def test_the_session_cookie_is_secure_unless_plain_http_on_loopback(world: Planner) -> None:
    with TestClient(create_app(world, registry()), follow_redirects=False) as remote:
        form = remote.get("/dashboard/login")  # http://testserver: not a loopback address
        assert "Secure" in form.headers["set-cookie"]
        # so the browser keeps it to HTTPS: over plain HTTP the sign-in cannot complete
        assert sign_in(remote, VIEWER).status_code == 403


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil", "/\t/evil.example", ""]
)
def test_sign_in_never_redirects_off_site(client: TestClient, target: str) -> None:
    response = sign_in(client, VIEWER, target)
    assert response.headers["location"] == "/"
    client.cookies.clear()


@pytest.mark.parametrize("role", ["viewer", "amda", "coord", "admin"])
def test_every_role_may_look(client: TestClient, role: str) -> None:
    assert sign_in(client, TOKENS[role][0]).status_code == 303
    try:
        assert client.get("/").status_code == 200
    finally:
        client.cookies.clear()


def test_pages_render_escaped_with_a_strict_content_security_policy(
    viewer: TestClient, world: Planner
) -> None:
    for path in ("/", "/dashboard/timeline", "/dashboard/stockpiles", "/dashboard/scenario"):
        response = viewer.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'none'" in response.headers["content-security-policy"]
        assert "<script" not in response.text
    camp_id = str(world.service.id_of("camp", "x"))
    page = viewer.get(f"/dashboard/camps/{camp_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script" not in page.text
    overview = viewer.get("/").text
    assert 'data-camp="c" data-status="' in overview and "Plan P" in overview
    stylesheet = viewer.get("/dashboard/static/dashboard.css")
    assert stylesheet.status_code == 200 and ":root" in stylesheet.text
    assert viewer.get("/dashboard/static/..%2F..%2Fapp.py").status_code == 404


def test_unknown_camp_and_bad_as_of_say_so(viewer: TestClient) -> None:
    missing = viewer.get("/dashboard/camps/nothing-here")
    assert missing.status_code == 404 and "There is no such camp" in missing.text
    bad = viewer.get("/?as_of=someday")
    assert bad.status_code == 200 and "is not a date and time" in bad.text


def test_the_csv_download_is_the_apis_3w_csv(viewer: TestClient) -> None:
    mine = viewer.get("/dashboard/3w.csv")
    assert mine.status_code == 200
    assert mine.headers["content-disposition"] == 'attachment; filename="3w.csv"'
    api = viewer.get("/3w.csv", headers={"Authorization": f"Bearer {VIEWER}"})
    assert api.status_code == 200 and mine.content == api.content
    lines = mine.text.splitlines()
    assert lines[1].startswith("#org+code,#org+name,#org+type,#org+role,#sector+cluster,")
    assert "#adm1+code,#adm2+code,#geo+lat,#geo+lon" in lines[1]
    assert len(lines) == 2 + 3


def test_dashboard_routes_stay_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/dashboard")]


def test_a_scenario_upload_is_replayed_in_a_scratch_store(
    viewer: TestClient, world: Planner
) -> None:
    before = world.service.recorder.max_notification_id()
    scenario = (
        "scenario: tiny\ntitle: Tiny <b>plan</b>\nstart: 1999-04-01T00:00:00Z\nsteps:\n"
        "  - {at: +0d, do: register_partner, with: {partner: pwj, name: PWJ, kind: ngo}}\n"
        "  - {at: +1d, do: draft_plan, with: {plan: p, title: T, crisis: C, "
        "planning_figure: 100}}\n"
        "checks:\n  - {at: +1d, plan: p, expect: {status: drafted}}\n"
    )
    files = {"file": ("tiny.yaml", scenario.encode(), "application/x-yaml")}
    csrf = {"csrf": page_csrf(viewer)}
    report = viewer.post("/dashboard/scenario", files=files, data=csrf)
    assert report.status_code == 200
    assert "OK: all 1 checks pass" in report.text and "Tiny &lt;b&gt;plan&lt;/b&gt;" in report.text
    until = viewer.post("/dashboard/scenario", files=files, data={"until": "+0d", **csrf})
    assert "Steps applied (1 of 2" in until.text
    assert world.service.recorder.max_notification_id() == before

    broken = viewer.post(
        "/dashboard/scenario",
        files={"file": ("b.yaml", b"scenario: [", "application/x-yaml")},
        data=csrf,
    )
    assert broken.status_code == 422 and "b.yaml" in broken.text
    empty = viewer.post(
        "/dashboard/scenario", files={"file": ("e.yaml", b"", "text/plain")}, data=csrf
    )
    assert empty.status_code == 422
    not_a_form = viewer.post("/dashboard/scenario", content=b"scenario: x")
    assert not_a_form.status_code == 400


# -- templates -------------------------------------------------------------------------------------


def test_pages_are_rendered_from_autoescaped_templates_only() -> None:
    env = templating.templates.env
    assert env.autoescape is True
    names = env.list_templates()
    assert {"base.html", "camp.html", "overview.html", "scenario.html"} <= set(names)
    for name in names:  # every template parses
        env.get_template(name)
    page = env.get_template("error.html").render(
        nav=Nav(path="/x"),
        title="<i>t</i>",
        chrome=False,
        as_of_control=False,
        menu=(),
        message="<script>alert(1)</script>",
    )
    assert "&lt;script&gt;" in page and "<script" not in page and "&lt;i&gt;t" in page
    source = (ROOT / "api" / "dashboard" / "pages.py").read_text(encoding="utf-8")
    assert not re.findall(r"<(?:p|div|span|table|tr|td|section|a|ul|li|h\d)[ >]", source)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"*.html"' in pyproject  # the templates ship with the package


def test_a_template_naming_a_value_the_page_did_not_give_fails() -> None:
    with pytest.raises(jinja2.UndefinedError):
        templating.templates.env.get_template("error.html").render(nav=Nav(path="/"))
