"""The text and JSON reports of `planner simulate`: what each requirement did across the sampled
runs and the searches, its minimal failing shock in words and as a scenario fragment."""

from __future__ import annotations

import statistics

from planner.scenario import Scenario
from planner.simulate_shapes import CampSummary, MinimalDoc, OutcomeDoc, SimulationDoc
from planner.simulation import (
    INVARIANTS,
    Outcome,
    SimulationReport,
    SimulationSpec,
    correlations,
    created_slugs,
    fragment_yaml,
    minimal_in_words,
    offset_text,
    refusal_shares,
    reproduction_yaml,
    wrap_words,
)
from planner.simulation import shocks_summary as kind_summaries
from projections.readiness import CAMP_STATUSES

# --------------------------------------------------------------------------------------------
# Words


def shocks_summary(scenario: Scenario, spec: SimulationSpec, report: SimulationReport) -> list[str]:
    """One line per shock kind the section explores (each kind says its own)."""
    return kind_summaries(spec, report.space)


def outcome_title(report: SimulationReport, outcome: Outcome) -> str:
    """'requirement 2 (line 631): camp x: status never not_ready from +28d'."""
    if outcome.requirement is None:
        return INVARIANTS
    requirement = outcome.requirement
    line = f" (line {requirement.line})" if requirement.line else ""
    return f"requirement {outcome.number}{line}: {requirement.describe(report.scenario.start)}"


def verdict(report: SimulationReport, outcome: Outcome) -> str:
    """BROKEN in k of N runs (x %) / HELD in all N runs / FAILS WITHOUT ANY SHOCK."""
    runs = report.runs
    if outcome.search == "baseline":
        return f"FAILS WITHOUT ANY SHOCK (and in {outcome.broken_runs} of {runs} runs)"
    if outcome.broken_runs:
        share = outcome.broken_runs / runs
        return f"BROKEN in {outcome.broken_runs} of {runs} runs ({share:.1%})"
    if outcome.minimal is not None:
        return f"held in all {runs} sampled runs, but the search found a failing shock"
    return f"HELD in all {runs} runs"


def search_words(outcome: Outcome) -> str:
    """How the minimal shock was found."""
    how = {
        "hypothesis": "hypothesis search and shrinking",
        "greedy": "shrunk from the smallest failing sampled run (hypothesis found none)",
        "baseline": "the plan itself",
    }.get(outcome.search, "no search")
    extra = f", {outcome.search_runs} search runs" if outcome.search_runs else ""
    note = "; search budget reached, it may not be minimal" if outcome.budget_exhausted else ""
    return f"{how}{extra}{note}"


def format_text(report: SimulationReport) -> str:
    """The human-readable report."""
    scenario = report.scenario
    out = [f"== simulate {scenario.title} ({scenario.slug}) — {scenario.path}"]
    out.append(
        f"   {report.runs} runs, seed {report.seed}; {report.total_runs} runs in all "
        f"(baseline, samples and searches) in {report.elapsed:.1f} s"
    )
    out.append("   shocks:")
    out += [f"     - {line}" for line in shocks_summary(scenario, report.spec, report)]
    for outcome in report.outcomes:
        out.append(f"-- {outcome_title(report, outcome)}")
        out.append(f"   {verdict(report, outcome)}")
        if outcome.minimal is None:
            if outcome.number and outcome.search_runs:
                out.append(f"   no failing shock found ({search_words(outcome)})")
            continue
        out.append(f"   minimal failing shock ({search_words(outcome)}):")
        out += [f"     {line}" for line in wrap_words(minimal_in_words(scenario, outcome), 94)]
        out.append("   scenario fragment (the steps it changes; --report writes a full file):")
        fragment = fragment_yaml(scenario, outcome.minimal, max_comments=6)
        out += [f"     {line}" for line in fragment.splitlines()]
    shares = refusal_shares(report)
    if shares:
        out.append("-- steps refused under shocks (skipped; share of sampled runs)")
        for label, count in shares[:8]:
            out.append(f"   {count / report.runs:6.1%}  {label}")
    requirements = len(report.outcomes) - 1
    broken_requirements = sum(1 for o in report.outcomes[1:] if o.minimal is not None)
    invariants = "broken" if report.outcomes[0].minimal is not None else "held"
    out.append(
        f"== {broken_requirements} of {requirements} requirement(s) broken by some shock; "
        f"domain invariants {invariants}"
    )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# JSON


