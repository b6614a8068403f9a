"""`planner simulate FILE [--runs N] [--seed S] [--json] [--report DIR]`: the reports.

The text report and `--json` print, for each requirement of the scenario's `simulate:` section,
the share of sampled runs that broke it and the minimal failing shock (in words and as a
scenario fragment); `--report DIR` writes a self-contained HTML page with inline SVG plots and,
for each minimal failing shock, a complete scenario file that `planner replay` reproduces it
with.
"""

from __future__ import annotations

import argparse
import html
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from planner.scenario import Scenario, ScenarioError, load_scenario
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
    simulate_scenario,
    validate_simulate,
    wrap_words,
)
from planner.simulation import shocks_summary as kind_summaries
from projections.readiness import CAMP_STATUSES

EXIT_OK, EXIT_BROKEN, EXIT_BAD_INPUT = 0, 1, 2


def simulate(args: argparse.Namespace) -> int:
    """Run the simulation of one scenario file and print (and write) its report."""
    path = Path(args.file)
    if args.runs < 1:
        return _bad_input(args, str(path), "--runs must be 1 or more")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = None
    try:
        scenario = load_scenario(path)
        spec = validate_simulate(scenario, text)
    except ScenarioError as error:
        return _bad_input(args, str(path), str(error))
    if spec is None:
        return _bad_input(
            args,
            str(path),
            f"{path}: the scenario has no 'simulate:' section (see docs/simulation.md)",
        )
    report = simulate_scenario(scenario, runs=args.runs, seed=args.seed, spec=spec)
    written: list[Path] = []
    if args.report is not None:
        written = write_report(report, Path(args.report))
    if args.json:
        data = report_dict(report)
        data["report_files"] = [str(p) for p in written]
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(format_text(report))
        if written:
            print(f"   report: {written[0]} (and {len(written) - 1} scenario files to replay)")
    return EXIT_BROKEN if report.broken else EXIT_OK


