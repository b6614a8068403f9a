"""Chart axes: the camps of one crisis share one time axis, labels never overlap, the days
axis fits the data. Pure functions first; then the timeline page in Chromium, measured."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.dashboard import charts
from api.dashboard.pages import Nav, shared_windows
from tests.e2e.conftest import Server
from tests.e2e.test_dashboard import all_css
from tests.e2e.test_dashboard import page as page  # the signed-in browser (a fixture)

DAY = datetime(2001, 10, 10, tzinfo=UTC)


def _points(start: datetime, days: int, water: float = 2.0) -> list[charts.Point]:
    return [
        charts.Point(start + timedelta(days=d), "at_risk", {"water": water}) for d in range(days)
    ]


def _y_labels(svg: str) -> list[tuple[float, str]]:
    return [
        (float(y), text)
        for y, text in re.findall(r'<text class="axis" x="84" y="([\d.]+)"[^>]*>([^<]*)<', svg)
    ]


def test_the_days_axis_fits_values_far_above_the_ready_days() -> None:
    points = [charts.Point(DAY, "ready", {"water": 2.0, "medical_kit": 360.0})]
    svg = str(
        charts.readiness_timeline(
            "c", points, DAY, DAY + timedelta(days=2), 3, ("water", "medical_kit")
        )
    )
    labels = [text for _, text in _y_labels(svg)]
    assert "400" in labels and "9" not in labels  # fitted to 360, no cap at 3 × ready days
    assert charts.fitted_top([12.5], 3) >= 12.5
    assert charts.fitted_top([], 3) >= 3


@pytest.mark.parametrize("ready_days", [1, 2, 2.5, 3, 10])
def test_axis_labels_never_overlap(ready_days: float) -> None:
    points = _points(DAY, 5, water=ready_days * 1.01)
    svg = str(
        charts.readiness_timeline("c", points, DAY, DAY + timedelta(days=6), ready_days, ["water"])
    )
    ys = sorted(y for y, _ in _y_labels(svg))
    assert all(b - a >= charts.LABEL_GAP for a, b in itertools.pairwise(ys))
    assert any("ready" in text for _, text in _y_labels(svg))


@given(
    st.lists(st.floats(0, 300), min_size=1, max_size=6).map(sorted),
)
def test_end_labels_are_spread_apart_inside_the_chart(wanted: list[float]) -> None:
    placed = charts.spread(wanted, 12.0, 300.0)
    assert all(b - a >= charts.LABEL_GAP - 1e-9 for a, b in itertools.pairwise(placed))
    assert placed[0] >= 12.0 and placed[-1] <= 300.0 + 1e-9


def test_camps_of_one_crisis_share_a_window_and_crises_years_apart_do_not() -> None:
    later = DAY.replace(year=2011)
    series = {
        "a": _points(DAY, 10),
        "b": _points(DAY + timedelta(days=20), 30),
        "c": _points(later, 5),
        "empty": [],
    }
    windows = shared_windows(Nav(path="/dashboard/timeline"), series)
    assert windows["a"] == windows["b"]
    assert windows["a"][0] == DAY and windows["a"][1] > DAY + timedelta(days=49)
    assert windows["c"][0] == later
    assert "empty" not in windows


# -- in the browser ------------------------------------------------------------------------------


def _boxes(svg: Any) -> list[dict[str, Any]]:
    script = (
        "return Array.from(arguments[0].querySelectorAll('text')).map(t => {"
        "const b = t.getBBox(); return {text: t.textContent, x: b.x, y: b.y, w: b.width,"
        " h: b.height}; });"
    )
    return list(svg.parent.execute_script(script, svg))


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.e2e
def test_the_timeline_page_lines_camps_up_and_no_label_overlaps(page: Any, server: Server) -> None:
    page.get(server.url + "/dashboard/timeline")
    svgs = all_css(page, "section.camp-timeline svg.timeline")
    assert len(svgs) == 2
    ticks = []
    for svg in svgs:
        boxes = _boxes(svg)
        ticks.append([b["text"] for b in boxes if re.fullmatch(r"\d{4}-\d\d-\d\d", b["text"])])
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not _overlap(a, b), (a, b)
    assert ticks[0] == ticks[1] and len(ticks[0]) >= 5  # one shared time axis
