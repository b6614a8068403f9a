"""The camp readiness rules (contract: "Readiness rules"), each criterion defined once.

A criterion has its threshold (from the plan's standards profile and the catalog), its verdict
(`NOT_READY`, `AT_RISK`, or None when met) and the words of its gap. The camp view asks each
criterion for its verdict and gaps; the status fast path (`camp_status`, which the timeline
uses) asks for the verdict alone (`gaps=None`: integers only, returning as soon as settled);
the dashboard asks the same verdicts. The numbers in a gap support its verdict even at a
rounding edge: 2.9993 days under 3 ready days reads "2.999 days", never "3.00 days".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from domain.catalog import (
    CONGESTED_BANDS,
    CONGESTION_BANDS,
    CONSUMABLES,
    FACILITIES,
    ITEMS,
    MIN_SITE_AREA_PER_PERSON_M2,
    PER_PERSON_ITEMS,
    PER_PERSON_STANDARD,
    SECTORS,
    VULNERABLE_GROUPS,
    standards_for,
)

READY, AT_RISK, NOT_READY, CLOSED = "ready", "at_risk", "not_ready", "closed"
Gaps = list[str] | None  # where a criterion writes its gaps; None: the verdict alone
Verdict = str | None  # NOT_READY, AT_RISK, or None (the criterion is met)

# The least site area per person (m²) whose band is not congested: below it, a camp is at risk.
UNCONGESTED_FLOOR_M2 = min(floor for band, floor in CONGESTION_BANDS if band not in CONGESTED_BANDS)
# each band but the first with the floor of the band above it (the area it stays under)
BAND_CEILINGS = {
    band: CONGESTION_BANDS[i - 1][1] for i, (band, _) in enumerate(CONGESTION_BANDS) if i
}
EXTRA_PLACES = 4  # decimals a gap may add to a number so that it reads on the verdict's side


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A plan's thresholds: exact standards and ready days, and the same as integer pairs."""

    standards: Mapping[str, Fraction]
    ready: Fraction
    needs: tuple[tuple[str, int, int], ...]  # consumable, daily need per person (num, den)
    limits: tuple[tuple[str, int, int], ...]  # facility, most people per unit (num, den)
    ready_num: int
    ready_den: int

    @classmethod
    def of(cls, standards: Mapping[str, Fraction], ready: Fraction) -> Thresholds:
        """The thresholds of exact standards and ready days."""
        return cls(
            standards=standards,
            ready=ready,
            needs=tuple((i, standards[i].numerator, standards[i].denominator) for i in CONSUMABLES),
            limits=tuple((f, standards[f].numerator, standards[f].denominator) for f in FACILITIES),
            ready_num=ready.numerator,
            ready_den=ready.denominator,
        )


def thresholds_for(
    profile: str, overrides: Mapping[str, float], ready_days: float | Fraction
) -> Thresholds:
    """The thresholds of a plan's standards profile, its overrides and its ready days."""
    return Thresholds.of(standards_for(profile, dict(overrides)), Fraction(ready_days))


def worst(verdicts: Iterable[Verdict]) -> str:
    """The status the verdicts of an open camp add up to."""
    found = set(verdicts)
    if NOT_READY in found:
        return NOT_READY
    return AT_RISK if AT_RISK in found else READY


# -- how numbers are written in gaps ---------------------------------------------------------------


def plain(value: Fraction | float) -> str:
    """A threshold as people write it: 3, 2.5, 0.333333."""
    return f"{float(value):g}"


def shown_apart(value: Fraction | float, limit: Fraction | float, places: int = 2) -> str:
    """`value` (not equal to `limit`) with `places` decimals, or as many more as it takes (up
    to `EXTRA_PLACES`) to read on its side of `limit` as `plain` writes it; then cut towards it:
    a gap never reads "3.00 days, under 3" (2.9993 reads 2.999)."""
    exact, bound = Fraction(value), Fraction(limit)
    written = Fraction(plain(bound))
    under = exact < bound
    edge = min(bound, written) if under else max(bound, written)
    for p in range(places, places + EXTRA_PLACES):
        shown = round(exact, p)
        if (shown < edge) if under else (shown > edge):
            return f"{float(shown):,.{p}f}"
    p = places + EXTRA_PLACES
    cut = math.floor(exact * 10**p) if under else math.ceil(exact * 10**p)
    return f"{cut / 10**p:,.{p}f}"


