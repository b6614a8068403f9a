"""The readiness views computed from a fold's state: camp (and its status alone), plan,
stockpile and who-does-what, by the rules of `projections.rules`."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import projections.rules as rules
import projections.shapes as shapes
from domain.catalog import (
    CONSUMABLES,
    FACILITIES,
    PARTNER_KINDS,
    PER_PERSON_ITEMS,
    PROTECTION_SECTOR,
    TRIPARTITE_KINDS,
    standards_for,
)
from domain.site import DEFAULT_SITE_KIND
from projections.fold_state import CampState, PlanState
from projections.logistics import (
    camp_needs,
    in_transit,
    summed_needs,
)

if TYPE_CHECKING:
    from projections.readiness import ReadinessFold

CAMP_STATUSES = ("ready", "at_risk", "not_ready", "closed")
SITE_FIELDS = ("name", "kind", "adm1", "adm2", "lat", "lon")


def round4(value: Fraction | float) -> float:
    """A figure as the views give it: rounded to 4 decimals."""
    return round(float(value), 4)


DERIVED_PLAN_STATE = ("standards", "ready_fraction", "needs_ready_days", "thresholds")


def derive_plan_state(plan: PlanState) -> None:
    """Fill a plan's derived fields (never stored): exact standards and ready days, and the
    same as integer pairs for `camp_status`."""
    standards = standards_for(plan["standards_profile"], plan["standards_overrides"])
    ready = Fraction(plan["ready_days"])
    plan["standards"] = standards
    plan["ready_fraction"] = ready
    # Needs take ready days as written (2.5, not the float's binary expansion) before a ceiling.
    plan["needs_ready_days"] = ready.limit_denominator(1_000_000)
    plan["thresholds"] = rules.Thresholds.of(standards, ready)


# -- the camp readiness rules (`projections.rules`): the status alone, and the whole view ---------


def camp_status(fold: ReadinessFold, camp_id: str) -> str:
    """A camp's status by the same rules as `camp_view`, without building the view.

    The projector asks this after every moment that touches a camp (for the timeline), so it
    asks the rules for verdicts only (integers) and returns as soon as the status is settled;
    a property test holds it equal to the view's status.
    """
    camp = fold.camps[camp_id]
    if camp["closed"]:
        return rules.CLOSED
    covered = fold.coverage.get(camp_id)
    if covered is None:
        covered = fold.coverage[camp_id] = _covered(fold, camp)
    if not covered:
        return rules.NOT_READY
    pop = camp["population"]["people"]
    if pop == 0:
        return rules.READY
    thresholds: rules.Thresholds = fold.plans[camp["plan_id"]]["thresholds"]
    verdict = rules.consumables(camp["stock"], pop, thresholds, None)
    if verdict is not None:  # not ready, or at risk: nothing below makes it worse
        return verdict
    if (
        rules.overcrowding(pop, camp["shelter_capacity"], None)
        or rules.congestion(camp["site_area_m2"], pop, None)
        or rules.per_person_items(camp["delivered"], pop, None)
        or rules.facilities(camp["facilities"], pop, thresholds, None)
    ):
        return rules.AT_RISK
    return rules.READY


def _covered(fold: ReadinessFold, camp: CampState) -> bool:
    plan = fold.plans[camp["plan_id"]]
    return not rules.uncovered_sectors(plan["required_sectors"], camp["leads"], fold.lead_counts)


def _camp_verdicts(
    fold: ReadinessFold, camp: CampState, thresholds: rules.Thresholds
) -> tuple[list[str], list[rules.Verdict], list[str]]:
    """Every criterion's verdict and gaps, in the contract's order: (uncovered, verdicts, gaps)."""
    pop = camp["population"]["people"]
    plan = fold.plans[camp["plan_id"]]
    leads = camp["leads"]
    gaps: list[str] = []
    uncovered = rules.uncovered_sectors(plan["required_sectors"], leads, fold.lead_counts)
    verdicts = [rules.sector_coverage(uncovered, leads, fold.partner_slug, gaps)]
    if pop > 0:
        verdicts += [
            rules.consumables(camp["stock"], pop, thresholds, gaps),
            rules.per_person_items(camp["delivered"], pop, gaps),
            rules.facilities(camp["facilities"], pop, thresholds, gaps),
            rules.congestion(camp["site_area_m2"], pop, gaps),
            rules.overcrowding(pop, camp["shelter_capacity"], gaps),
        ]
    protected = fold.lead_counts(leads.get(PROTECTION_SECTOR))
    rules.nobody_left_behind(camp["population"], protected, gaps)
    return uncovered, verdicts, gaps


Measures = dict[str, float | None]


def _camp_measures(
    camp: CampState, thresholds: rules.Thresholds
) -> tuple[Measures, Measures, Measures]:
    """The camp view's measures: days of cover, items per person, people per facility."""
    pop = camp["population"]["people"]
    days_of_cover: Measures = {}
    for item, num, den in thresholds.needs:
        # days = stock ÷ (pop × need), kept as the exact ratio stock·den ÷ pop·num
        days_of_cover[item] = (
            round4(camp["stock"].get(item, 0) * den / (pop * num)) if pop else None
        )
    per_person: Measures = {
        item: round4(camp["delivered"].get(item, 0) / pop) if pop else None
        for item in PER_PERSON_ITEMS
    }
    people_per: Measures = {}
    for facility in FACILITIES:
        count = camp["facilities"].get(facility, 0)
        people_per[facility] = round4(pop / count) if count else None
    return days_of_cover, per_person, people_per


