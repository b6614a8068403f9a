"""The readiness rules in one place (`projections.rules`): gaps whose numbers support their
verdict at every rounding edge, thresholds only from the catalog and standards, and the
dashboard's verdicts the same as the view's.
"""

from __future__ import annotations

import io
import re
import tokenize
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from api.dashboard import charts
from domain.catalog import CONGESTION_BANDS, STANDARDS_PROFILES
from projections import rules
from projections.readiness import ReadinessFold, camp_view
from tests.unit.test_camp_status import CAMP, folds

ROOT = Path(__file__).resolve().parents[2]
POST = rules.thresholds_for("sphere-post-emergency", {}, 3)


# -- gap wording at rounding edges -------------------------------------------------------------


def test_days_just_under_the_ready_days_read_under_them() -> None:
    gap = rules.cover_gap("water", rules.AT_RISK, Fraction(29_993, 10_000), 1_000, POST)
    assert gap == "water covers 2.999 days, under the plan's 3 ready days"


def test_days_just_under_one_day_read_under_one_day() -> None:
    gap = rules.cover_gap("food_ration", rules.NOT_READY, Fraction(999_999, 1_000_000), 10, POST)
    assert gap.startswith("food_ration covers 0.999999 days for 10 people, under 1 day")


def test_usual_figures_keep_two_decimals() -> None:
    gap = rules.cover_gap("water", rules.AT_RISK, Fraction(2), 1_000, POST)
    assert gap == "water covers 2.00 days, under the plan's 3 ready days"


def test_people_per_facility_just_over_the_standard_read_over_it() -> None:
    assert rules.facility_gap("latrine", 2_001, 100, Fraction(20)) == (
        "latrine: 20.01 people per latrine, standard at most 20"
    )
    assert rules.facility_gap("latrine", 1_000, 3, Fraction(20)) == (
        "latrine: 333.3 people per latrine, standard at most 20"
    )


def test_per_person_items_just_under_one_read_under_one() -> None:
    gaps: list[str] = []
    assert rules.per_person_items({"blanket": 9_999, "sleeping_mat": 10_000}, 10_000, gaps)
    assert gaps == ["blanket: 0.9999 per person, under 1 per person"]


@pytest.mark.parametrize(
    "area, expected",
    [
        (19_999, "congestion high: 19.999 m² of site per person (standard 45)"),
        (29_999, "congestion moderate: 29.999 m² of site per person (standard 45)"),
        (25_000, "congestion moderate: 25.0 m² of site per person (standard 45)"),
    ],
)
def test_congestion_reads_inside_its_band(area: int, expected: str) -> None:
    gaps: list[str] = []
    assert rules.congestion(area, 1_000, gaps) == rules.AT_RISK
    assert gaps == [expected]


def test_a_site_area_in_decimals_is_read_exactly() -> None:
    gaps: list[str] = []
    assert rules.congestion(19_999.5, 1_000, gaps) == rules.AT_RISK
    assert gaps == ["congestion high: 19.9995 m² of site per person (standard 45)"]
    assert rules.congestion(30_000.0, 1_000, None) is None


NUMBER = r"([\d,]+(?:\.\d+)?)"
UNDER = [
    re.compile(rf"covers {NUMBER} days for [\d,]+ people, under (1) day"),
    re.compile(rf"covers {NUMBER} days, under the plan's {NUMBER} ready days"),
    re.compile(rf": {NUMBER} per person, under {NUMBER} per person"),
]
OVER = re.compile(rf": {NUMBER} people per \w+, standard at most {NUMBER}")
CONGESTION = re.compile(rf"congestion (\w+): {NUMBER} m²")


