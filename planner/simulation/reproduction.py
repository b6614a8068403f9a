"""Shocks as scenario YAML: the steps a shock changes, and a complete file that `planner replay`
reproduces a minimal failing shock with."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from planner.scenario import Scenario, Step, format_time
from planner.simulation.breaches import expected_fields
from planner.simulation.kinds import registered
from planner.simulation.requirements import property_words
from planner.simulation.results import Breach, RunResult, step_label
from planner.simulation.search import Outcome
from planner.simulation.times import offset_text
from planner.simulation.words import minimal_in_words, wrap_words

_PLAIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_YAML_WORDS: Final = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def yaml_value(value: object) -> str:
    """A value in YAML flow style (strings quoted when they need it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value}"
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as YAML")


def _step_yaml(step: Step, start: datetime, comment: str = "") -> list[str]:
    note = f"   # {comment}" if comment else ""
    return [
        f"  - at: {offset_text(step.at - start)}{note}",
        f"    do: {step.command}",
        f"    with: {yaml_value(step.args)}",
    ]


def _changes(scenario: Scenario, result: RunResult) -> dict[int, str]:
    """Why each original step changed under the shock, by step number."""
    notes: dict[int, str] = {}
    for kind in registered():
        notes |= kind.change_notes(scenario, result.shock.of(kind))
    return notes


def _added_note(step: Step) -> str:
    """The comment on a step a shock inserted: the kind that inserts its command."""
    for kind in registered():
        if step.command in kind.adds:
            return kind.added_note
    return "shock"


def fragment_yaml(scenario: Scenario, result: RunResult, *, max_comments: int | None = None) -> str:
    """The steps a shock changes or adds, as YAML (refused steps as comments, at most
    `max_comments` of them)."""
    lines = ["steps:"]
    body = _timeline_yaml(scenario, result, only_changes=True)
    comments = [i for i, line in enumerate(body) if line.startswith("  #")]
    if max_comments is not None and len(comments) > max_comments:
        cut = set(comments[max_comments:])
        body = [line for i, line in enumerate(body) if i not in cut]
        body.append(f"  # … and {len(cut)} more steps refused or left out")
    lines += body
    if len(lines) == 1:
        lines.append("  # (no step changes: the plan breaks without any shock)")
    return "\n".join(lines) + "\n"


def _timeline_yaml(scenario: Scenario, result: RunResult, *, only_changes: bool) -> list[str]:
    """A run's steps as YAML in the order they applied; refused or dropped steps as comments."""
    start = scenario.start
    notes = _changes(scenario, result)
    seen: set[int] = set()
    lines: list[str] = []
    for step, refusal in result.timeline:
        seen.add(step.number)
        when = offset_text(step.at - start)
        if refusal is not None:
            lines.append(
                f"  # {step_label(step)} at {when} refused under this shock and left out: {refusal}"
            )
        elif step.number == 0:
            lines += _step_yaml(step, start, _added_note(step))
        elif step.number in notes:
            lines += _step_yaml(step, start, notes[step.number])
        elif not only_changes:
            lines += _step_yaml(step, start)
    for number in sorted(set(notes) - seen):
        lines.append(f"  # {notes[number]}: nothing left, the step is left out")
    return lines


def reproduction_yaml(scenario: Scenario, outcome: Outcome) -> str:
    """A complete scenario file that replays the minimal failing shock with `planner replay`.

    It holds every step that applied, in the order it applied (refused steps are left out as
    comments, since a replay stops at a refusal), and one check at the breach time asserting the
    breached values (with the unshocked values in a comment): the replay passes that check when
    it reproduces the breach.
    """
    result = outcome.minimal
    assert result is not None
    breach = result.breach(outcome.number)
    assert breach is not None
    lines = _header(scenario, outcome)
    lines.append("steps:")
    lines += _timeline_yaml(scenario, result, only_changes=False)
    lines += _reproduction_check(outcome, breach, scenario.start)
    return "\n".join(lines) + "\n"


def _header(scenario: Scenario, outcome: Outcome) -> list[str]:
    """The comment, name, title, start and standards of a reproduction."""
    start, number = scenario.start, outcome.number
    slug = f"{scenario.slug}-shock-{'invariants' if number == 0 else f'r{number}'}"
    what = (
        "the domain invariants"
        if outcome.requirement is None
        else (f"requirement {number}: {outcome.requirement.describe(start)}")
    )
    lines = [
        f"# Reproduces the minimal failing shock of {what},",
        f"# found by `planner simulate {scenario.path}`:",
        *(f"#   {line}" for line in wrap_words(minimal_in_words(scenario, outcome), 96)),
        f"scenario: {slug}",
        f"title: {yaml_value(scenario.title + ' — under a minimal failing shock')}",
        f"start: {yaml_value(format_time(start))}",
    ]
    standards = scenario.standards
    if standards.overrides:
        lines += [
            "standards:",
            f"  profile: {standards.profile}",
            f"  overrides: {yaml_value(standards.overrides)}",
        ]
    else:
        lines.append(f"standards: {standards.profile}")
    return lines


def _reproduction_check(outcome: Outcome, breach: Breach, start: datetime) -> list[str]:
    """A check at the breach time asserting the breached values: the replay passes it when it
    reproduces the breach. A comment gives the values without the shock."""
    requirement = outcome.requirement
    if requirement is None or outcome.breach_view is None:
        return []
    expect = expected_fields(requirement, outcome.breach_view)
    lines = [
        "checks:",
        f"  # requirement {requirement.number} asks for "
        f"{property_words(requirement.prop, requirement.value)}; this check asserts the breach",
    ]
    if outcome.unshocked_view is not None:
        lines.append(
            "  # without the shock: "
            f"{yaml_value(expected_fields(requirement, outcome.unshocked_view))}"
        )
    lines += [
        f"  - at: {offset_text(breach.at - start)}",
        f"    {requirement.subject}: {requirement.slug}",
        f"    expect: {yaml_value(expect)}",
    ]
    return lines