# -- 1. sector coverage: every required sector has a lead that counts ------------------------------


def uncovered_sectors(
    required: Iterable[str], leads: Mapping[str, str], counts: Callable[[str | None], bool]
) -> list[str]:
    """The required sectors whose lead is missing or does not count (verdict: not ready)."""
    return [sector for sector in required if not counts(leads.get(sector))]


def sector_coverage(
    uncovered: Iterable[str], leads: Mapping[str, str], slug_of: Callable[[str], str], gaps: Gaps
) -> Verdict:
    """Any required sector uncovered: not ready (each one a gap, naming a lead that withdrew)."""
    verdict: Verdict = None
    for sector in uncovered:
        verdict = NOT_READY
        if gaps is None:
            break
        lead = leads.get(sector)
        gaps.append(sector_gap(sector, None if lead is None else slug_of(lead)))
    return verdict


def sector_gap(sector: str, withdrawn_lead: str | None) -> str:
    """The gap of an uncovered sector (`withdrawn_lead`: the slug of a lead that withdrew)."""
    if withdrawn_lead is None:
        return f"sector {sector} ({SECTORS[sector]}) has no lead"
    return f"sector {sector} ({SECTORS[sector]}) is led by '{withdrawn_lead}', which has withdrawn"


# -- 2. consumables: days of cover against 1 day and the plan's ready days -------------------------


def cover_status(held: int, needed: int, ready_num: int, ready_den: int) -> Verdict:
    """Days of cover held/needed (exact): under 1 day not ready; under ready days at risk."""
    if held < needed:
        return NOT_READY
    if held * ready_den < ready_num * needed:
        return AT_RISK
    return None


def days_cover_status(days: Fraction | float, ready: Fraction | float) -> str:
    """The status a number of days of cover stands for (the dashboard's bars)."""
    held, needed = Fraction(days).as_integer_ratio()
    ready_num, ready_den = Fraction(ready).as_integer_ratio()
    return cover_status(held, needed, ready_num, ready_den) or READY


def consumables(stock: Mapping[str, int], pop: int, t: Thresholds, gaps: Gaps) -> Verdict:
    """Each consumable's days of cover (population > 0)."""
    if gaps is None:
        return _consumables_status(stock, pop, t)
    verdict: Verdict = None
    for item, num, den in t.needs:
        held, needed = stock.get(item, 0) * den, pop * num
        status = cover_status(held, needed, t.ready_num, t.ready_den)
        if status is None:
            continue
        verdict = NOT_READY if status == NOT_READY else (verdict or AT_RISK)
        gaps.append(cover_gap(item, status, Fraction(held, needed), pop, t))
    return verdict


def _consumables_status(stock: Mapping[str, int], pop: int, t: Thresholds) -> Verdict:
    """The consumables' verdict alone, after every moment: `cover_status` inlined, in integers."""
    verdict: Verdict = None
    ready_num, ready_den = t.ready_num, t.ready_den
    for item, num, den in t.needs:
        held, needed = stock.get(item, 0) * den, pop * num
        if held < needed:
            return NOT_READY
        if held * ready_den < ready_num * needed:
            verdict = AT_RISK
    return verdict


def cover_gap(item: str, status: str, days: Fraction, pop: int, t: Thresholds) -> str:
    """The gap of a consumable under 1 day (not ready) or under the ready days (at risk)."""
    if status == NOT_READY:
        unit = ITEMS[item].unit.split(" ")[0]
        need = float(t.standards[item] * pop)
        return (
            f"{item} covers {shown_apart(days, Fraction(1), 2)} days for {pop:,} people, "
            f"under 1 day (need {need:,.2f} {unit}s a day)"
        )
    return (
        f"{item} covers {shown_apart(days, t.ready, 2)} days, under the plan's "
        f"{plain(t.ready)} ready days"
    )


# -- 3. per-person items: everything delivered, at least the standard per person -------------------


