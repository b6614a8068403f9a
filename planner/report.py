"""The human-readable replay report: a summary first, then the checks; the timeline on request.

Works on the JSON form of a report (`ReplayReport.as_dict()`, also `planner replay --json`),
so the two never disagree. The per-file summary is a list of sections (`SUMMARY_SECTIONS`):
each takes the report's dict and returns its lines, so another summary (per area, …) is one
more function in that list.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import cast

from planner.area_report import area_section
from planner.replay import ReplayReport
from planner.report_shapes import EntitySummary, ReplayDoc

Section = Callable[[ReplayDoc], list[str]]
INDENT = "   "
WIDTH = 100


def format_report(report: ReplayReport, *, timeline: bool = False) -> str:
    """The report of one file: headline, summary sections, checks; with `timeline` the steps
    applied and the readiness at every check time."""
    data = report.as_dict()
    lines = headline(data)
    for section in SUMMARY_SECTIONS:
        lines.extend(section(data))
    lines.extend(check_lines(data))
    if timeline:
        lines.extend(timeline_lines(data))
    return "\n".join(lines)


def format_totals(reports: Iterable[Mapping[str, object]]) -> str:
    """One line per file and a total, for a replay of several files."""
    lines = ["== all files"]
    passed = failed = 0
    for data in reports:
        passed += cast(int, data.get("passed", 0))
        failed += cast(int, data.get("failed", 0))
        lines.append(f"{INDENT}{verdict(data):<7} {data['file']}: {check_counts(data)}")
    lines.append(f"== {number(passed)} checks passed, {number(failed)} failed")
    return "\n".join(lines)


def verdict(data: Mapping[str, object]) -> str:
    """OK, FAILED (a check failed) or STOPPED (a bad file or a refused step)."""
    if data.get("error"):
        return "STOPPED"
    return "OK" if data.get("ok") else "FAILED"


def check_counts(data: Mapping[str, object]) -> str:
    """'12 of 14 checks passed, 2 failed' (or the error of a file that could not be read)."""
    if "checks" not in data:
        return str(data.get("error"))
    passed, failed = cast(int, data["passed"]), cast(int, data["failed"])
    return f"{number(passed)} of {number(passed + failed)} checks passed, {number(failed)} failed"


# -- summary sections ------------------------------------------------------------------------


def headline(data: ReplayDoc) -> list[str]:
    """Title, verdict with check counts, how much of the scenario was applied."""
    applied, total = data["steps_applied"], data["steps_total"]
    steps = f"{number(applied)} of {number(total)} steps applied"
    if data["until"]:
        steps += f" (stopped at {data['until']} as asked)"
    lines = [
        f"== {data['title']} ({data['scenario']}) — {data['file']}",
        f"{INDENT}{verdict(data)}: {check_counts(data)}; {steps}, "
        f"{number(data['events_stored'])} events stored",
    ]
    if data["error"]:
        lines.append(f"{INDENT}STOPPED: {data['error']}")
    return lines


def final_readiness(data: ReplayDoc) -> list[str]:
    """Each camp's and plan's status and gaps at the last check time."""
    if not data["readiness"]:
        return []
    last = data["readiness"][-1]
    lines = [f"-- readiness at the last check, {last['at']}"]
    for name, summary in last["entities"].items():
        lines.append(f"{INDENT}{entity_line(name, summary)}")
        lines.extend(f"{INDENT}   gap: {gap}" for gap in summary.get("gaps", []))
    return lines


SUMMARY_SECTIONS: list[Section] = [final_readiness, area_section]


def entity_line(name: str, summary: EntitySummary) -> str:
    """`camp c: NOT READY · population 1,200 · uncovered WSH · days of cover water 2.50`."""
    parts = [f"{name}: {summary['status'].replace('_', ' ').upper()}"]
    for key, value in summary.items():
        if key in ("status", "gaps"):
            continue
        if key == "uncovered_sectors" and not value:
            continue
        parts.append(f"{key.replace('_', ' ')} {show(value)}")
    return " · ".join(parts)


# -- checks ----------------------------------------------------------------------------------


def check_lines(data: ReplayDoc) -> list[str]:
    """Each check with what it compared (`population 800 = 800`); a failed field on a line of
    its own (`population: expected 800, actual 750`)."""
    if not data["checks"]:
        return []
    lines = ["-- checks"]
    for check in data["checks"]:
        missed = {m["field"]: m for m in check["mismatches"]}
        equal = [
            f"{field} {show(expected)} = {show(dig(check['actual'], field))}"
            for field, expected in flatten(check["expected"])
            if field not in missed
        ]
        head = (
            f"{check['result']}  check {check['check']} (line {check['line']}) "
            f"{check['entity']} {check['slug']} at {check['at']}"
        )
        lines.extend(wrap_items(head + (":" if equal else ""), equal))
        for field, miss in missed.items():
            actual = "(no such field)" if miss.get("missing") else show(miss["actual"])
            lines.append(
                f"{INDENT}      {field}: expected {show(miss['expected'])}, actual {actual}"
            )
    return lines


def wrap_items(head: str, items: list[str]) -> list[str]:
    """`head item; item; …` wrapped at WIDTH, never inside an item."""
    glued = [item.replace(" ", "\xa0") + ";" for item in items]
    if glued:
        glued[-1] = glued[-1][:-1]
    text = " ".join([head.replace(" ", "\xa0"), *glued])
    wrapped = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=INDENT,
        subsequent_indent=INDENT + " " * 6,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\xa0", " ") for line in wrapped]


def flatten(expected: Mapping[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """`{days_of_cover: {water: 2}}` -> [("days_of_cover.water", 2)], as checks compare."""
    pairs: list[tuple[str, object]] = []
    for key, value in expected.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            pairs.extend(flatten(value, f"{path}."))
        else:
            pairs.append((path, value))
    return pairs


def dig(actual: Mapping[str, object], path: str) -> object:
    """The value at a dotted path of the view's fields."""
    head, _, rest = path.partition(".")
    value = actual.get(head)
    for key in rest.split(".") if rest else ():
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


# -- timeline (on request) -------------------------------------------------------------------


def timeline_lines(data: ReplayDoc) -> list[str]:
    """Every step applied, then the readiness of every camp and plan at each check time."""
    lines = ["-- timeline"]
    for step in data["timeline"]:
        args = ", ".join(f"{k}={show(v)}" for k, v in step["with"].items())
        lines.append(f"{INDENT}{step['at']}  #{step['step']:<4} {step['do']}({args})")
    for snapshot in data["readiness"]:
        lines.append(f"-- readiness at {snapshot['at']}")
        for name, summary in snapshot["entities"].items():
            lines.append(f"{INDENT}{entity_line(name, summary)}")
            lines.extend(f"{INDENT}   gap: {gap}" for gap in summary.get("gaps", []))
    return lines


# -- numbers and values for people ----------------------------------------------------------


def number(value: int | float) -> str:
    """Integers with thousands separators, other numbers with two decimals: 1,200 and 2.50."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def show(value: object) -> str:
    """A view's value in words: numbers as `number`, lists joined, mappings as `key value`."""
    if value is None:
        return "none"
    if isinstance(value, bool | int | float):
        return number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return ", ".join(f"{key.replace('_', ' ')} {show(v)}" for key, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
