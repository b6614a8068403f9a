"""The validators a `simulate:` section is read with: errors name the file, the line and why.

Shock kinds read their keys with these (see kind.py); the section and its requirements too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Final

from domain.catalog import ITEMS
from domain.commands import COMMANDS
from planner.scenario import Scenario, ScenarioError, key_line, parse_offset, shown, suggestion

FRACTION_RESOLUTION: Final = Fraction(1, 20)  # losses and shortfalls move in steps of 5 %
MAX_EVENTS_LIMIT: Final = 20

Created = dict[str, dict[str, tuple[int, datetime]]]
Parse = Callable[[Any, str, int | None], Any]


def created_slugs(scenario: Scenario) -> Created:
    """For each entity kind, the slugs the scenario creates: slug -> (step number, time)."""
    created: Created = {}
    for step in scenario.steps:
        for arg in COMMANDS[step.command].args:
            if arg.creates and arg.entity is not None:
                created.setdefault(arg.entity, {})[step.args[arg.name]] = (step.number, step.at)
    return created


class SpecReader:
    """Validates parts of one raw `simulate:` mapping against its scenario."""

    def __init__(self, scenario: Scenario, line: int | None) -> None:
        self.scenario = scenario
        self.path = scenario.path
        self.line = line
        self.created = created_slugs(scenario)

    def error(self, message: str, line: int | None = None) -> ScenarioError:
        """A ScenarioError at `line` (default: the line of `simulate:`)."""
        return ScenarioError(self.path, message, line=line if line is not None else self.line)

    def keys(
        self, mapping: Mapping[object, object], allowed: Sequence[str], what: str, line: int | None
    ) -> None:
        """Refuse a key of `mapping` not in `allowed`, suggesting the nearest."""
        for key in mapping:
            if key not in allowed:
                raise self.error(
                    f"unknown key {key!r} in '{what}'{suggestion(key, allowed)}; "
                    f"allowed: {', '.join(allowed)}",
                    key_line(mapping, key) or line,
                )

    def required(self, body: Mapping[object, object], key: str, what: str, line: int | None) -> Any:
        """The value of `key`, which `body` must have."""
        if key not in body:
            raise self.error(f"'{what}' needs '{key}'", line)
        return body[key]

    def number(self, value: Any, what: str, line: int | None) -> Fraction:
        """A finite number, exactly (0.1 is 1/10)."""
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            raise self.error(f"'{what}' must be a number; got {shown(value)}", line)
        return Fraction(str(value))

    def fraction(self, value: object, what: str, line: int | None) -> Fraction:
        """A fraction from 5 % to 1."""
        number = self.number(value, what, line)
        if not FRACTION_RESOLUTION <= number <= 1:
            raise self.error(
                f"'{what}' must be a fraction from {float(FRACTION_RESOLUTION):g} to 1; "
                f"got {shown(value)}",
                line,
            )
        return number

    def count(self, value: object, what: str, line: int | None, high: int) -> int:
        """A whole number from 1 to `high`."""
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
            raise self.error(
                f"'{what}' must be a whole number from 1 to {high}; got {shown(value)}", line
            )
        return value

    def events(self, value: object, what: str, line: int | None) -> int:
        """A number of shock events per run, from 1 to MAX_EVENTS_LIMIT."""
        return self.count(value, what, line, MAX_EVENTS_LIMIT)

    def duration(self, value: object, what: str, line: int | None) -> timedelta:
        """A positive duration written like an offset: +4d, +36h, +2d12h."""
        if not isinstance(value, str) or not value.strip().startswith("+"):
            raise self.error(
                f"'{what}' must be a duration like +4d, +36h, +2d12h; got {shown(value)}", line
            )
        try:
            delta = parse_offset(value.strip())
        except ValueError as exc:
            raise self.error(f"'{what}': {exc}", line) from None
        if delta <= timedelta(0):
            raise self.error(f"'{what}' must be longer than zero; got {shown(value)}", line)
        return delta

    def slugs(self, value: object, kind: str, what: str, line: int | None) -> tuple[str, ...]:
        """A non-empty list of slugs of `kind` that some step creates."""
        known = self.created.get(kind, {})
        if not isinstance(value, list) or not value:
            raise self.error(
                f"'{what}' must be a non-empty list of {kind} slugs; got {shown(value)}", line
            )
        for slug in value:
            if not isinstance(slug, str) or slug not in known:
                raise self.error(
                    f"'{what}' names unknown {kind} {shown(slug)}{suggestion(slug, known)}: "
                    "no step creates it",
                    line,
                )
        return tuple(value)

    def items(
        self, value: object, what: str, line: int | None, allowed: Sequence[str] = tuple(ITEMS)
    ) -> tuple[str, ...]:
        """A non-empty list of catalog items."""
        if not isinstance(value, list) or not value:
            raise self.error(
                f"'{what}' must be a non-empty list of items; got {shown(value)}", line
            )
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise self.error(
                    f"'{what}' names unknown item {shown(item)}{suggestion(item, allowed)}; "
                    f"known: {', '.join(allowed)}",
                    line,
                )
        return tuple(value)

    def optional(
        self, body: Mapping[object, object], key: str, what: str, line: int | None, parse: Parse
    ) -> Any:
        """The value of `key` parsed, or None if `body` has no such key."""
        if key not in body:
            return None
        return parse(body[key], f"{what}.{key}", key_line(body, key) or line)

    def parsed(
        self, body: Mapping[object, object], key: str, what: str, line: int | None, parse: Parse
    ) -> Any:
        """The value of `key`, which `body` must have, parsed."""
        return parse(
            self.required(body, key, what, line), f"{what}.{key}", key_line(body, key) or line
        )

    def optional_slugs(
        self, body: Mapping[object, object], kind: str, what: str, line: int | None
    ) -> tuple[str, ...] | None:
        """The optional list of `kind` slugs under the key `{kind}s`."""
        return self.optional(
            body, f"{kind}s", what, line, lambda v, w, ln: self.slugs(v, kind, w, ln)
        )