def per_person_items(delivered: Mapping[str, int], pop: int, gaps: Gaps) -> Verdict:
    """Blankets and sleeping mats delivered per person (at risk under the standard)."""
    verdict: Verdict = None
    for item in PER_PERSON_ITEMS:
        count = delivered.get(item, 0)
        if count < PER_PERSON_STANDARD * pop:
            if gaps is None:
                return AT_RISK
            verdict = AT_RISK
            ratio = shown_apart(Fraction(count, pop), Fraction(PER_PERSON_STANDARD), 2)
            gaps.append(f"{item}: {ratio} per person, under {PER_PERSON_STANDARD} per person")
    return verdict


# -- 4. facilities: at most the standard's people per unit -----------------------------------------


def facility_status(pop: int, count: int, limit_num: int, limit_den: int) -> Verdict:
    """People per facility over the standard, or none built for people: at risk."""
    if pop * limit_den > limit_num * count:  # none built: 0 is under any population
        return AT_RISK
    return None


def facilities(built: Mapping[str, int], pop: int, t: Thresholds, gaps: Gaps) -> Verdict:
    """Each facility's people per unit against the plan's standard."""
    verdict: Verdict = None
    for facility, num, den in t.limits:
        count = built.get(facility, 0)
        if facility_status(pop, count, num, den) is None:
            continue
        if gaps is None:
            return AT_RISK
        verdict = AT_RISK
        gaps.append(facility_gap(facility, pop, count, t.standards[facility]))
    return verdict


def facility_gap(facility: str, pop: int, count: int, limit: Fraction) -> str:
    """The gap of a facility over its standard."""
    if count == 0:
        return f"{facility}: none built for {pop:,} people"
    ratio = shown_apart(Fraction(pop, count), limit, 1)
    return f"{facility}: {ratio} people per {facility}, standard at most {plain(limit)}"


def facility_verdict(pop: int, count: int, limit: Fraction) -> tuple[str, str]:
    """A facility's status and its verdict in a few words (the dashboard's facility table)."""
    if facility_status(pop, count, limit.numerator, limit.denominator) is not None:
        return AT_RISK, "none built" if count == 0 else "over the standard"
    if count == 0:
        return CLOSED, "no residents"
    return READY, "within the standard"


# -- 5. congestion: site area per person -----------------------------------------------------------


def congestion_band(area_per_person: Fraction | float) -> str:
    """The congestion band of a site area per person (catalog: `CONGESTION_BANDS`)."""
    for band, floor in CONGESTION_BANDS:
        if area_per_person >= floor:
            return band
    return CONGESTION_BANDS[-1][0]


def congestion(site_area_m2: float, pop: int, gaps: Gaps) -> Verdict:
    """Too little site area per person (a congested band): at risk."""
    if site_area_m2 >= UNCONGESTED_FLOOR_M2 * pop:
        return None
    if gaps is not None:
        area = Fraction(site_area_m2) / pop  # the area may be given in decimals
        band = congestion_band(area)
        shown = shown_apart(area, Fraction(BAND_CEILINGS[band]), 1)
        gaps.append(
            f"congestion {band}: {shown} m² of site per "
            f"person (standard {MIN_SITE_AREA_PER_PERSON_M2})"
        )
    return AT_RISK


# -- 6. overcrowding: more people than shelter capacity --------------------------------------------


def overcrowding(pop: int, shelter_capacity: int, gaps: Gaps) -> Verdict:
    """More people than the shelters hold: at risk."""
    if pop <= shelter_capacity:
        return None
    if gaps is not None:
        gaps.append(f"overcrowded: {pop:,} people for a shelter capacity of {shelter_capacity:,}")
    return AT_RISK


# -- 7. leave nobody behind: vulnerable people and no protection lead (a gap, not a status) --------


def nobody_left_behind(population: Mapping[str, int], protected: bool, gaps: list[str]) -> None:
    """Vulnerable people registered while protection (PRO) has no lead that counts."""
    vulnerable = {g: population[g] for g in VULNERABLE_GROUPS if population[g]}
    if vulnerable and not protected:
        listed = ", ".join(f"{group} {count:,}" for group, count in vulnerable.items())
        gaps.append(
            f"vulnerable people registered ({listed}) while protection (PRO) has no lead: "
            "leave nobody behind"
        )
