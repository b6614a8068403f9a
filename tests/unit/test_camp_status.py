"""The projector's quick camp status equals the status the camp view states (issue 4).

The timeline asks `camp_status` after every moment that touches a camp; the view computes its
status along with its gaps. Generated fold states are drawn near every threshold: days of cover
around 1 and the plan's ready days, items per person around 1, people per facility around the
standard, site area per person around 30 m², people around the shelter capacity.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import (
    CONSUMABLES,
    DEFAULT_REQUIRED_SECTORS,
    FACILITIES,
    PER_PERSON_ITEMS,
    STANDARDS_PROFILES,
    VULNERABLE_GROUPS,
)
from projections.fold_state import CampState, PlanState
from projections.readiness import ReadinessFold, camp_status, camp_view
from projections.shapes import PartnerState

PLAN, CAMP, LEAD, GONE = "plan-1", "camp-1", "partner-1", "partner-2"


RULES = ("none", "consumable", "per_person", "facility", "area", "capacity", "sectors")


def _near(draw: st.DrawFn, target: Fraction | float) -> int:
    """A whole number just under, at or just over `target` (never below 0)."""
    return max(0, math.floor(target) + draw(st.sampled_from((-1, 0, 1, 2))))


@st.composite
def folds(draw: st.DrawFn) -> ReadinessFold:
    profile = draw(st.sampled_from(sorted(STANDARDS_PROFILES)))
    overrides = draw(st.sampled_from(({}, {"water": 10}, {"latrine": 100, "food_ration": 0.5})))
    ready_days = draw(st.sampled_from((1, 2, 3, 1.5, 7)))
    required = draw(st.lists(st.sampled_from(DEFAULT_REQUIRED_SECTORS), unique=True, max_size=6))
    fold = ReadinessFold()
    for partner_id, withdrawn in ((LEAD, False), (GONE, True)):
        partner = {"slug": partner_id, "name": partner_id, "kind": "ngo", "withdrawn": withdrawn}
        fold.load_entity("partners", partner_id, cast(PartnerState, partner))
    plan = {
        "slug": "p",
        "standards_profile": profile,
        "standards_overrides": overrides,
        "ready_days": ready_days,
        "required_sectors": required,
    }
    fold.load_entity("plans", PLAN, cast(PlanState, plan))
    standards = fold.plans[PLAN]["standards"]
    people = draw(st.sampled_from((0, 1, 49, 50, 51, 400, 1_000)))
    # every rule met with room to spare, then one rule (or none) brought to its threshold
    camp: dict[str, Any] = {
        "slug": "c",
        "plan_id": PLAN,
        "location": "somewhere",
        "site_area_m2": 45 * people + 1,
        "shelter_capacity": people + 1_000,
        "closed": draw(st.integers(0, 9)) == 0,
        "leads": dict.fromkeys(required, LEAD),
        "co_leads": {},
        "lead_since": dict.fromkeys(required, "2011-03-11T00:00:00+00:00"),
        "population": {"people": people} | {g: min(people, 3) for g in VULNERABLE_GROUPS},
        "stock": {
            item: math.ceil(standards[item] * people * (ready_days + 5)) for item in CONSUMABLES
        },
        "delivered": dict.fromkeys(PER_PERSON_ITEMS, people),
        "facilities": {f: math.ceil(people / standards[f]) + 1 for f in FACILITIES},
    }
    rule = draw(st.sampled_from(RULES))
    if rule == "consumable":
        item = draw(st.sampled_from(CONSUMABLES))
        days = draw(st.sampled_from((0, 1, ready_days)))
        camp["stock"][item] = _near(draw, standards[item] * people * days)
    elif rule == "per_person":
        camp["delivered"][draw(st.sampled_from(PER_PERSON_ITEMS))] = _near(draw, people)
    elif rule == "facility":
        facility = draw(st.sampled_from(FACILITIES))
        camp["facilities"][facility] = _near(draw, people / standards[facility])
    elif rule == "area":
        camp["site_area_m2"] = max(1, _near(draw, draw(st.sampled_from((20, 30, 45))) * people))
        camp["site_area_m2"] += draw(st.sampled_from((0, 0.5)))  # the API takes decimals
    elif rule == "capacity":
        camp["shelter_capacity"] = _near(draw, people)
    elif rule == "sectors" and required:
        camp["leads"][draw(st.sampled_from(required))] = draw(st.sampled_from((GONE, "unknown")))
    fold.load_entity("camps", CAMP, cast(CampState, camp))
    return fold


@settings(max_examples=2_000, deadline=None)
@given(fold=folds())
def test_the_quick_status_equals_the_view_status(fold: ReadinessFold) -> None:
    assert camp_status(fold, CAMP) == camp_view(fold, CAMP)["status"]


def test_the_generated_states_reach_every_status() -> None:
    seen: set[str] = set()

    @settings(max_examples=500, deadline=None, database=None)
    @given(fold=folds())
    def collect(fold: ReadinessFold) -> None:
        seen.add(camp_view(fold, CAMP)["status"])

    collect()
    assert seen == {"ready", "at_risk", "not_ready", "closed"}