def report_dict(report: SimulationReport) -> SimulationDoc:
    """The JSON report."""
    scenario = report.scenario
    return {
        "scenario": scenario.slug,
        "title": scenario.title,
        "file": scenario.path,
        "runs": report.runs,
        "seed": report.seed,
        "total_runs": report.total_runs,
        "seconds": {
            "total": report.elapsed,
            "sampling": report.sampling_seconds,
            "search": report.search_seconds,
        },
        "shocks": shocks_summary(scenario, report.spec, report),
        "ok": not report.broken,
        "requirements": [_outcome_dict(report, outcome) for outcome in report.outcomes],
        "refused_steps": [
            {"step": label, "runs": count, "share": count / report.runs}
            for label, count in refusal_shares(report)
        ],
        "camps": camp_summary(report),
    }


def _outcome_dict(report: SimulationReport, outcome: Outcome) -> OutcomeDoc:
    """One requirement (or the invariants) in the JSON report."""
    entry: OutcomeDoc = {
        "requirement": outcome.number or None,
        "kind": "invariants" if outcome.requirement is None else outcome.requirement.prop,
        "line": None if outcome.requirement is None else outcome.requirement.line,
        "text": outcome_title(report, outcome),
        "broken_runs": outcome.broken_runs,
        "runs": report.runs,
        "share": outcome.broken_runs / report.runs,
        "fails_without_shock": outcome.search == "baseline",
        "search": outcome.search,
        "search_runs": outcome.search_runs,
        "budget_exhausted": outcome.budget_exhausted,
        "minimal": _minimal_dict(report.scenario, outcome),
    }
    if report.samples:
        coarse, fine = correlations(report, outcome.number)
        entry["correlations"] = {name: r for name, r in coarse}
        entry["top_correlations"] = [{"part": name, "r": r} for name, r in fine]
    return entry


def _minimal_dict(scenario: Scenario, outcome: Outcome) -> MinimalDoc | None:
    """The minimal failing shock of an outcome in the JSON report (None if none was found)."""
    if outcome.minimal is None:
        return None
    start = scenario.start
    breach = outcome.minimal.breach(outcome.number)
    assert breach is not None
    return {
        "shock": outcome.minimal.shock.as_dict(start),
        "words": minimal_in_words(scenario, outcome),
        "breach": {"at": offset_text(breach.at - start), "message": breach.message},
        "refused": [
            {
                "step": r.step.number or None,
                "do": r.step.command,
                "at": offset_text(r.step.at - start),
                "message": r.message,
            }
            for r in outcome.minimal.refusals
        ],
        "fragment": fragment_yaml(scenario, outcome.minimal),
        "scenario": reproduction_yaml(scenario, outcome),
    }


def camp_summary(report: SimulationReport) -> dict[str, CampSummary]:
    """Per camp across the sampled runs: status counts and lowest days of cover."""
    camps: dict[str, CampSummary] = {}
    for slug in created_slugs(report.scenario).get("camp", {}):
        worst = dict.fromkeys((*CAMP_STATUSES, "empty"), 0)
        final = dict.fromkeys((*CAMP_STATUSES, "empty"), 0)
        covers: dict[str, list[float]] = {}
        for sample in report.samples:
            stats = sample.camps.get(slug)
            worst[(stats.worst_status if stats else None) or "empty"] += 1
            final[(stats.final_status if stats else None) or "empty"] += 1
            if stats:
                for item, days in stats.min_cover.items():
                    covers.setdefault(item, []).append(days)
        base = report.baseline.camps.get(slug)
        camps[slug] = {
            "worst_status": worst,
            "final_status": final,
            "baseline": None
            if base is None
            else {
                "worst_status": base.worst_status,
                "final_status": base.final_status,
                "min_days_of_cover": base.min_cover,
            },
            "min_days_of_cover": {
                item: {
                    "runs": len(values),
                    "min": min(values),
                    "median": statistics.median(values),
                    "max": max(values),
                }
                for item, values in covers.items()
            },
        }
    return camps
