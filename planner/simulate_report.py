"""`planner simulate --report DIR`: a self-contained HTML page (inline SVG plots) rendered from
the Jinja2 template templates/simulate_report.html with autoescaping, and one replayable scenario
file per minimal failing shock.

This module computes what the page shows (texts, bar widths, plot coordinates); the template
only lays it out. Every text reaches the page escaped by Jinja2.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Final

from jinja2 import Environment, PackageLoader, Template

from planner.simulate_shapes import CampSummary
from planner.simulate_text import (
    camp_summary,
    outcome_title,
    search_words,
    shocks_summary,
    verdict,
)
from planner.simulation import (
    Outcome,
    SimulationReport,
    correlations,
    fragment_yaml,
    minimal_in_words,
    refusal_shares,
    reproduction_yaml,
)

COLORS: Final = {
    "ready": "#2e7d32",
    "at_risk": "#f9a825",
    "not_ready": "#c62828",
    "closed": "#757575",
    "empty": "#cfd8dc",
}


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("planner", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return environment.get_template("simulate_report.html")


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


def render_html(report: SimulationReport, scenario_files: dict[int, str] | None = None) -> str:
    """A self-contained HTML page: the requirements, camp plots and shock correlations."""
    scenario = report.scenario
    return _template().render(
        title=scenario.title,
        path=scenario.path,
        runs=report.runs,
        seed=report.seed,
        total_runs=report.total_runs,
        elapsed=f"{report.elapsed:.1f}",
        shocks=shocks_summary(scenario, report.spec, report),
        requirements=[_requirement_row(report, o, scenario_files or {}) for o in report.outcomes],
        colors=COLORS,
        camps=_camps(report),
        correlations=_correlation_sections(report),
        refusals=[
            {"label": label, "share": f"{count / report.runs:.1%}"}
            for label, count in refusal_shares(report)[:15]
        ],
    )


def _requirement_row(
    report: SimulationReport, outcome: Outcome, files: dict[int, str]
) -> dict[str, object]:
    share = outcome.broken_runs / report.runs
    row: dict[str, object] = {
        "title": outcome_title(report, outcome),
        "css": "broken" if outcome.minimal is not None else "held",
        "verdict": verdict(report, outcome),
        "share": f"{share:.1%}",
        "bar": f"{120 * share:.1f}",
        "search": search_words(outcome),
        "numbered": bool(outcome.number),
        "minimal": None,
    }
    if outcome.minimal is not None:
        row["minimal"] = {
            "words": minimal_in_words(report.scenario, outcome),
            "fragment": fragment_yaml(report.scenario, outcome.minimal),
            "file": files.get(outcome.number),
        }
    return row


# --------------------------------------------------------------------------------------------
# Camps: status bars and histograms of the lowest days of cover


def _camps(report: SimulationReport) -> list[dict[str, object]]:
    camps: list[dict[str, object]] = []
    for slug, data in camp_summary(report).items():
        thresholds = _thresholds(report, slug)
        base = report.baseline.camps.get(slug)
        plots = []
        for item, values in _cover_values(report, slug).items():
            baseline = base.min_cover.get(item) if base else None
            markers = [
                (1.0, "1 day", "#c62828"),
                *((t, f"required {t:g}", "#6a1b9a") for t in thresholds.get(item, [])),
                *(((baseline, "unshocked", "#1565c0"),) if baseline is not None else ()),
            ]
            title = f"lowest days of cover of {item} while the camp had people ({len(values)} runs)"
            plots.append(histogram(values, title, markers))
        camps.append({"slug": slug, "bars": status_bars(data, report.runs), "plots": plots})
    return camps


def status_bars(data: CampSummary, runs: int) -> dict[str, object]:
    """The worst and final status of a camp across the runs, as stacked bars."""
    width, height, left = 560, 22, 150
    labels = [
        ("worst status (while populated)", data["worst_status"]),
        ("status at the end", data["final_status"]),
    ]
    rows = []
    for index, (label, counts) in enumerate(labels):
        y = 4 + index * (height + 8)
        x = float(left)
        segments = []
        for status, color in COLORS.items():
            count = counts.get(status, 0)
            if not count:
                continue
            w = width * count / max(runs, 1)
            segments.append(
                {
                    "x": f"{x:.1f}",
                    "text_x": f"{x + 4:.1f}",
                    "w": f"{w:.1f}",
                    "color": color,
                    "title": f"{status}: {count} of {runs} runs",
                    "share": f"{count / runs:.0%}" if w > 30 else None,
                }
            )
            x += w
        rows.append({"label": label, "y": y, "text_y": y + 15, "segments": segments})
    return {
        "width": left + width + 10,
        "height": len(labels) * (height + 8) + 4,
        "bar_height": height,
        "rows": rows,
    }


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


def histogram(
    values: Sequence[float],
    title: str,
    markers: Sequence[tuple[float, str, str]] = (),
    bins: int = 20,
) -> dict[str, object]:
    """A histogram of days of cover with marker lines (1 day, required, unshocked)."""
    width, height, pad = 560, 140, 30
    if not values:
        return {"title": title, "empty": True}
    ordered = sorted(values)
    top = ordered[min(len(ordered) - 1, int(0.98 * len(ordered)))]
    top = max(top, *(m[0] for m in markers), 1e-9) * 1.05
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value / top * bins))] += 1
    peak, bar = max(counts), width / bins
    bars = []
    for index, count in enumerate(counts):
        h = (height - 20) * count / peak if peak else 0
        low, high = top * index / bins, top * (index + 1) / bins
        bars.append(
            {
                "x": f"{pad + index * bar:.1f}",
                "y": f"{height - h:.1f}",
                "w": f"{bar - 1:.1f}",
                "h": f"{h:.1f}",
                "title": f"{low:.2f}–{high:.2f} days: {count} runs",
            }
        )
    ticks = [
        {"x": f"{pad + width * tick / 5:.1f}", "value": f"{top * tick / 5:.1f}"}
        for tick in range(6)
    ]
    return {
        "title": title,
        "empty": False,
        "width": width + pad + 10,
        "height": height + 40,
        "pad": pad,
        "base": height,
        "right": pad + width,
        "middle": pad + width / 2,
        "bars": bars,
        "ticks": ticks,
        "markers": _markers(markers, top, width, pad),
    }


def _markers(
    markers: Sequence[tuple[float, str, str]], top: float, width: int, pad: int
) -> list[dict[str, object]]:
    placed = []
    for offset, (value, label, color) in enumerate(markers):
        if value > top:
            continue
        x = pad + width * value / top
        placed.append(
            {
                "x": f"{x:.1f}",
                "text_x": f"{x + 3:.1f}",
                "text_y": 28 + 11 * offset,
                "label": label,
                "color": color,
            }
        )
    return placed


# --------------------------------------------------------------------------------------------
# Correlations


def _correlation_sections(report: SimulationReport) -> list[dict[str, object]]:
    sections: list[dict[str, object]] = []
    for outcome in report.outcomes:
        if not outcome.broken_runs:
            continue
        coarse, fine = correlations(report, outcome.number)
        sections.append(
            {
                "title": outcome_title(report, outcome),
                "bars": correlation_bars(coarse),
                "fine": [{"name": name, "r": f"{r:+.2f}"} for name, r in fine],
            }
        )
    return sections


def correlation_bars(rows: Sequence[tuple[str, float | None]]) -> dict[str, object]:
    """Bars of r from -1 to 1 around a middle line, one per shock dimension."""
    label_width, width, height = 260, 300, 18
    middle = label_width + width / 2
    bars = []
    for index, (name, r) in enumerate(rows):
        y = 4 + index * (height + 4)
        bar: dict[str, object] = {"name": name, "y": y, "text_y": y + 13, "r": None}
        if r is not None:
            w = abs(r) * width / 2
            bar |= {
                "r": f"{r:+.2f}",
                "x": f"{(middle if r >= 0 else middle - w):.1f}",
                "w": f"{w:.1f}",
                "color": "#c62828" if r >= 0 else "#2e7d32",
            }
        bars.append(bar)
    return {
        "width": label_width + width + 60,
        "height": len(rows) * (height + 4) + 8,
        "bar_height": height,
        "middle": middle,
        "note_x": middle + 4,
        "value_x": label_width + width + 6,
        "bars": bars,
    }
