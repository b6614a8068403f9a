"""The ResponsePlan aggregate's checks: its figures and standards, its lifecycle, its amounts.

Each raises the named refusal the contract gives (with `rule` and `field`); the aggregate calls
them before recording an event.
"""

from __future__ import annotations

import math

from domain.catalog import MAX_WHOLE_NUMBER, STANDARD_KEYS, STANDARDS_PROFILES
from domain.errors import DomainRefusal, FundingError, StatusError

# Which status each lifecycle command may start from.
ALLOWED_FROM = {
    "activate": ("drafted",),
    "stand down": ("activated",),
    "close": ("drafted", "activated", "standing_down"),
}


def require_plan_figures(planning_figure: int, ready_days: float) -> None:
    """Refuse a planning figure under 1 person or ready days not a finite number above 0."""
    if planning_figure <= 0:
        raise DomainRefusal(
            f"planning figure must be at least 1 person, got {planning_figure}",
            field="planning_figure",
        )
    if not (ready_days > 0 and math.isfinite(ready_days)):
        raise DomainRefusal(
            f"ready_days must be a finite number above 0, got {ready_days}",
            field="ready_days",
        )


def checked_standards(profile: str, overrides: dict[str, float] | None) -> dict[str, float]:
    """The overrides of a known standards profile, each a known, finite figure above 0."""
    if profile not in STANDARDS_PROFILES:
        raise DomainRefusal(f"unknown standards profile {profile!r}", field="standards")
    checked = dict(overrides or {})
    for key, value in checked.items():
        if key not in STANDARD_KEYS or not (value > 0 and math.isfinite(value)):
            raise DomainRefusal(
                f"standards override {key}={value!r} is not a known positive figure",
                field="standards",
            )
    return checked


def require_status_for(plan: str, status: str, action: str) -> None:
    """Refuse a lifecycle command from a status it may not start from."""
    if status not in ALLOWED_FROM[action]:
        raise StatusError(
            f"plan '{plan}' is {status}; it can {action} only when "
            f"{' or '.join(ALLOWED_FROM[action])}",
            rule="plan lifecycle drafted → activated → standing_down → closed",
            field="plan",
        )


def require_positive_amount(amount: int) -> None:
    """Refuse an amount outside 1 to the largest whole number (minor units)."""
    if not 0 < amount <= MAX_WHOLE_NUMBER:
        raise FundingError(
            f"amount must be from 1 to {MAX_WHOLE_NUMBER} minor units, got {amount}",
            field="amount",
        )