def _bad_input(args: argparse.Namespace, path: str, message: str) -> int:
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps({"file": path, "ok": False, "error": message}, option=orjson.OPT_INDENT_2)
            + b"\n"
        )
    else:
        print(f"ERROR {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


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


def report_dict(report: SimulationReport) -> dict[str, Any]:
    """The JSON report."""
    scenario = report.scenario
    start = scenario.start
    outcomes = []
    for outcome in report.outcomes:
        entry: dict[str, Any] = {
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
            "minimal": None,
        }
        if outcome.minimal is not None:
            breach = outcome.minimal.breach(outcome.number)
            assert breach is not None
            entry["minimal"] = {
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
        if report.samples:
            coarse, fine = correlations(report, outcome.number)
            entry["correlations"] = {name: r for name, r in coarse}
            entry["top_correlations"] = [{"part": name, "r": r} for name, r in fine]
        outcomes.append(entry)
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
        "requirements": outcomes,
        "refused_steps": [
            {"step": label, "runs": count, "share": count / report.runs}
            for label, count in refusal_shares(report)
        ],
        "camps": camp_summary(report),
    }


def camp_summary(report: SimulationReport) -> dict[str, Any]:
    """Per camp across the sampled runs: status counts and lowest days of cover."""
    camps: dict[str, Any] = {}
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


# --------------------------------------------------------------------------------------------
# HTML with inline SVG

_COLORS = {
    "ready": "#2e7d32",
    "at_risk": "#f9a825",
    "not_ready": "#c62828",
    "closed": "#757575",
    "empty": "#cfd8dc",
}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;max-width:72rem;
color:#212121}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1rem}table{border-collapse:collapse}td,th{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #eee;vertical-align:top}pre{background:#f6f8fa;padding:.6rem;
overflow-x:auto;font-size:.8rem}.broken{color:#c62828;font-weight:600}.held{color:#2e7d32;
font-weight:600}.small{font-size:.85rem;color:#555}svg{display:block;margin:.4rem 0}
.legend span{display:inline-block;margin-right:1rem}.sw{display:inline-block;width:.8rem;
height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def write_report(report: SimulationReport, folder: Path) -> list[Path]:
    """Write index.html and one replayable scenario per minimal failing shock; return paths."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    scenario_files: dict[int, str] = {}
    for outcome in report.outcomes:
        if outcome.minimal is None:
            continue
        name = (
            f"{report.scenario.slug}-minimal-"
            f"{'invariants' if outcome.number == 0 else f'r{outcome.number}'}.yaml"
        )
        (folder / name).write_text(reproduction_yaml(report.scenario, outcome), encoding="utf-8")
        scenario_files[outcome.number] = name
        files.append(folder / name)
    page = folder / "index.html"
    page.write_text(render_html(report, scenario_files), encoding="utf-8")
    return [page, *files]


def _e(text: Any) -> str:
    return html.escape(str(text))


def render_html(report: SimulationReport, scenario_files: dict[int, str] | None = None) -> str:
    """A self-contained HTML page: the requirements, camp plots and shock correlations."""
    scenario_files = scenario_files or {}
    scenario = report.scenario
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Simulation: {_e(scenario.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Stress test: {_e(scenario.title)}</h1>",
        f"<p class=small>{_e(scenario.path)} · {report.runs} sampled runs, seed {report.seed} · "
        f"{report.total_runs} runs in all in {report.elapsed:.1f} s</p>",
        "<h2>Shocks explored</h2><ul>",
        *(f"<li>{_e(line)}</li>" for line in shocks_summary(scenario, report.spec, report)),
        "</ul><h2>Requirements</h2>",
        _requirements_table(report, scenario_files),
    ]
    parts.append("<h2>Camps across the runs</h2>")
    parts.append(_legend())
    summary = camp_summary(report)
    for slug, data in summary.items():
        parts.append(f"<h3>camp {_e(slug)}</h3>")
        parts.append(_status_bars(data, report.runs))
        thresholds = _thresholds(report, slug)
        for item, values in _cover_values(report, slug).items():
            base = report.baseline.camps.get(slug)
            baseline = base.min_cover.get(item) if base else None
            parts.append(
                _histogram(
                    values,
                    f"lowest days of cover of {item} while the camp had people "
                    f"({len(values)} runs)",
                    markers=[
                        (1.0, "1 day", "#c62828"),
                        *((t, f"required {t:g}", "#6a1b9a") for t in thresholds.get(item, [])),
                        *(((baseline, "unshocked", "#1565c0"),) if baseline is not None else ()),
                    ],
                )
            )
    parts.append("<h2>Which shocks go with failures</h2>")
    parts.append(
        "<p class=small>Correlation across the sampled runs between each shock dimension and "
        "the requirement breaking (point-biserial r: 1 = always together, 0 = unrelated, "
        "negative = goes with holding).</p>"
    )
    for outcome in report.outcomes:
        if not outcome.broken_runs:
            continue
        coarse, fine = correlations(report, outcome.number)
        parts.append(f"<h3>{_e(outcome_title(report, outcome))}</h3>")
        parts.append(_correlation_bars(coarse))
        if fine:
            parts.append("<table><tr><th>part of the shock</th><th>r</th></tr>")
            parts += [f"<tr><td>{_e(name)}</td><td>{r:+.2f}</td></tr>" for name, r in fine]
            parts.append("</table>")
    shares = refusal_shares(report)
    if shares:
        parts.append(
            "<h2>Steps refused under shocks</h2><table><tr><th>step</th><th>share of runs</th></tr>"
        )
        parts += [
            f"<tr><td>{_e(label)}</td><td>{count / report.runs:.1%}</td></tr>"
            for label, count in shares[:15]
        ]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _requirements_table(report: SimulationReport, files: dict[int, str]) -> str:
    rows = ["<table><tr><th>requirement</th><th>broken in</th><th>minimal failing shock</th></tr>"]
    for outcome in report.outcomes:
        share = outcome.broken_runs / report.runs
        css = "broken" if outcome.minimal is not None else "held"
        bar = (
            f"<svg width=120 height=12 role=img aria-label='{share:.1%}'>"
            f"<rect width=120 height=12 fill='#eceff1'/>"
            f"<rect width={120 * share:.1f} height=12 fill='#c62828'/></svg>"
        )
        if outcome.minimal is None:
            cell = "none found" + (f" ({_e(search_words(outcome))})" if outcome.number else "")
        else:
            cell = (
                f"{_e(minimal_in_words(report.scenario, outcome))}"
                f"<div class=small>{_e(search_words(outcome))}</div>"
                f"<details><summary>scenario fragment</summary><pre>"
                f"{_e(fragment_yaml(report.scenario, outcome.minimal))}</pre></details>"
            )
            if outcome.number in files:
                cell += (
                    f"<div class=small>replay it: <code>planner replay "
                    f"{_e(files[outcome.number])}</code></div>"
                )
        rows.append(
            f"<tr><td>{_e(outcome_title(report, outcome))}</td><td class={css}>"
            f"{_e(verdict(report, outcome))}{bar}</td><td>{cell}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _legend() -> str:
    return (
        "<p class=legend>"
        + "".join(
            f"<span><i class=sw style='background:{color}'></i>{_e(status)}</span>"
            for status, color in _COLORS.items()
        )
        + "</p>"
    )


def _status_bars(data: dict[str, Any], runs: int) -> str:
    width, height, left = 560, 22, 150
    rows = [
        ("worst status (while populated)", data["worst_status"]),
        ("status at the end", data["final_status"]),
    ]
    svg = [f"<svg width={left + width + 10} height={len(rows) * (height + 8) + 4} role=img>"]
    for index, (label, counts) in enumerate(rows):
        y = 4 + index * (height + 8)
        svg.append(f"<text x=0 y={y + 15} font-size=12>{_e(label)}</text>")
        x = float(left)
        for status, color in _COLORS.items():
            count = counts.get(status, 0)
            if not count:
                continue
            w = width * count / max(runs, 1)
            svg.append(
                f"<rect x={x:.1f} y={y} width={w:.1f} height={height} fill='{color}'>"
                f"<title>{_e(status)}: {count} of {runs} runs</title></rect>"
            )
            if w > 30:
                svg.append(
                    f"<text x={x + 4:.1f} y={y + 15} font-size=11 fill='#fff'>"
                    f"{count / runs:.0%}</text>"
                )
            x += w
    svg.append("</svg>")
    return "".join(svg)


def _cover_values(report: SimulationReport, slug: str) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for sample in report.samples:
        stats = sample.camps.get(slug)
        if stats:
            for item, days in stats.min_cover.items():
                values.setdefault(item, []).append(days)
    return values


def _thresholds(report: SimulationReport, slug: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for requirement in report.spec.requirements:
        if (
            requirement.subject == "camp"
            and requirement.slug == slug
            and (requirement.prop == "min_days_of_cover")
        ):
            for item, days in requirement.value.items():
                found.setdefault(item, []).append(days)
    return found


def _histogram(
    values: Sequence[float],
    title: str,
    markers: Sequence[tuple[float, str, str]] = (),
    bins: int = 20,
) -> str:
    width, height, pad = 560, 140, 30
    if not values:
        return f"<p class=small>{_e(title)}: no run had people in this camp</p>"
    ordered = sorted(values)
    top = ordered[min(len(ordered) - 1, int(0.98 * len(ordered)))]
    top = max(top, *(m[0] for m in markers), 1e-9) * 1.05
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value / top * bins))] += 1
    peak = max(counts)
    bar = width / bins
    svg = [
        f"<svg width={width + pad + 10} height={height + 40} role=img>",
        f"<text x={pad} y=12 font-size=12>{_e(title)}</text>",
    ]
    for index, count in enumerate(counts):
        h = (height - 20) * count / peak if peak else 0
        x = pad + index * bar
        low, high = top * index / bins, top * (index + 1) / bins
        svg.append(
            f"<rect x={x:.1f} y={height - h:.1f} width={bar - 1:.1f} height={h:.1f} "
            f"fill='#78909c'><title>{low:.2f}–{high:.2f} days: {count} runs</title>"
            "</rect>"
        )
    svg.append(f"<line x1={pad} y1={height} x2={pad + width} y2={height} stroke='#333'/>")
    for tick in range(6):
        value = top * tick / 5
        x = pad + width * tick / 5
        svg.append(
            f"<text x={x:.1f} y={height + 14} font-size=10 text-anchor=middle>{value:.1f}</text>"
        )
    svg.append(
        f"<text x={pad + width / 2} y={height + 28} font-size=10 text-anchor=middle>"
        "days of cover</text>"
    )
    for offset, (value, label, color) in enumerate(markers):
        if value > top:
            continue
        x = pad + width * value / top
        svg.append(
            f"<line x1={x:.1f} y1=18 x2={x:.1f} y2={height} stroke='{color}' "
            "stroke-dasharray='4 2'/>"
        )
        svg.append(
            f"<text x={x + 3:.1f} y={28 + 11 * offset} font-size=10 fill='{color}'>"
            f"{_e(label)}</text>"
        )
    svg.append("</svg>")
    return "".join(svg)


def _correlation_bars(rows: Sequence[tuple[str, float | None]]) -> str:
    label_width, width, height = 260, 300, 18
    svg = [f"<svg width={label_width + width + 60} height={len(rows) * (height + 4) + 8} role=img>"]
    middle = label_width + width / 2
    for index, (name, r) in enumerate(rows):
        y = 4 + index * (height + 4)
        svg.append(f"<text x=0 y={y + 13} font-size=12>{_e(name)}</text>")
        if r is None:
            svg.append(
                f"<text x={middle + 4} y={y + 13} font-size=11 fill='#777'>"
                "constant in these runs</text>"
            )
            continue
        w = abs(r) * width / 2
        x = middle if r >= 0 else middle - w
        color = "#c62828" if r >= 0 else "#2e7d32"
        svg.append(f"<rect x={x:.1f} y={y} width={w:.1f} height={height} fill='{color}'/>")
        svg.append(f"<text x={label_width + width + 6} y={y + 13} font-size=11>{r:+.2f}</text>")
    svg.append(
        f"<line x1={middle} y1=0 x2={middle} y2={len(rows) * (height + 4) + 8} stroke='#333'/>"
    )
    svg.append("</svg>")
    return "".join(svg)


__all__ = ["format_text", "render_html", "report_dict", "simulate", "write_report"]
