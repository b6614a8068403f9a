"""Shocks in words: what a section explores, and a minimal failing shock as a sentence."""

from __future__ import annotations

from collections.abc import Sequence

from planner.scenario import Scenario
from planner.simulation.kind import ShockKind
from planner.simulation.kinds import registered
from planner.simulation.results import RunResult
from planner.simulation.search import Outcome
from planner.simulation.shock import ShockSpace
from planner.simulation.spec import SimulationSpec


def shocks_summary(spec: SimulationSpec, space: ShockSpace) -> list[str]:
    """One line per shock kind the section explores, in registry order."""
    return [
        kind.summary(spec.params(kind.name), part)
        for kind, part in space.parts
        if spec.params(kind.name) is not None
    ]


def _kind_phrases(scenario: Scenario, result: RunResult) -> list[tuple[ShockKind, str]]:
    """Each part of a run's shock in words, with the kind that said it."""
    return [
        (kind, phrase)
        for kind in registered()
        for phrase in kind.phrases(scenario, result.shock.of(kind), result)
    ]


def shock_phrases(scenario: Scenario, result: RunResult) -> list[str]:
    """The parts of a run's shock in words, e.g. 'arrivals ×1.4 at step 12 (camp-a, +3d)'."""
    return [phrase for _, phrase in _kind_phrases(scenario, result)]


def joined(phrases: Sequence[str]) -> str:
    """'a, b and c'."""
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def minimal_in_words(scenario: Scenario, outcome: Outcome) -> str:
    """'arrivals ×1.4 at step 12 (…) and a 2-day delay of dispatch at step 15 (…) leave camp
    kukes-1 not_ready at +10d (1999-04-03)'."""
    if outcome.minimal is None:
        return ""
    breach = outcome.minimal.breach(outcome.number)
    assert breach is not None
    said = _kind_phrases(scenario, outcome.minimal)
    if not said:
        return f"without any shock: {breach.message}"
    verb = "leave" if len(said) > 1 or said[0][0].plural else "leaves"
    return f"{joined([phrase for _, phrase in said])} {verb} {breach.message}"


def wrap_words(text: str, width: int) -> list[str]:
    """The words of `text` in lines of at most `width` characters (a longer word alone)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines
