"""A scenario's places and fields: where an error is, and the checks of one value each."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.catalog import MAX_NUMBER, STANDARDS_PROFILES
from domain.commands import COMMANDS, ArgumentError, CommandSpec, validate_args
from planner.scenario_model import (
    CHECK_ENTITIES,
    ScenarioError,
    Step,
    format_time,
    parse_offset_or_time,
    plain_value,
    shown,
    suggestion,
)


@dataclass(frozen=True)
class Where:
    """Where in the file an error is: the step or check number and a line."""

    path: str
    line: int | None = None
    step: int | None = None
    check: int | None = None

    def error(self, message: str) -> ScenarioError:
        """Build the ScenarioError for this place."""
        return ScenarioError(self.path, message, step=self.step, line=self.line, check=self.check)


def standards_profile(value: object, where: Where) -> str:
    if not isinstance(value, str) or value not in STANDARDS_PROFILES:
        raise where.error(
            f"unknown standards profile {shown(value)}{suggestion(value, STANDARDS_PROFILES)}; "
            f"known: {', '.join(STANDARDS_PROFILES)}"
        )
    return value


def override_value(key: str, value: Any, where: Where) -> float:
    valid = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_NUMBER
    )
    if not valid:
        raise where.error(
            f"standards override {key!r} must be a number greater than 0; got {shown(value)} "
            f"(at most {MAX_NUMBER:g})"
        )
    return float(value)


def reject_unknown_keys(
    entry: Mapping[object, object], allowed: tuple[str, ...], what: str, where: Where
) -> None:
    for key in entry:
        if key not in allowed:
            raise where.error(
                f"unknown key {key!r} in the {what}{suggestion(key, allowed)}; "
                f"a {what} has {', '.join(allowed)}"
            )


def time_field(value: object, start: datetime, where: Where, name: str = "at") -> datetime:
    try:
        return parse_offset_or_time(value, start)
    except ValueError as exc:
        raise where.error(f"bad '{name}': {exc}") from None


def times_resolved(spec: CommandSpec, value: object, start: datetime, where: Where) -> Any:
    """The step's arguments with time arguments (`eta`, `expires`) resolved like `at`."""
    if not isinstance(value, dict):
        return value
    resolved = dict(value)
    for arg in spec.args:
        if arg.type == "time" and resolved.get(arg.name) is not None:
            resolved[arg.name] = time_field(resolved[arg.name], start, where, arg.name)
    return resolved


def check_order(at: datetime, start: datetime, previous: Step | None, where: Where) -> None:
    if previous is None:
        if at < start:
            raise where.error(
                f"time goes backwards: {format_time(at)} is earlier than the scenario's "
                f"start {format_time(start)}"
            )
        return
    if at < previous.at:
        raise where.error(
            f"time goes backwards: {format_time(at)} is earlier than step {previous.number} "
            f"at {format_time(previous.at)}"
        )


def command_spec(value: object, where: Where) -> CommandSpec:
    if isinstance(value, str) and value in COMMANDS:
        return COMMANDS[value]
    if isinstance(value, str):
        label = f"unknown command {value!r}"
    else:
        label = f"'do' must be a command name, not {shown(value)}"
    raise where.error(f"{label}{suggestion(value, COMMANDS)}; commands: {', '.join(COMMANDS)}")


def command_arguments(spec: CommandSpec, value: object, where: Where) -> dict[str, object]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise where.error(
            f"'with' must be a mapping of arguments ({', '.join(spec.arg_names)}); "
            f"got {shown(value)}"
        )
    try:
        return validate_args(spec, value)
    except ArgumentError as exc:
        raise where.error(str(exc)) from None


def check_entity(entry: Mapping[object, object], where: Where) -> str:
    named = [kind for kind in CHECK_ENTITIES if kind in entry]
    if len(named) != 1:
        got = " and ".join(named) if named else "none"
        raise where.error(
            f"a check names exactly one of {', '.join(CHECK_ENTITIES)}; this one names {got}"
        )
    return named[0]


def check_expectations(value: object, where: Where) -> dict[str, object]:
    if not isinstance(value, dict) or not value:
        raise where.error(
            f"'expect' must be a non-empty mapping of FIELD: VALUE; got {shown(value)}"
        )
    bad = [key for key in value if not isinstance(key, str)]
    if bad:
        raise where.error(f"'expect' field names must be strings; got {shown(bad[0])}")
    result: dict[str, object] = plain_value(value)
    return result