def _n(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


@settings(max_examples=600, deadline=None)
@given(fold=folds())
def test_the_numbers_of_every_gap_support_its_verdict(fold: ReadinessFold) -> None:
    floors = dict(CONGESTION_BANDS)
    ceilings = rules.BAND_CEILINGS
    for gap in camp_view(fold, CAMP)["gaps"]:
        for pattern in UNDER:
            if match := pattern.search(gap):
                assert _n(match[1]) < _n(match[2]), gap
        if match := OVER.search(gap):
            assert _n(match[1]) > _n(match[2]), gap
        if match := CONGESTION.search(gap):
            band, area = match[1], _n(match[2])
            assert floors[band] <= area < ceilings[band], gap


# -- one home for every threshold --------------------------------------------------------------


def _catalog_thresholds() -> set[int]:
    """Every whole-number threshold of the catalog and standards above 1 (45, 30, 20, 50, …)."""
    figures = {f for profile in STANDARDS_PROFILES.values() for f in profile.values()}
    figures |= {Fraction(floor) for _, floor in CONGESTION_BANDS}
    return {int(f) for f in figures if f.denominator == 1 and f > 1} | {
        f.denominator for f in figures if f.denominator > 1
    }


def test_no_threshold_literal_outside_the_catalog() -> None:
    thresholds = _catalog_thresholds()
    assert {45, 30, 20, 50, 250, 90_000} <= thresholds
    sources = [ROOT / "projections" / name for name in ("readiness.py", "rules.py")]
    sources += [ROOT / "api" / "dashboard" / "pages.py"]
    found = []
    for path in sources:
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.NUMBER and token.string.replace("_", "").isdigit():
                value = int(token.string.replace("_", ""))
                # pages.py: a chart's margin is a twentieth of its span (not a threshold)
                if value in thresholds and (path.name, token.line.strip()) != (
                    "pages.py",
                    "end = last + max(timedelta(days=1), (last - start) / 20)",
                ):
                    found.append(f"{path.name}:{token.start[0]}: {token.line.strip()}")
    templates = sorted((ROOT / "api" / "dashboard" / "templates").glob("*.html"))
    for path in templates:
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m}" for m in re.findall(r"\b(?:45|30|20)\b", text)]
    assert not found


# -- the dashboard asks the same rules ---------------------------------------------------------


@pytest.mark.parametrize(
    "days, ready, expected",
    [
        (0.9999, 3, "not_ready"),
        (1, 3, "at_risk"),
        (2.999, 3, "at_risk"),
        (3, 3, "ready"),
        (2.4, 2.5, "at_risk"),
        (2.5, 2.5, "ready"),
    ],
)
def test_the_dashboards_bars_use_the_rules_verdict(
    days: float, ready: float, expected: str
) -> None:
    assert charts.cover_class(days, ready) == expected == rules.days_cover_status(days, ready)


@pytest.mark.parametrize(
    "pop, count, expected",
    [
        (0, 0, ("closed", "no residents")),
        (10, 0, ("at_risk", "none built")),
        (1_001, 20, ("at_risk", "over the standard")),  # 50.05 per latrine > 50
        (1_000, 20, ("ready", "within the standard")),
    ],
)
def test_the_facility_verdict_is_the_rules(pop: int, count: int, expected: tuple[str, str]) -> None:
    assert rules.facility_verdict(pop, count, Fraction(50)) == expected


@settings(max_examples=300, deadline=None)
@given(
    value=st.fractions(min_value=0, max_value=10_000),
    limit=st.fractions(min_value=0, max_value=10_000),
    places=st.sampled_from([1, 2]),
)
def test_a_gap_number_never_rounds_onto_its_limit(
    value: Fraction, limit: Fraction, places: int
) -> None:
    assume(value != limit)
    shown = Fraction(rules.shown_apart(value, limit, places).replace(",", ""))
    assert (shown < limit) if value < limit else (shown > limit)


def test_the_cover_bars_read_on_their_side_of_the_limits() -> None:
    bars = charts.cover_bars(
        {"water": 0.99996, "food_ration": 2.9999, "medical_kit": 4.0},
        3,
        {"water": "not_ready", "food_ration": "at_risk", "medical_kit": "ready"},
    )
    assert "<strong>0.99996 days</strong><br>under 1 day" in bars
    assert "<strong>2.9999 days</strong><br>under ready days" in bars
    assert "<strong>4 days</strong>" in bars