def camp_view(fold: ReadinessFold, camp_id: str) -> shapes.CampView:
    """The camp readiness view (contract: "Camp readiness view"), by `projections.rules`."""
    camp = fold.camps[camp_id]
    plan = fold.plans[camp["plan_id"]]
    thresholds: rules.Thresholds = plan["thresholds"]
    pop = camp["population"]["people"]
    uncovered, verdicts, gaps = _camp_verdicts(fold, camp, thresholds)
    status = rules.CLOSED if camp["closed"] else rules.worst(verdicts)
    days_of_cover, per_person, people_per = _camp_measures(camp, thresholds)
    area_per_person = Fraction(camp["site_area_m2"]) / pop if pop else None
    congestion = None if area_per_person is None else rules.congestion_band(area_per_person)
    overcrowded = pop > camp["shelter_capacity"]

    return {
        "camp": camp["slug"],
        "id": camp_id,
        "plan": plan["slug"],
        "plan_id": camp["plan_id"],
        "location": camp["location"],
        **site_fields(camp),
        "status": status,
        "population": pop,
        **vulnerable_counts(camp["population"]),
        "required_sectors": list(plan["required_sectors"]),
        "uncovered_sectors": uncovered,
        "sector_leads": {
            sector: fold.partner_slug(partner_id)
            for sector, partner_id in sorted(camp["leads"].items())
        },
        "sector_co_leads": {
            sector: [fold.partner_slug(p) for p in partners]
            for sector, partners in sorted(camp.get("co_leads", {}).items())
            if partners
        },
        "days_of_cover": days_of_cover,
        "per_person": per_person,
        "people_per": people_per,
        "facilities": dict(camp["facilities"]),
        "stock": dict(sorted(camp["stock"].items())),
        "delivered": dict(sorted(camp["delivered"].items())),
        "site_area_m2": camp["site_area_m2"],
        "shelter_capacity": camp["shelter_capacity"],
        "site_area_per_person": None if area_per_person is None else round4(area_per_person),
        "congestion": congestion,
        "overcrowded": overcrowded,
        "ready_days": plan["ready_days"],
        "gaps": gaps,
        "needs": camp_needs(camp, plan),
        "in_transit": in_transit(camp.get("in_transit", {})),
    }


def vulnerable_counts(population: shapes.Counts) -> shapes.VulnerableCounts:
    """How many of a camp's people are in each vulnerable group (`VULNERABLE_GROUPS`)."""
    return {
        "under5": population["under5"],
        "elderly": population["elderly"],
        "disabled": population["disabled"],
        "pregnant_lactating": population["pregnant_lactating"],
        "unaccompanied_minors": population["unaccompanied_minors"],
    }


def site_fields(camp: CampState) -> shapes.SiteFields:
    """A camp's site details as its views show them: name defaults to the slug, kind to
    `camp`, the rest to null (a camp established without them has no `site` in its state)."""
    site = camp.get("site")
    if site is None:
        return {
            "name": camp["slug"],
            "kind": DEFAULT_SITE_KIND,
            "adm1": None,
            "adm2": None,
            "lat": None,
            "lon": None,
        }
    return {
        "name": site.get("name") or camp["slug"],
        "kind": site.get("kind") or DEFAULT_SITE_KIND,
        "adm1": site.get("adm1"),
        "adm2": site.get("adm2"),
        "lat": site.get("lat"),
        "lon": site.get("lon"),
    }


def plan_view(fold: ReadinessFold, plan_id: str) -> shapes.PlanView:
    """The plan readiness view (contract: "Plan readiness view")."""
    plan = fold.plans[plan_id]
    members_by_kind = dict.fromkeys(PARTNER_KINDS, 0)
    member_list: list[shapes.Member] = []
    for partner_id, roles in plan["members"].items():
        partner = fold.partners[partner_id]
        member_list.append(
            {
                "partner": partner["slug"],
                "name": partner["name"],
                "kind": partner["kind"],
                "roles": list(roles),
                "withdrawn": partner["withdrawn"],
            }
        )
        if not partner["withdrawn"]:
            members_by_kind[partner["kind"]] += 1
    missing = [kind for kind in TRIPARTITE_KINDS if members_by_kind[kind] == 0]

    currencies = sorted({*plan["pledged"], *plan["received"], *plan["disbursed"]})
    camps_by_status = dict.fromkeys(CAMP_STATUSES, 0)
    population = 0
    for camp_id in plan["camps"]:
        camps_by_status[fold.status_of(camp_id)] += 1
        population += fold.camps[camp_id]["population"]["people"]

    standards: dict[str, Fraction] = plan["standards"]
    preparedness: dict[str, float] = {}
    for item in CONSUMABLES:
        available = sum(
            fold.stockpiles[s]["on_hand"].get(item, 0) - fold.stockpiles[s]["reserved"].get(item, 0)
            for s in plan["stockpiles"]
        )
        need = standards[item]
        needed = plan["planning_figure"] * need.numerator
        preparedness[item] = round4(available * need.denominator / needed)

    doc: shapes.PlanView = {
        "plan": plan["slug"],
        "id": plan_id,
        "title": plan["title"],
        "crisis": plan["crisis"],
        "region": plan["region"],
        "status": plan["status"],
        "planning_figure": plan["planning_figure"],
        "required_sectors": list(plan["required_sectors"]),
        "ready_days": plan["ready_days"],
        "standards": {
            "profile": plan["standards_profile"],
            "overrides": dict(plan["standards_overrides"]),
        },
        "tripartite": not missing,
        "missing_kinds": missing,
        "members": members_by_kind,
        "member_list": member_list,
        "pledged": {c: plan["pledged"].get(c, 0) for c in currencies},
        "received": {c: plan["received"].get(c, 0) for c in currencies},
        "disbursed": {c: plan["disbursed"].get(c, 0) for c in currencies},
        "pool_balance": {
            c: plan["received"].get(c, 0) - plan["disbursed"].get(c, 0) for c in currencies
        },
        "camps": camps_by_status,
        "camp_list": [fold.camps[c]["slug"] for c in plan["camps"]],
        "population": population,
        "stockpiles": [fold.stockpiles[s]["slug"] for s in plan["stockpiles"]],
        "preparedness_days": preparedness,
        "needs": summed_needs(
            [camp_needs(fold.camps[c], plan) for c in plan["camps"] if not fold.camps[c]["closed"]]
        ),
    }
    return doc


def stockpile_view(fold: ReadinessFold, stockpile_id: str) -> shapes.StockpileView:
    """The stockpile view (contract: "Stockpile view")."""
    depot = fold.stockpiles[stockpile_id]
    items: dict[str, shapes.Levels] = {}
    for item in sorted(depot["on_hand"]):
        on_hand = depot["on_hand"][item]
        reserved = depot["reserved"].get(item, 0)
        items[item] = {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}
    reservations = {
        fold.camps[camp_id]["slug"]: {item: qty for item, qty in sorted(by_item.items()) if qty}
        for camp_id, by_item in depot["reservations"].items()
        if any(by_item.values())
    }
    doc: shapes.StockpileView = {
        "stockpile": depot["slug"],
        "id": stockpile_id,
        "partner": fold.partner_slug(depot["partner_id"]),
        "location": depot["location"],
        "items": items,
        "reservations": dict(sorted(reservations.items())),
        "plans": [fold.plans[p]["slug"] for p in depot["plans"]],
        "in_transit": in_transit(depot.get("in_transit", {})),
    }
    return doc


def who_does_what_view(fold: ReadinessFold, camp_id: str) -> shapes.WhoDoesWhatView:
    """The 3W rows of one camp: who leads which sector where, in what role, since when."""
    camp = fold.camps[camp_id]
    plan = fold.plans[camp["plan_id"]]
    site = site_fields(camp)
    rows: list[shapes.ThreeWRow] = []
    for sector, lead_id in sorted(camp["leads"].items()):
        co_leads = camp.get("co_leads", {}).get(sector, [])
        for partner_id, lead in ((lead_id, "lead"), *((c, "co-lead") for c in co_leads)):
            partner = fold.partners.get(partner_id) or unknown_partner(partner_id)
            rows.append(
                {
                    "partner": partner["slug"],
                    "partner_name": partner["name"],
                    "kind": partner["kind"],
                    "role": ", ".join(plan["members"].get(partner_id, [])) or "not a member",
                    "lead": lead,
                    "sector": sector,
                    "camp": camp["slug"],
                    "site_name": site["name"],
                    "site_kind": site["kind"],
                    "adm1": site["adm1"],
                    "adm2": site["adm2"],
                    "lat": site["lat"],
                    "lon": site["lon"],
                    "location": camp["location"],
                    "plan": plan["slug"],
                    "status": "withdrawn" if partner["withdrawn"] else "active",
                    "since": camp["lead_since"][sector],
                }
            )
    return {
        "camp": camp["slug"],
        "id": camp_id,
        "plan": plan["slug"],
        "plan_id": camp["plan_id"],
        "rows": rows,
    }


def unknown_partner(partner_id: str) -> shapes.PartnerState:
    """A partner the fold has no record of, as the 3W shows it: its id, no name, no kind."""
    return {"slug": partner_id, "name": "", "kind": "", "withdrawn": False}
