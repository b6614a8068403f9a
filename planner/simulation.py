"""Property-based simulation runs: stress-test a scenario's plan and find the smallest shock
that breaks it.

A scenario's `simulate:` section (see docs/simulation.md) names the shocks to explore and the
requirements the plan must keep. This module

- parses and validates that section (`validate_simulate`), with errors naming file and line;
- describes one concrete perturbation as a `Shock` and applies it to the scenario's steps
  (`apply_shock`);
- replays perturbed steps through an in-memory PlannerService and folds the events with the
  readiness fold in-process (`Simulator.run`), checking the requirements at their times and the
  domain invariants after every step; a step the domain refuses after a shock is recorded and
  skipped;
- samples N runs from a seeded random generator and, for each requirement, searches for a failing
  shock with `hypothesis.find` and shrinks it to a minimal one (`simulate_scenario`);
- renders a minimal failing shock in words and as scenario YAML that `planner replay` reproduces.

Same scenario, same seed: same results.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from domain.base import PlannerAggregate, entity_id, workspace_namespace
from domain.catalog import CONSUMABLES, CURRENCIES, ITEMS
from domain.commands import COMMANDS
from domain.errors import PlannerError
from domain.service import CommandResult, PlannerService
from planner.replay import SimulatedClock
from planner.scenario import (
    Scenario,
    ScenarioError,
    Step,
    _key_line,
    _load_yaml,
    _parse_offset,
    _shown,
    _suggestion,
    format_time,
    parse_offset_or_time,
)
from projections.readiness import CAMP_STATUSES, ReadinessFold, plan_view

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

# --------------------------------------------------------------------------------------------
# Vocabulary of the `simulate:` section

SHOCK_KINDS: Final = (
    "arrival_surge",
    "delivery_delay",
    "supply_loss",
    "partner_withdrawal",
    "funding_shortfall",
)
SIMULATE_KEYS: Final = ("shocks", "require")
SHOCK_KEYS: Final = {
    "arrival_surge": ("factor", "resolution", "camps"),
    "delivery_delay": ("max", "resolution", "camps", "items"),
    "supply_loss": ("max_fraction", "max_events", "resolution", "stockpiles", "items"),
    "partner_withdrawal": ("max_partners", "resolution", "partners"),
    "funding_shortfall": ("max_fraction", "partners"),
}
CAMP_PROPERTIES: Final = ("status_not", "status", "min_days_of_cover")
PLAN_PROPERTIES: Final = ("tripartite", "min_preparedness_days", "min_pool_balance")
REQUIREMENT_KEYS: Final = (
    "camp",
    "plan",
    "after",
    "until",
    "name",
    *CAMP_PROPERTIES,
    *PLAN_PROPERTIES,
)
LIVE_STATUSES: Final = ("ready", "at_risk", "not_ready")

FRACTION_RESOLUTION: Final = Fraction(1, 20)  # losses and shortfalls move in steps of 5 %
DEFAULT_FACTOR_RESOLUTION: Final = Fraction(1, 10)
DAY: Final = timedelta(days=1)
HOUR: Final = timedelta(hours=1)
LOSS_COMMAND: Final = "lose_supplies"  # pseudo-step: resolved into write_off_supplies at run time
WITHDRAWAL_REASON: Final = "withdrew (simulated shock)"
MAX_EVENTS_LIMIT: Final = 20
_STATUS_RANK: Final = {"ready": 0, "at_risk": 1, "not_ready": 2, "closed": -1}


# --------------------------------------------------------------------------------------------
# The parsed section


@dataclass(frozen=True)
class ArrivalSurge:
    """Multiply each register_arrivals (people and groups, rounded) by a factor in [low, high]."""

    low: Fraction
    high: Fraction
    resolution: Fraction = DEFAULT_FACTOR_RESOLUTION
    camps: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DeliveryDelay:
    """Shift each dispatch_supplies later by 0 .. `max`, in steps of `resolution`."""

    max: timedelta
    resolution: timedelta = DAY
    camps: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SupplyLoss:
    """Up to `max_events` times, lose up to `max_fraction` of a stockpile's free stock of an
    item."""

    max_fraction: Fraction
    max_events: int = 1
    resolution: timedelta = DAY
    stockpiles: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PartnerWithdrawal:
    """Up to `max_partners` partners withdraw, each at a time of its own."""

    max_partners: int
    resolution: timedelta = DAY
    partners: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FundingShortfall:
    """Each receive_funds brings in up to `max_fraction` less (whole minor units, rounded down)."""

    max_fraction: Fraction
    partners: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Requirement:
    """One entry of `require:`: a property of a camp or plan over a window of time.

    `prop` is one of CAMP_PROPERTIES or PLAN_PROPERTIES; `value` its normalised value. The
    property must hold at `after` and after every later step up to `until` (or the end of the
    run); without `after` it is checked once, on the final state of the run.
    """

    number: int
    line: int | None
    subject: str  # "camp" or "plan"
    slug: str
    prop: str
    value: Any
    after: datetime | None = None
    until: datetime | None = None
    name: str = ""

    def describe(self, start: datetime) -> str:
        """One line saying what the requirement demands."""
        what = _property_words(self.prop, self.value)
        if self.after is None:
            window = "at the end of the run"
        else:
            window = f"from {offset_text(self.after - start)}"
            if self.until is not None:
                window += f" until {offset_text(self.until - start)}"
        label = f" [{self.name}]" if self.name else ""
        return f"{self.subject} {self.slug}: {what} {window}{label}"


@dataclass(frozen=True)
class SimulationSpec:
    """A validated `simulate:` section."""

    arrival_surge: ArrivalSurge | None = None
    delivery_delay: DeliveryDelay | None = None
    supply_loss: SupplyLoss | None = None
    partner_withdrawal: PartnerWithdrawal | None = None
    funding_shortfall: FundingShortfall | None = None
    requirements: tuple[Requirement, ...] = ()

    @property
    def shock_kinds(self) -> tuple[str, ...]:
        """The shock kinds the section enables, in SHOCK_KINDS order."""
        return tuple(kind for kind in SHOCK_KINDS if getattr(self, kind) is not None)


def _property_words(prop: str, value: Any) -> str:
    if prop == "status_not":
        return "status never " + " or ".join(value)
    if prop == "status":
        return "status " + " or ".join(value)
    if prop == "min_days_of_cover":
        return ", ".join(f"at least {_days(v)} of {item}" for item, v in value.items())
    if prop == "min_preparedness_days":
        return ", ".join(
            f"at least {_days(v, 'preparedness day')} of {item}" for item, v in value.items()
        )
    if prop == "min_pool_balance":
        return ", ".join(f"pool at least {v:,} {cur}" for cur, v in value.items())
    return "tripartite" if value else "not tripartite"


def _num(value: float) -> str:
    return f"{value:g}"


def _days(value: float, unit: str = "day") -> str:
    return f"{value:g} {unit}" + ("" if value == 1 else "s")


# --------------------------------------------------------------------------------------------
# Times


def offset_text(delta: timedelta) -> str:
    """An offset as a scenario writes it: +23d, +2d12h, +90m (never negative)."""
    total = max(0, int(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    return "+" + (text or "0d")


def duration_words(delta: timedelta) -> str:
    """A delay as an adjective: '2-day', '36-hour', '90-minute'."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}-day"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{seconds // 60}-minute"


def when_text(moment: datetime, start: datetime) -> str:
    """'+24d (2001-10-14)': the offset and the date of a moment."""
    text = offset_text(moment - start)
    return f"{text} ({moment.date().isoformat()})"


# --------------------------------------------------------------------------------------------
# Parsing and validating the section


def validate_simulate(scenario: Scenario, text: str | None = None) -> SimulationSpec | None:
    """Validate a scenario's `simulate:` section; return it parsed (None if there is none).

    Errors are ScenarioErrors naming the file and the line. `text` is the file's text (for line
    numbers); without it the file at `scenario.path` is read again, and if that fails the
    section is validated without line numbers.
    """
    if scenario.simulate is None:
        return None
    raw: Any = None
    simulate_line: int | None = None
    if text is None:
        try:
            text = Path(scenario.path).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
    if text is not None:
        try:
            top = _load_yaml(text, scenario.path)
        except ScenarioError:
            top = None
        if isinstance(top, dict) and isinstance(top.get("simulate"), dict):
            raw = top["simulate"]
            simulate_line = _key_line(top, "simulate")
    if raw is None:
        raw = scenario.simulate
    return _SpecReader(scenario, simulate_line).read(raw)


_Created = dict[str, dict[str, tuple[int, datetime]]]


def created_slugs(scenario: Scenario) -> _Created:
    """For each entity kind, the slugs the scenario creates: slug -> (step number, time)."""
    created: _Created = {}
    for step in scenario.steps:
        for arg in COMMANDS[step.command].args:
            if arg.creates and arg.entity is not None:
                created.setdefault(arg.entity, {})[step.args[arg.name]] = (step.number, step.at)
    return created


class _SpecReader:
    """Validates one raw `simulate:` mapping against its scenario."""

    def __init__(self, scenario: Scenario, line: int | None) -> None:
        self.scenario = scenario
        self.path = scenario.path
        self.line = line
        self.created = created_slugs(scenario)

    def error(self, message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError(self.path, message, line=line if line is not None else self.line)

    def read(self, raw: Any) -> SimulationSpec:
        if not isinstance(raw, dict):
            raise self.error(f"'simulate' must be a mapping with {', '.join(SIMULATE_KEYS)}")
        self.keys(raw, SIMULATE_KEYS, "simulate", self.line)
        if "shocks" not in raw:
            raise self.error("'simulate' has no 'shocks' (the perturbations to explore)")
        shocks = raw["shocks"]
        shocks_line = _key_line(raw, "shocks") or self.line
        if not isinstance(shocks, dict) or not shocks:
            raise self.error(
                f"'simulate.shocks' must be a mapping naming one or more of "
                f"{', '.join(SHOCK_KINDS)}; got {_shown(shocks)}",
                shocks_line,
            )
        self.keys(shocks, SHOCK_KINDS, "simulate.shocks", shocks_line)
        parsed: dict[str, Any] = {}
        for kind in SHOCK_KINDS:
            if kind in shocks:
                line = _key_line(shocks, kind) or shocks_line
                body = shocks[kind]
                if not isinstance(body, dict):
                    raise self.error(
                        f"'simulate.shocks.{kind}' must be a mapping with "
                        f"{', '.join(SHOCK_KEYS[kind])}; got {_shown(body)}",
                        line,
                    )
                self.keys(body, SHOCK_KEYS[kind], f"simulate.shocks.{kind}", line)
                parsed[kind] = getattr(self, f"_{kind}")(body, line)
        requirements = self.requirements(raw.get("require"), _key_line(raw, "require"))
        spec = SimulationSpec(**parsed, requirements=requirements)
        space = ShockSpace.of(self.scenario, spec)
        for kind in spec.shock_kinds:
            if space.is_empty(kind):
                raise self.error(
                    f"'simulate.shocks.{kind}' finds nothing to perturb: {_EMPTY_REASON[kind]}",
                    _key_line(shocks, kind) or shocks_line,
                )
        return spec

    # -- small validators ------------------------------------------------------------------

    def keys(
        self, mapping: Mapping[Any, Any], allowed: Sequence[str], what: str, line: int | None
    ) -> None:
        for key in mapping:
            if key not in allowed:
                raise self.error(
                    f"unknown key {key!r} in '{what}'{_suggestion(key, allowed)}; "
                    f"allowed: {', '.join(allowed)}",
                    _key_line(mapping, key) or line,
                )

    def required(self, body: Mapping[Any, Any], key: str, what: str, line: int | None) -> Any:
        if key not in body:
            raise self.error(f"'{what}' needs '{key}'", line)
        return body[key]

    def number(self, value: Any, what: str, line: int | None) -> Fraction:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            raise self.error(f"'{what}' must be a number; got {_shown(value)}", line)
        return Fraction(str(value))

    def fraction(self, value: Any, what: str, line: int | None) -> Fraction:
        number = self.number(value, what, line)
        if not FRACTION_RESOLUTION <= number <= 1:
            raise self.error(
                f"'{what}' must be a fraction from {float(FRACTION_RESOLUTION):g} to 1; "
                f"got {_shown(value)}",
                line,
            )
        return number

    def count(self, value: Any, what: str, line: int | None, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
            raise self.error(
                f"'{what}' must be a whole number from 1 to {high}; got {_shown(value)}", line
            )
        return value

    def duration(self, value: Any, what: str, line: int | None) -> timedelta:
        if not isinstance(value, str) or not value.strip().startswith("+"):
            raise self.error(
                f"'{what}' must be a duration like +4d, +36h, +2d12h; got {_shown(value)}", line
            )
        try:
            delta = _parse_offset(value.strip())
        except ValueError as exc:
            raise self.error(f"'{what}': {exc}", line) from None
        if delta <= timedelta(0):
            raise self.error(f"'{what}' must be longer than zero; got {_shown(value)}", line)
        return delta

    def slugs(self, value: Any, kind: str, what: str, line: int | None) -> tuple[str, ...]:
        known = self.created.get(kind, {})
        if not isinstance(value, list) or not value:
            raise self.error(
                f"'{what}' must be a non-empty list of {kind} slugs; got {_shown(value)}", line
            )
        for slug in value:
            if not isinstance(slug, str) or slug not in known:
                raise self.error(
                    f"'{what}' names unknown {kind} {_shown(slug)}{_suggestion(slug, known)}: "
                    "no step creates it",
                    line,
                )
        return tuple(value)

    def items(
        self, value: Any, what: str, line: int | None, allowed: Sequence[str] = tuple(ITEMS)
    ) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.error(
                f"'{what}' must be a non-empty list of items; got {_shown(value)}", line
            )
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise self.error(
                    f"'{what}' names unknown item {_shown(item)}{_suggestion(item, allowed)}; "
                    f"known: {', '.join(allowed)}",
                    line,
                )
        return tuple(value)

    def optional(
        self,
        body: Mapping[Any, Any],
        key: str,
        what: str,
        line: int | None,
        parse: Callable[[Any, str, int | None], Any],
    ) -> Any:
        if key not in body:
            return None
        return parse(body[key], f"{what}.{key}", _key_line(body, key) or line)

    def parsed(
        self,
        body: Mapping[Any, Any],
        key: str,
        what: str,
        line: int | None,
        parse: Callable[[Any, str, int | None], Any],
    ) -> Any:
        """The value of `key`, which `body` must have, parsed."""
        return parse(
            self.required(body, key, what, line), f"{what}.{key}", _key_line(body, key) or line
        )

    def optional_slugs(
        self, body: Mapping[Any, Any], kind: str, what: str, line: int | None
    ) -> tuple[str, ...] | None:
        """The optional list of `kind` slugs under the key `{kind}s`."""
        return self.optional(
            body, f"{kind}s", what, line, lambda v, w, ln: self.slugs(v, kind, w, ln)
        )

    # -- shocks ----------------------------------------------------------------------------

    def _arrival_surge(self, body: Mapping[Any, Any], line: int | None) -> ArrivalSurge:
        what = "simulate.shocks.arrival_surge"
        factor = self.required(body, "factor", what, line)
        fline = _key_line(body, "factor") or line
        if not isinstance(factor, list) or len(factor) != 2:
            raise self.error(
                f"'{what}.factor' must be [MIN, MAX], e.g. [1.0, 2.0]; got {_shown(factor)}",
                fline,
            )
        low, high = (self.number(v, f"{what}.factor", fline) for v in factor)
        if not 0 < low <= high:
            raise self.error(
                f"'{what}.factor' must have 0 < MIN <= MAX; got {_shown(factor)}", fline
            )
        resolution = DEFAULT_FACTOR_RESOLUTION
        if "resolution" in body:
            rline = _key_line(body, "resolution") or line
            resolution = self.number(body["resolution"], f"{what}.resolution", rline)
            if resolution <= 0 or (1 / resolution).denominator != 1:
                raise self.error(
                    f"'{what}.resolution' must divide 1 exactly (0.1, 0.05, 0.25, …); "
                    f"got {_shown(body['resolution'])}",
                    rline,
                )
        for bound in (low, high):
            if (bound / resolution).denominator != 1:
                raise self.error(
                    f"'{what}.factor' bounds must be multiples of the resolution "
                    f"{float(resolution):g}; got {_shown(factor)}",
                    fline,
                )
        camps = self.optional_slugs(body, "camp", what, line)
        return ArrivalSurge(low, high, resolution, camps)

    def _delivery_delay(self, body: Mapping[Any, Any], line: int | None) -> DeliveryDelay:
        what = "simulate.shocks.delivery_delay"
        maximum = self.parsed(body, "max", what, line, self.duration)
        resolution = self.optional(body, "resolution", what, line, self.duration)
        if resolution is None:
            resolution = DAY if maximum >= DAY else HOUR
        if resolution > maximum:
            raise self.error(
                f"'{what}.resolution' is longer than '{what}.max'",
                _key_line(body, "resolution") or line,
            )
        camps = self.optional_slugs(body, "camp", what, line)
        items = self.optional(body, "items", what, line, self.items)
        return DeliveryDelay(maximum, resolution, camps, items)

    def _supply_loss(self, body: Mapping[Any, Any], line: int | None) -> SupplyLoss:
        what = "simulate.shocks.supply_loss"
        fraction = self.parsed(body, "max_fraction", what, line, self.fraction)
        events = self.optional(
            body, "max_events", what, line, lambda v, w, ln: self.count(v, w, ln, MAX_EVENTS_LIMIT)
        )
        resolution = self.optional(body, "resolution", what, line, self.duration) or DAY
        stockpiles = self.optional_slugs(body, "stockpile", what, line)
        items = self.optional(body, "items", what, line, self.items)
        return SupplyLoss(fraction, events or 1, resolution, stockpiles, items)

    def _partner_withdrawal(self, body: Mapping[Any, Any], line: int | None) -> PartnerWithdrawal:
        what = "simulate.shocks.partner_withdrawal"
        count = self.parsed(
            body,
            "max_partners",
            what,
            line,
            lambda v, w, ln: self.count(v, w, ln, MAX_EVENTS_LIMIT),
        )
        resolution = self.optional(body, "resolution", what, line, self.duration) or DAY
        partners = self.optional_slugs(body, "partner", what, line)
        return PartnerWithdrawal(count, resolution, partners)

    def _funding_shortfall(self, body: Mapping[Any, Any], line: int | None) -> FundingShortfall:
        what = "simulate.shocks.funding_shortfall"
        fraction = self.parsed(body, "max_fraction", what, line, self.fraction)
        partners = self.optional_slugs(body, "partner", what, line)
        return FundingShortfall(fraction, partners)

    # -- requirements ----------------------------------------------------------------------

    def requirements(self, raw: Any, line: int | None) -> tuple[Requirement, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.error(
                f"'simulate.require' must be a list of requirements; got {_shown(raw)}",
                line or self.line,
            )
        result = []
        item_lines = getattr(raw, "item_lines", [])
        for index, entry in enumerate(raw):
            entry_line = getattr(entry, "line", None)
            if entry_line is None and index < len(item_lines):
                entry_line = item_lines[index]
            result.append(self.requirement(entry, index + 1, entry_line or line or self.line))
        return tuple(result)

    def requirement(self, entry: Any, number: int, line: int | None) -> Requirement:
        what = f"simulate requirement {number}"
        if not isinstance(entry, dict):
            raise self.error(
                f"{what} must be a mapping like {{camp: SLUG, after: +10d, status_not: not_ready}}"
                f"; got {_shown(entry)}",
                line,
            )
        self.keys(entry, REQUIREMENT_KEYS, what, line)
        subjects = [s for s in ("camp", "plan") if s in entry]
        if len(subjects) != 1:
            raise self.error(
                f"{what} names exactly one of camp, plan; it names "
                f"{' and '.join(subjects) or 'none'}",
                line,
            )
        subject = subjects[0]
        allowed = CAMP_PROPERTIES if subject == "camp" else PLAN_PROPERTIES
        other = PLAN_PROPERTIES if subject == "camp" else CAMP_PROPERTIES
        for key in other:
            if key in entry:
                raise self.error(
                    f"{what}: '{key}' is a property of a {'plan' if subject == 'camp' else 'camp'}"
                    f"; a {subject} requirement has one of {', '.join(allowed)}",
                    _key_line(entry, key) or line,
                )
        props = [p for p in allowed if p in entry]
        if len(props) != 1:
            raise self.error(
                f"{what} has exactly one of {', '.join(allowed)}; it has "
                f"{' and '.join(props) or 'none'}",
                line,
            )
        prop = props[0]
        slug = entry[subject]
        known = self.created.get(subject, {})
        if not isinstance(slug, str) or slug not in known:
            raise self.error(
                f"{what} names unknown {subject} {_shown(slug)}{_suggestion(slug, known)}: "
                "no step creates it",
                _key_line(entry, subject) or line,
            )
        start = self.scenario.start
        after = until = None
        for key in ("after", "until"):
            if key in entry:
                try:
                    moment = parse_offset_or_time(entry[key], start)
                except ValueError as exc:
                    raise self.error(
                        f"{what}: bad '{key}': {exc}", _key_line(entry, key) or line
                    ) from None
                if key == "after":
                    after = moment
                else:
                    until = moment
        if until is not None and after is None:
            raise self.error(f"{what}: 'until' needs 'after' (the start of the window)", line)
        if after is not None and until is not None and until < after:
            raise self.error(f"{what}: 'until' is earlier than 'after'", line)
        if after is not None:
            step_number, created_at = known[slug]
            if created_at > after:
                raise self.error(
                    f"{what}: {subject} {slug!r} does not exist yet at {format_time(after)} "
                    f"(step {step_number} creates it at {format_time(created_at)})",
                    _key_line(entry, "after") or line,
                )
        value = self.property_value(
            prop, entry[prop], f"{what}: '{prop}'", _key_line(entry, prop) or line
        )
        name = entry.get("name", "")
        if not isinstance(name, str):
            raise self.error(f"{what}: 'name' must be a string; got {_shown(name)}", line)
        return Requirement(number, line, subject, slug, prop, value, after, until, name.strip())

    def property_value(self, prop: str, value: Any, what: str, line: int | None) -> Any:
        if prop in ("status", "status_not"):
            values = value if isinstance(value, list) else [value]
            allowed = CAMP_STATUSES
            if not values or any(not isinstance(v, str) or v not in allowed for v in values):
                raise self.error(
                    f"{what} must be a camp status or a list of them ({', '.join(allowed)}); "
                    f"got {_shown(value)}",
                    line,
                )
            return tuple(values)
        if prop == "tripartite":
            if not isinstance(value, bool):
                raise self.error(f"{what} must be true or false; got {_shown(value)}", line)
            return value
        if prop in ("min_days_of_cover", "min_preparedness_days"):
            if not isinstance(value, dict) or not value:
                raise self.error(
                    f"{what} must be a mapping of consumable to days, e.g. {{water: 2}}; "
                    f"got {_shown(value)}",
                    line,
                )
            result: dict[str, Any] = {}
            for item, days in value.items():
                here = _key_line(value, item) or line
                if item not in CONSUMABLES:
                    raise self.error(
                        f"{what} names {_shown(item)}{_suggestion(item, CONSUMABLES)}, which "
                        f"is not a consumable ({', '.join(CONSUMABLES)})",
                        here,
                    )
                number = self.number(days, f"{what}.{item}", here)
                if number < 0:
                    raise self.error(f"{what}.{item} must be 0 or more", here)
                result[item] = float(number)
            return result
        # min_pool_balance
        if not isinstance(value, dict) or not value:
            raise self.error(
                f"{what} must be a mapping of currency to an amount in minor units, "
                f"e.g. {{JPY: 100000000}}; got {_shown(value)}",
                line,
            )
        pool: dict[str, int] = {}
        for currency, amount in value.items():
            here = _key_line(value, currency) or line
            if currency not in CURRENCIES:
                raise self.error(f"{what} names unknown currency {_shown(currency)}", here)
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise self.error(
                    f"{what}.{currency} must be a whole number of minor units, 0 or more; "
                    f"got {_shown(amount)}",
                    here,
                )
            pool[currency] = amount
        return pool


_EMPTY_REASON: Final = {
    "arrival_surge": "no register_arrivals step (for the camps named)",
    "delivery_delay": "no dispatch_supplies step (for the camps and items named)",
    "supply_loss": "no stockpile receives supplies (of the stockpiles and items named)",
    "partner_withdrawal": "no partner to withdraw (of the partners named)",
    "funding_shortfall": "no receive_funds step (from the partners named)",
}


# --------------------------------------------------------------------------------------------
# Shocks


@dataclass(frozen=True, order=True)
class Surge:
    """register_arrivals step `step` brings `factor` times as many people."""

    step: int
    factor: float


@dataclass(frozen=True, order=True)
class Delay:
    """dispatch_supplies step `step` happens `delay` later."""

    step: int
    delay: timedelta


@dataclass(frozen=True, order=True)
class Loss:
    """At `at`, `fraction` of the stockpile's free stock of `item` is lost (written off)."""

    at: datetime
    stockpile: str
    item: str
    fraction: float


@dataclass(frozen=True, order=True)
class Withdrawal:
    """At `at`, `partner` withdraws."""

    at: datetime
    partner: str


@dataclass(frozen=True, order=True)
class Shortfall:
    """receive_funds step `step` brings in `fraction` less."""

    step: int
    fraction: float


@dataclass(frozen=True)
class Shock:
    """One concrete perturbation of a scenario. The zero shock `Shock()` changes nothing."""

    surges: tuple[Surge, ...] = ()
    delays: tuple[Delay, ...] = ()
    losses: tuple[Loss, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()

    @property
    def is_zero(self) -> bool:
        """True when the shock changes nothing."""
        return not (
            self.surges or self.delays or self.losses or self.withdrawals or self.shortfalls
        )

    def as_dict(self, start: datetime) -> dict[str, Any]:
        """JSON-ready form; times as offsets from the scenario's start."""
        return {
            "arrival_surge": [{"step": s.step, "factor": s.factor} for s in self.surges],
            "delivery_delay": [
                {"step": d.step, "delay": offset_text(d.delay)} for d in self.delays
            ],
            "supply_loss": [
                {
                    "at": offset_text(loss.at - start),
                    "stockpile": loss.stockpile,
                    "item": loss.item,
                    "fraction": loss.fraction,
                }
                for loss in self.losses
            ],
            "partner_withdrawal": [
                {"at": offset_text(w.at - start), "partner": w.partner} for w in self.withdrawals
            ],
            "funding_shortfall": [
                {"step": s.step, "fraction": s.fraction} for s in self.shortfalls
            ],
        }


def _exact(value: float) -> Fraction:
    return Fraction(str(value))


def _scaled(count: int, factor: Fraction) -> int:
    """count × factor rounded half up."""
    return math.floor(count * factor + Fraction(1, 2))


def apply_shock(scenario: Scenario, shock: Shock) -> list[Step]:
    """The scenario's steps under a shock, sorted by time (stable: same time, list order).

    Surges scale register_arrivals (people and each group, rounded half up; a step left with no
    people is dropped); shortfalls reduce receive_funds amounts (rounded down; a receipt left
    with nothing is dropped); delays move dispatch_supplies later. Withdrawals become
    withdraw_partner steps and losses `lose_supplies` pseudo-steps (resolved at run time into a
    write_off_supplies of that fraction of the then free stock); both come after the scenario's
    own steps at the same time and carry step number 0. Raises ValueError if the shock names a
    step of the wrong command.
    """
    surges = {s.step: s.factor for s in shock.surges}
    delays = {d.step: d.delay for d in shock.delays}
    shortfalls = {s.step: s.fraction for s in shock.shortfalls}
    numbers = {step.number: step for step in scenario.steps}
    for table, command in (
        (surges, "register_arrivals"),
        (delays, "dispatch_supplies"),
        (shortfalls, "receive_funds"),
    ):
        for number in table:
            if number not in numbers or numbers[number].command != command:
                raise ValueError(f"step {number} is not a {command} step of {scenario.path}")
    steps: list[Step] = []
    for step in scenario.steps:
        number = step.number
        if number in surges:
            args = _surged(step.args, _exact(surges[number]))
            if args is None:
                continue
            step = replace(step, args=args)
        elif number in shortfalls:
            amount = step.args["amount"]
            kept = math.floor(amount * (1 - _exact(shortfalls[number])))
            if kept <= 0:
                continue
            step = replace(step, args={**step.args, "amount": kept})
        elif number in delays:
            step = replace(step, at=step.at + delays[number])
        steps.append(step)
    for withdrawal in sorted(shock.withdrawals):
        steps.append(
            Step(
                0,
                0,
                withdrawal.at,
                "withdraw_partner",
                {"partner": withdrawal.partner, "reason": WITHDRAWAL_REASON},
            )
        )
    for loss in sorted(shock.losses):
        steps.append(
            Step(
                0,
                0,
                loss.at,
                LOSS_COMMAND,
                {"stockpile": loss.stockpile, "item": loss.item, "fraction": loss.fraction},
            )
        )
    steps.sort(key=lambda s: s.at)
    return steps


def _surged(args: Mapping[str, Any], factor: Fraction) -> dict[str, Any] | None:
    people = _scaled(args["people"], factor)
    if people <= 0:
        return None
    scaled = {
        key: _scaled(value, factor) if isinstance(value, int) else value
        for key, value in args.items()
    }
    scaled["people"] = people
    return scaled


# --------------------------------------------------------------------------------------------
# The space of shocks a section allows, in integer units


@dataclass(frozen=True)
class Units:
    """A shock as integers on the section's grids (what strategies draw and shrinkers shrink).

    surges: factor offset from 1 per surge step, in resolution steps; delays: per delay step,
    in resolution steps; losses: (target index, fraction in 5 % steps >= 1, steps back from the
    horizon); withdrawals: (partner index, steps back from the horizon); shortfalls: per
    receive_funds step, in 5 % steps.
    """

    surges: tuple[int, ...] = ()
    delays: tuple[int, ...] = ()
    losses: tuple[tuple[int, int, int], ...] = ()
    withdrawals: tuple[tuple[int, int], ...] = ()
    shortfalls: tuple[int, ...] = ()


@dataclass(frozen=True)
class ShockSpace:
    """Which steps and entities a section's shocks may touch, and the grids of their values."""

    start: datetime
    horizon: datetime
    surge_steps: tuple[int, ...] = ()
    surge_low: int = 0  # offsets from factor 1, in resolution steps
    surge_high: int = 0
    surge_resolution: Fraction = DEFAULT_FACTOR_RESOLUTION
    delay_steps: tuple[int, ...] = ()
    delay_max: int = 0
    delay_resolution: timedelta = DAY
    loss_targets: tuple[tuple[str, str, datetime], ...] = ()  # stockpile, item, opened at
    loss_max: int = 0
    loss_events: int = 0
    loss_resolution: timedelta = DAY
    loss_back: int = 0
    partners: tuple[tuple[str, datetime], ...] = ()  # partner, registered at
    withdraw_max: int = 0
    withdraw_resolution: timedelta = DAY
    withdraw_back: int = 0
    shortfall_steps: tuple[int, ...] = ()
    shortfall_max: int = 0

    @classmethod
    def of(cls, scenario: Scenario, spec: SimulationSpec) -> ShockSpace:
        """The space of a validated section."""
        steps = scenario.steps
        fields: dict[str, Any] = {"start": scenario.start, "horizon": steps[-1].at}
        surge = spec.arrival_surge
        if surge is not None:
            one = int(1 / surge.resolution)
            fields |= {
                "surge_steps": tuple(
                    s.number
                    for s in steps
                    if s.command == "register_arrivals"
                    and (surge.camps is None or s.args["camp"] in surge.camps)
                ),
                "surge_low": int(surge.low / surge.resolution) - one,
                "surge_high": int(surge.high / surge.resolution) - one,
                "surge_resolution": surge.resolution,
            }
        delay = spec.delivery_delay
        if delay is not None:
            fields |= {
                "delay_steps": tuple(
                    s.number
                    for s in steps
                    if s.command == "dispatch_supplies"
                    and (delay.camps is None or s.args["camp"] in delay.camps)
                    and (delay.items is None or s.args["item"] in delay.items)
                ),
                "delay_max": delay.max // delay.resolution,
                "delay_resolution": delay.resolution,
            }
        loss = spec.supply_loss
        if loss is not None:
            opened = {s.args["stockpile"]: s.at for s in steps if s.command == "open_stockpile"}
            targets: dict[tuple[str, str], datetime] = {}
            for s in steps:
                if s.command != "receive_supplies":
                    continue
                depot, item = s.args["stockpile"], s.args["item"]
                if (loss.stockpiles is None or depot in loss.stockpiles) and (
                    loss.items is None or item in loss.items
                ):
                    targets.setdefault((depot, item), opened[depot])
            earliest = min(targets.values(), default=fields["horizon"])
            fields |= {
                "loss_targets": tuple((d, i, at) for (d, i), at in targets.items()),
                "loss_max": int(loss.max_fraction / FRACTION_RESOLUTION),
                "loss_events": loss.max_events,
                "loss_resolution": loss.resolution,
                "loss_back": (fields["horizon"] - earliest) // loss.resolution,
            }
        withdrawal = spec.partner_withdrawal
        if withdrawal is not None:
            partners = tuple(
                (s.args["partner"], s.at)
                for s in steps
                if s.command == "register_partner"
                and (withdrawal.partners is None or s.args["partner"] in withdrawal.partners)
            )
            earliest = min((at for _, at in partners), default=fields["horizon"])
            fields |= {
                "partners": partners,
                "withdraw_max": min(withdrawal.max_partners, len(partners)),
                "withdraw_resolution": withdrawal.resolution,
                "withdraw_back": (fields["horizon"] - earliest) // withdrawal.resolution,
            }
        shortfall = spec.funding_shortfall
        if shortfall is not None:
            fields |= {
                "shortfall_steps": tuple(
                    s.number
                    for s in steps
                    if s.command == "receive_funds"
                    and (shortfall.partners is None or s.args["partner"] in shortfall.partners)
                ),
                "shortfall_max": int(shortfall.max_fraction / FRACTION_RESOLUTION),
            }
        return cls(**fields)

    def is_empty(self, kind: str) -> bool:
        """True if a shock kind has nothing to perturb."""
        return {
            "arrival_surge": not self.surge_steps,
            "delivery_delay": not self.delay_steps or self.delay_max == 0,
            "supply_loss": not self.loss_targets,
            "partner_withdrawal": not self.partners,
            "funding_shortfall": not self.shortfall_steps,
        }[kind]

    @property
    def zero(self) -> Units:
        """The units of the smallest shock the space allows (the zero shock if 1 is in range)."""
        return Units(
            surges=tuple(self.surge_target for _ in self.surge_steps),
            delays=tuple(0 for _ in self.delay_steps),
            shortfalls=tuple(0 for _ in self.shortfall_steps),
        )

    @property
    def surge_target(self) -> int:
        """The surge offset nearest to factor 1 within range."""
        return min(max(0, self.surge_low), self.surge_high)

    def shock(self, units: Units) -> Shock:
        """The concrete shock of some units (identity parts left out, parts sorted)."""
        res = self.surge_resolution
        surges = tuple(
            Surge(step, float(1 + u * res))
            for step, u in zip(self.surge_steps, units.surges, strict=True)
            if u != 0
        )
        delays = tuple(
            Delay(step, u * self.delay_resolution)
            for step, u in zip(self.delay_steps, units.delays, strict=True)
            if u > 0
        )
        losses = tuple(
            sorted(
                Loss(
                    max(self.loss_targets[t][2], self.horizon - back * self.loss_resolution),
                    self.loss_targets[t][0],
                    self.loss_targets[t][1],
                    float(f * FRACTION_RESOLUTION),
                )
                for t, f, back in units.losses
            )
        )
        withdrawals = tuple(
            sorted(
                Withdrawal(
                    max(self.partners[p][1], self.horizon - back * self.withdraw_resolution),
                    self.partners[p][0],
                )
                for p, back in units.withdrawals
            )
        )
        shortfalls = tuple(
            Shortfall(step, float(u * FRACTION_RESOLUTION))
            for step, u in zip(self.shortfall_steps, units.shortfalls, strict=True)
            if u > 0
        )
        return Shock(surges, delays, losses, withdrawals, shortfalls)

    def sample(self, rng: random.Random) -> Units:
        """Draw units uniformly from the grids (the distribution of the sampled runs).

        Each surge, delay and shortfall value is uniform on its grid; the number of losses is
        uniform from 0 to max_events and the number of withdrawals from 0 to max_partners,
        each with a uniform target, fraction and time.
        """
        surges = tuple(rng.randint(self.surge_low, self.surge_high) for _ in self.surge_steps)
        delays = tuple(rng.randint(0, self.delay_max) for _ in self.delay_steps)
        losses: tuple[tuple[int, int, int], ...] = ()
        if self.loss_targets:
            losses = tuple(
                (
                    rng.randrange(len(self.loss_targets)),
                    rng.randint(1, self.loss_max),
                    rng.randint(0, self.loss_back),
                )
                for _ in range(rng.randint(0, self.loss_events))
            )
        withdrawals: tuple[tuple[int, int], ...] = ()
        if self.partners:
            chosen = rng.sample(range(len(self.partners)), rng.randint(0, self.withdraw_max))
            withdrawals = tuple((p, rng.randint(0, self.withdraw_back)) for p in chosen)
        shortfalls = tuple(rng.randint(0, self.shortfall_max) for _ in self.shortfall_steps)
        return Units(surges, delays, losses, withdrawals, shortfalls)

    def strategy(self) -> SearchStrategy[Units]:
        """A hypothesis strategy over the units; every part shrinks towards the zero shock.

        Losses and withdrawals shrink towards fewer events, smaller fractions and later times
        (the horizon), surges towards factor 1, delays and shortfalls towards none.
        """
        from hypothesis import strategies as st

        surges = st.tuples(
            *(st.integers(self.surge_low, self.surge_high) for _ in self.surge_steps)
        )
        delays = st.tuples(*(st.integers(0, self.delay_max) for _ in self.delay_steps))
        shortfalls = st.tuples(*(st.integers(0, self.shortfall_max) for _ in self.shortfall_steps))
        losses: SearchStrategy[Any] = st.just(())
        if self.loss_targets:
            losses = st.lists(
                st.tuples(
                    st.integers(0, len(self.loss_targets) - 1),
                    st.integers(1, self.loss_max),
                    st.integers(0, self.loss_back),
                ),
                max_size=self.loss_events,
            ).map(tuple)
        withdrawals: SearchStrategy[Any] = st.just(())
        if self.partners:
            withdrawals = st.lists(
                st.tuples(
                    st.integers(0, len(self.partners) - 1), st.integers(0, self.withdraw_back)
                ),
                max_size=self.withdraw_max,
                unique_by=lambda pair: pair[0],
            ).map(tuple)
        return st.builds(Units, surges, delays, losses, withdrawals, shortfalls)

    def simpler(self, units: Units) -> Iterator[Units]:
        """Candidate simplifications of some units, biggest first (for the greedy shrinker)."""
        for i in range(len(units.losses)):
            yield replace(units, losses=units.losses[:i] + units.losses[i + 1 :])
        for i in range(len(units.withdrawals)):
            yield replace(units, withdrawals=units.withdrawals[:i] + units.withdrawals[i + 1 :])
        for i, value in enumerate(units.surges):
            for candidate in _towards(value, self.surge_target):
                yield replace(units, surges=_put(units.surges, i, candidate))
        for i, value in enumerate(units.delays):
            for candidate in _towards(value, 0):
                yield replace(units, delays=_put(units.delays, i, candidate))
        for i, value in enumerate(units.shortfalls):
            for candidate in _towards(value, 0):
                yield replace(units, shortfalls=_put(units.shortfalls, i, candidate))
        for i, (t, f, back) in enumerate(units.losses):
            for g in _towards(f, 1):
                yield replace(units, losses=_put(units.losses, i, (t, g, back)))
            for b in _towards(back, 0):
                yield replace(units, losses=_put(units.losses, i, (t, f, b)))
        for i, (p, back) in enumerate(units.withdrawals):
            for b in _towards(back, 0):
                yield replace(units, withdrawals=_put(units.withdrawals, i, (p, b)))


def _towards(value: int, target: int) -> list[int]:
    """Values between target and value to try, nearest the target first."""
    if value == target:
        return []
    middle = target + (value - target) // 2
    candidates = [target, middle, value - (1 if value > target else -1)]
    seen: list[int] = []
    for c in candidates:
        if c != value and c not in seen:
            seen.append(c)
    return seen


def _put(values: tuple[Any, ...], index: int, value: Any) -> tuple[Any, ...]:
    return (*values[:index], value, *values[index + 1 :])


# --------------------------------------------------------------------------------------------
# One run


@dataclass(frozen=True)
class Breach:
    """A requirement (or invariant) broken at a time, in words."""

    at: datetime
    message: str


@dataclass(frozen=True)
class Refusal:
    """A step the domain refused under the shock (it was skipped)."""

    step: Step
    message: str


@dataclass
class CampStats:
    """A camp across one run: its final and worst status and its lowest days of cover."""

    final_status: str | None = None
    worst_status: str | None = None
    min_cover: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """What one perturbed run did and which requirements it broke."""

    shock: Shock
    broken: dict[int, Breach] = field(default_factory=dict)  # requirement number -> breach
    invariants: list[Breach] = field(default_factory=list)
    timeline: list[tuple[Step, str | None]] = field(default_factory=list)  # step, refusal
    skipped: list[str] = field(default_factory=list)
    camps: dict[str, CampStats] = field(default_factory=dict)
    probes: dict[tuple[datetime, str, str], dict[str, Any] | None] = field(default_factory=dict)
    events: int = 0
    end: datetime | None = None
    stored: list[tuple[Any, int, str, bytes]] | None = None

    @property
    def applied(self) -> list[Step]:
        """The steps that applied, in order (losses as their concrete write-offs)."""
        return [step for step, refusal in self.timeline if refusal is None]

    @property
    def refusals(self) -> list[Refusal]:
        """The steps the domain refused under the shock, in order."""
        return [Refusal(step, refusal) for step, refusal in self.timeline if refusal is not None]

    def breach(self, number: int) -> Breach | None:
        """The breach of requirement `number` (0: the domain invariants), or None."""
        if number == 0:
            return self.invariants[0] if self.invariants else None
        return self.broken.get(number)


class _SimulationService(PlannerService):
    """A PlannerService on the in-memory (popo) store that hands each command's new events to
    a sink as soon as the command succeeds, so that a run folds them step by step while the
    batch saves them together (saving after every step would double the cost of a run)."""

    def __init__(self, sink: list[Any], **kwargs: Any) -> None:
        super().__init__({"PERSISTENCE_MODULE": "eventsourcing.popo"}, **kwargs)
        self._sink = sink
        self._run_ids: dict[tuple[str, str], UUID] = {}

    def id_of(self, kind: str, slug: str) -> UUID:
        """The entity id, computed once per run (uuid5 is not free)."""
        key = (kind, slug)
        known = self._run_ids.get(key)
        if known is None:
            known = self._run_ids[key] = super().id_of(kind, slug)
        return known

    def _commit(
        self, entity: str, primary: PlannerAggregate, *others: PlannerAggregate
    ) -> CommandResult:
        uow = self._uow
        mark = len(uow.events) if uow is not None else 0
        result = super()._commit(entity, primary, *others)
        if uow is not None:
            self._sink.extend(uow.events[mark:])
        return result


class Simulator:
    """Runs perturbed replays of one scenario; build it once, run it many times."""

    def __init__(self, scenario: Scenario, spec: SimulationSpec | None = None) -> None:
        self.scenario = scenario
        self.spec = spec if spec is not None else SimulationSpec()
        self.space = ShockSpace.of(scenario, self.spec)
        self.namespace = workspace_namespace(scenario.slug)
        created = created_slugs(scenario)
        self.ids: dict[tuple[str, str], str] = {
            (kind, slug): str(entity_id(kind, slug, self.namespace))
            for kind, slugs in created.items()
            for slug in slugs
        }
        self.camps = [(slug, self.ids[("camp", slug)]) for slug in created.get("camp", {})]
        self.standards = {
            "standards_profile": scenario.standards.profile,
            "standards_overrides": dict(scenario.standards.overrides),
        }
        requirements = self.spec.requirements
        self.windowed = sorted(
            (r for r in requirements if r.after is not None), key=lambda r: (r.after, r.number)
        )
        self.at_end = [r for r in requirements if r.after is None]

    def run(
        self,
        shock: Shock | None = None,
        *,
        stats: bool = False,
        probes: Sequence[tuple[datetime, str, str]] = (),
        record: bool = False,
    ) -> RunResult:
        """Replay the scenario under a shock; `stats` collects camp statistics for reports,
        `probes` captures (time, kind, slug) views as of those times, `record` keeps the stored
        events as (originator id, version, topic, state) in `RunResult.stored`."""
        shock = shock if shock is not None else Shock()
        return _Run(self, shock, stats, probes, record).execute()


class _Run:
    """The state of one run while it executes."""

    def __init__(
        self,
        sim: Simulator,
        shock: Shock,
        stats: bool,
        probes: Sequence[tuple[datetime, str, str]],
        record: bool,
    ) -> None:
        self.sim = sim
        self.record = record
        self.result = RunResult(shock)
        self.steps = apply_shock(sim.scenario, shock)
        self.fold = ReadinessFold()
        self.stats = stats
        self.views: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.pending = list(sim.windowed)  # windows not yet started
        self.active: list[Requirement] = []
        self.probes = sorted(probes)

    def execute(self) -> RunResult:
        sim, result = self.sim, self.result
        sink: list[Any] = []
        clock = SimulatedClock(sim.scenario.start)
        service = _SimulationService(sink, namespace=sim.namespace, clock_fn=clock)
        stack = ExitStack()
        stack.enter_context(service.batch())
        steps = self.steps
        try:
            index, total = 0, len(steps)
            while index < total:
                moment = steps[index].at
                self.before(moment)
                while index < total and steps[index].at == moment:
                    step = steps[index]
                    index += 1
                    clock.now = moment
                    concrete = self.resolve(step)
                    if concrete is None:
                        continue
                    args = concrete.args
                    if concrete.command == "draft_plan":
                        args = {**args, **sim.standards}
                    try:
                        service.execute(concrete.command, args)
                    except PlannerError as refusal:
                        result.timeline.append((concrete, str(refusal)))
                        stack.close()  # drop the identity map: reload from the store
                        stack = ExitStack()
                        stack.enter_context(service.batch())
                        continue
                    result.timeline.append((concrete, None))
                    self.fold_events(sink, concrete)
                    sink.clear()
                self.at_moment(moment)
            end = steps[-1].at if steps else sim.scenario.start
            self.finish(end)
            stack.close()
            if self.record:
                result.stored = [
                    (n.originator_id, n.originator_version, n.topic, n.state)
                    for n in service.recorder.select_notifications(start=1, limit=10**9)
                ]
        finally:
            stack.close()
            service.close()
        return result

    # -- steps and events ------------------------------------------------------------------

    def resolve(self, step: Step) -> Step | None:
        """The command to run for a step: a loss becomes a write-off of the free stock then."""
        if step.command != LOSS_COMMAND:
            return step
        args = step.args
        depot = self.fold.stockpiles.get(self.sim.ids[("stockpile", args["stockpile"])])
        free = 0
        if depot is not None:
            item = args["item"]
            free = depot["on_hand"].get(item, 0) - depot["reserved"].get(item, 0)
        quantity = math.floor(free * _exact(args["fraction"]))
        if quantity <= 0:
            self.result.skipped.append(
                f"loss of {args['fraction']:.0%} of {args['item']} at {args['stockpile']} at "
                f"{offset_text(step.at - self.sim.scenario.start)}: no free stock to lose"
            )
            return None
        return Step(
            0,
            0,
            step.at,
            "write_off_supplies",
            {
                "stockpile": args["stockpile"],
                "item": args["item"],
                "quantity": quantity,
                "reason": "lost",
            },
        )

    def fold_events(self, sink: list[Any], step: Step) -> None:
        fold = self.fold
        touched: set[tuple[str, str]] = set()
        for event in sink:
            oid = str(event.originator_id)
            name = type(event).__qualname__
            touched |= fold.apply(name, oid, event.timestamp, event.__dict__)
            kind = _EVENT_KIND.get(name.split(".", 1)[0])
            if kind is not None:
                touched.add((kind, oid))
        self.result.events += len(sink)
        self.views.clear()
        for problem in _invariant_problems(fold, touched):
            self.result.invariants.append(Breach(step.at, f"{problem} after {_step_label(step)}"))

    # -- evaluation --------------------------------------------------------------------------

    def view(self, kind: str, slug: str) -> dict[str, Any] | None:
        key = (kind, slug)
        if key in self.views:
            return self.views[key]
        entity_id = self.sim.ids[key]
        doc: dict[str, Any] | None
        if kind == "camp":
            doc = self.fold.view("camp", entity_id) if entity_id in self.fold.camps else None
        elif kind == "plan":
            if entity_id in self.fold.plans:
                for camp_id in self.fold.plans[entity_id]["camps"]:
                    self.fold.view("camp", camp_id)  # plan views count fresh camp statuses
                doc = plan_view(self.fold, entity_id)
            else:
                doc = None
        else:
            doc = self.fold.view(kind, entity_id) if entity_id in self.fold.stockpiles else None
        self.views[key] = doc
        return doc

    def before(self, moment: datetime) -> None:
        """Evaluate what is due strictly before `moment` on the state as of then."""
        while self.probes and self.probes[0][0] < moment:
            self.capture(self.probes.pop(0))
        while self.pending and self.pending[0].after is not None and self.pending[0].after < moment:
            requirement = self.pending.pop(0)
            assert requirement.after is not None
            self.check(requirement, requirement.after)
            self.active.append(requirement)

    def at_moment(self, moment: datetime) -> None:
        """Evaluate the requirements whose window covers `moment`, after its steps."""
        pending = self.pending
        while pending and pending[0].after is not None and pending[0].after <= moment:
            self.active.append(pending.pop(0))
        still = []
        for requirement in self.active:
            if requirement.until is not None and moment > requirement.until:
                continue
            if self.check(requirement, moment):
                still.append(requirement)
        self.active = still
        while self.probes and self.probes[0][0] <= moment:
            self.capture(self.probes.pop(0))
        if self.stats:
            self.collect(moment)

    def finish(self, end: datetime) -> None:
        self.result.end = end
        for requirement in self.pending:
            assert requirement.after is not None
            self.check(requirement, requirement.after)
        for requirement in self.sim.at_end:
            self.check(requirement, end)
        for probe in self.probes:
            self.capture(probe)
        if self.stats:
            for slug, _ in self.sim.camps:
                doc = self.view("camp", slug)
                stats = self.result.camps.setdefault(slug, CampStats())
                stats.final_status = None if doc is None else doc["status"]

    def capture(self, probe: tuple[datetime, str, str]) -> None:
        _, kind, slug = probe
        doc = self.view(kind, slug)
        self.result.probes[probe] = None if doc is None else dict(doc)

    def check(self, requirement: Requirement, moment: datetime) -> bool:
        """Check one requirement now; record a breach. True if it still needs watching."""
        if requirement.number in self.result.broken:
            return False
        message = _requirement_breach(requirement, self.view(requirement.subject, requirement.slug))
        if message is None:
            return True
        self.result.broken[requirement.number] = Breach(
            moment, f"{message} at {when_text(moment, self.sim.scenario.start)}"
        )
        return False

    def collect(self, moment: datetime) -> None:
        for slug, _ in self.sim.camps:
            doc = self.view("camp", slug)
            if doc is None or doc["population"] == 0 or doc["status"] == "closed":
                continue
            stats = self.result.camps.setdefault(slug, CampStats())
            status = doc["status"]
            if (
                stats.worst_status is None
                or _STATUS_RANK[status] > _STATUS_RANK[stats.worst_status]
            ):
                stats.worst_status = status
            for item, days in doc["days_of_cover"].items():
                if days is not None and (
                    item not in stats.min_cover or days < stats.min_cover[item]
                ):
                    stats.min_cover[item] = days


_EVENT_KIND: Final = {
    "Partner": "partner",
    "ResponsePlan": "plan",
    "Stockpile": "stockpile",
    "Camp": "camp",
}


def _step_label(step: Step) -> str:
    if step.number:
        return f"step {step.number} ({step.command})"
    return f"shock {step.command}"


def _invariant_problems(fold: ReadinessFold, touched: set[tuple[str, str]]) -> Iterator[str]:
    """The domain invariants, checked on the folded state of the entities an event touched."""
    for kind, oid in sorted(touched):
        if kind == "stockpile" and oid in fold.stockpiles:
            depot = fold.stockpiles[oid]
            for item, on_hand in depot["on_hand"].items():
                reserved = depot["reserved"].get(item, 0)
                if on_hand < 0 or reserved < 0:
                    yield f"negative stock of {item} at stockpile {depot['slug']}"
                elif reserved > on_hand:
                    yield f"more {item} reserved than on hand at stockpile {depot['slug']}"
        elif kind == "camp" and oid in fold.camps:
            camp = fold.camps[oid]
            for item, quantity in camp["stock"].items():
                if quantity < 0:
                    yield f"negative stock of {item} in camp {camp['slug']}"
            for group, count in camp["population"].items():
                if count < 0:
                    yield f"departures exceed the population ({group}) of camp {camp['slug']}"
        elif kind == "plan" and oid in fold.plans:
            plan = fold.plans[oid]
            for currency, received in plan["received"].items():
                if received - plan["disbursed"].get(currency, 0) < 0:
                    yield f"pool of plan {plan['slug']} overdrawn in {currency}"
                if received > plan["pledged"].get(currency, 0):
                    yield f"plan {plan['slug']} received more {currency} than was pledged"
            for currency, disbursed in plan["disbursed"].items():
                if disbursed > 0 and currency not in plan["received"]:
                    yield f"pool of plan {plan['slug']} overdrawn in {currency}"


def _requirement_breach(requirement: Requirement, doc: dict[str, Any] | None) -> str | None:
    """None if the requirement holds on a view document, else what is wrong, in words."""
    subject = f"{requirement.subject} {requirement.slug}"
    prop, value = requirement.prop, requirement.value
    if doc is None:
        if prop == "status_not":
            return None  # a camp that does not exist (yet) is in no forbidden status
        return f"{subject} not existing"
    if prop == "status_not":
        if doc["status"] in value:
            return f"{subject} {doc['status']}{_gap_hint(doc)}"
        return None
    if prop == "status":
        if doc["status"] not in value:
            return f"{subject} {doc['status']}{_gap_hint(doc)}"
        return None
    if prop == "min_days_of_cover":
        short = [
            f"{_num(doc['days_of_cover'][item])} days of {item} (at least {_num(days)} needed)"
            for item, days in value.items()
            if doc["days_of_cover"].get(item) is not None
            and doc["days_of_cover"][item] < days - 1e-9
        ]
        return f"{subject} with " + ", ".join(short) if short else None
    if prop == "min_preparedness_days":
        short = [
            f"{_num(doc['preparedness_days'][item])} preparedness days of {item} "
            f"(at least {_num(days)} needed)"
            for item, days in value.items()
            if doc["preparedness_days"][item] < days - 1e-9
        ]
        return f"{subject} with " + ", ".join(short) if short else None
    if prop == "min_pool_balance":
        short = [
            f"a pool of {doc['pool_balance'].get(currency, 0):,} {currency} "
            f"(at least {amount:,} needed)"
            for currency, amount in value.items()
            if doc["pool_balance"].get(currency, 0) < amount
        ]
        return f"{subject} with " + ", ".join(short) if short else None
    # tripartite
    if doc["tripartite"] != value:
        if value:
            return f"{subject} not tripartite (no active {', '.join(doc['missing_kinds'])})"
        return f"{subject} tripartite"
    return None


def _gap_hint(doc: dict[str, Any]) -> str:
    gaps = doc.get("gaps") or []
    return f" ({gaps[0]})" if gaps else ""


# --------------------------------------------------------------------------------------------
# Sampling and search


@dataclass
class Outcome:
    """One requirement (number 0: the domain invariants) across the sampled runs and the search.

    `minimal` is the run of the minimal failing shock found, `search` how it was found:
    "baseline" (it fails without any shock), "hypothesis" (hypothesis.find and its shrinking),
    "greedy" (shrunk by hand from a failing sampled run, when hypothesis found none) or "none".
    """

    number: int
    requirement: Requirement | None
    broken_runs: int = 0
    minimal: RunResult | None = None
    search: str = "none"
    search_runs: int = 0
    budget_exhausted: bool = False
    breach_view: dict[str, Any] | None = None  # the entity's view at the breach time
    unshocked_view: dict[str, Any] | None = None  # the same without the shock


@dataclass
class SimulationReport:
    """Everything a simulation found, ready for the text, JSON and HTML reports."""

    scenario: Scenario
    spec: SimulationSpec
    space: ShockSpace
    runs: int
    seed: int
    baseline: RunResult
    samples: list[RunResult]
    sample_units: list[Units]
    outcomes: list[Outcome]
    elapsed: float
    sampling_seconds: float
    search_seconds: float
    total_runs: int

    @property
    def broken(self) -> bool:
        """True if any requirement or invariant broke in some run."""
        return any(o.broken_runs or o.minimal is not None for o in self.outcomes)


def search_budget(runs: int) -> int:
    """Runs one requirement's search may spend: half the sample size, kept within 50 .. 200
    (hypothesis gets that much; the greedy fallback, if needed, as much again)."""
    return min(max(runs // 2, 50), 200)


def simulate_scenario(
    scenario: Scenario,
    *,
    runs: int = 200,
    seed: int = 0,
    spec: SimulationSpec | None = None,
    budget: int | None = None,
) -> SimulationReport:
    """Sample `runs` perturbed runs, then find the minimal failing shock of each requirement."""
    began = time.perf_counter()
    if spec is None:
        spec = validate_simulate(scenario) or SimulationSpec()
    simulator = Simulator(scenario, spec)
    space = simulator.space
    budget = search_budget(runs) if budget is None else budget
    cache: dict[Shock, RunResult] = {}
    baseline = simulator.run(Shock(), stats=True)
    cache[Shock()] = baseline

    rng = random.Random(seed)
    samples: list[RunResult] = []
    sample_units: list[Units] = []
    for _ in range(runs):
        units = space.sample(rng)
        shock = space.shock(units)
        result = simulator.run(shock, stats=True)
        cache.setdefault(shock, result)
        samples.append(result)
        sample_units.append(units)
    sampled = time.perf_counter()

    outcomes = [Outcome(0, None)] + [Outcome(r.number, r) for r in spec.requirements]
    total_runs = 1 + runs
    for outcome in outcomes:
        outcome.broken_runs = sum(1 for s in samples if s.breach(outcome.number) is not None)
        total_runs += _search(
            simulator, outcome, cache, samples, sample_units, budget, seed * 1009 + outcome.number
        )
        if outcome.minimal is not None and outcome.requirement is not None:
            breach = outcome.minimal.broken[outcome.number]
            probe = (breach.at, outcome.requirement.subject, outcome.requirement.slug)
            shock = outcome.minimal.shock
            outcome.breach_view = simulator.run(shock, probes=[probe]).probes.get(probe)
            if not shock.is_zero:
                outcome.unshocked_view = simulator.run(Shock(), probes=[probe]).probes.get(probe)
            total_runs += 1 + (not shock.is_zero)
    finished = time.perf_counter()
    return SimulationReport(
        scenario=scenario,
        spec=spec,
        space=space,
        runs=runs,
        seed=seed,
        baseline=baseline,
        samples=samples,
        sample_units=sample_units,
        outcomes=outcomes,
        elapsed=finished - began,
        sampling_seconds=sampled - began,
        search_seconds=finished - sampled,
        total_runs=total_runs,
    )


def _search(
    simulator: Simulator,
    outcome: Outcome,
    cache: dict[Shock, RunResult],
    samples: list[RunResult],
    sample_units: list[Units],
    budget: int,
    seed: int,
) -> int:
    """Find the minimal failing shock of one requirement; return how many new runs it took."""
    number = outcome.number
    baseline = cache[Shock()]
    if baseline.breach(number) is not None:
        outcome.minimal, outcome.search = baseline, "baseline"
        return 0
    if number == 0 and not outcome.broken_runs:
        return 0  # the domain enforces the invariants: search only if a sampled run broke one
    space = simulator.space
    spent = 0
    limit = budget

    def broken(units: Units) -> bool:
        nonlocal spent
        shock = space.shock(units)
        result = cache.get(shock)
        if result is None:
            if spent >= limit:
                outcome.budget_exhausted = True
                return False
            spent += 1
            result = simulator.run(shock)
            cache[shock] = result
        return result.breach(number) is not None

    found = _hypothesis_find(space, broken, budget, seed)
    if found is not None:
        outcome.search = "hypothesis"
        # Polish: if the budget cut hypothesis's shrinking short, a few greedy steps may still
        # drop a part it kept (each candidate costs at most one run).
        limit = spent + max(10, budget // 4)
        exhausted, outcome.budget_exhausted = outcome.budget_exhausted, False
        found = _greedy_shrink(space, found, broken)
        outcome.budget_exhausted = exhausted and outcome.budget_exhausted
    else:
        failing = [
            u for s, u in zip(samples, sample_units, strict=True) if s.breach(number) is not None
        ]
        if failing:
            limit = spent + budget  # the greedy shrinker gets a budget of its own
            outcome.budget_exhausted = False
            found = _greedy_shrink(space, min(failing, key=lambda u: _size(space, u)), broken)
            outcome.search = "greedy"
    if found is not None:
        outcome.minimal = cache[space.shock(found)]
    outcome.search_runs = spent
    return spent


def _hypothesis_find(
    space: ShockSpace, broken: Callable[[Units], bool], budget: int, seed: int
) -> Units | None:
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample

    options = settings(
        database=None,
        derandomize=False,  # the seed below decides, whatever profile is loaded
        max_examples=budget,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    try:
        return find(space.strategy(), broken, settings=options, random=random.Random(seed))
    except NoSuchExample:
        return None


def _greedy_shrink(space: ShockSpace, units: Units, broken: Callable[[Units], bool]) -> Units:
    """Shrink failing units greedily: take the first simpler candidate that still fails."""
    current = units
    progress = True
    while progress:
        progress = False
        for candidate in space.simpler(current):
            if broken(candidate):
                current = candidate
                progress = True
                break
    return current


def _size(space: ShockSpace, units: Units) -> float:
    """How big a shock is, roughly: the sum of its parts' distances from the zero shock."""
    target = space.surge_target
    size = sum(abs(u - target) for u in units.surges) + sum(units.delays)
    size += sum(units.shortfalls) + sum(f + 1 for _, f, _ in units.losses)
    return float(size + 2 * len(units.withdrawals))


# --------------------------------------------------------------------------------------------
# Shocks in words


def shock_phrases(scenario: Scenario, result: RunResult) -> list[str]:
    """The parts of a run's shock in words, e.g. 'arrivals ×1.4 at step 12 (camp-a, +3d)'."""
    start = scenario.start
    steps = {s.number: s for s in scenario.steps}
    shock = result.shock
    phrases = []
    for surge in shock.surges:
        step = steps[surge.step]
        phrases.append(
            f"arrivals ×{surge.factor:g} at step {surge.step} "
            f"({step.args['people']:,} → {_scaled(step.args['people'], _exact(surge.factor)):,} "
            f"people at {step.args['camp']}, {offset_text(step.at - start)})"
        )
    for delay in shock.delays:
        step = steps[delay.step]
        phrases.append(
            f"a {duration_words(delay.delay)} delay of dispatch at step {delay.step} "
            f"({step.args['quantity']:,} {step.args['item']} from {step.args['stockpile']} to "
            f"{step.args['camp']}, due {offset_text(step.at - start)})"
        )
    write_offs = [s for s in result.applied if s.number == 0 and s.command == "write_off_supplies"]
    for loss in shock.losses:
        lost = next(
            (
                s.args["quantity"]
                for s in write_offs
                if s.at == loss.at
                and s.args["stockpile"] == loss.stockpile
                and s.args["item"] == loss.item
            ),
            None,
        )
        amount = f"{lost:,} lost" if lost is not None else "nothing to lose"
        phrases.append(
            f"the loss of {loss.fraction:.0%} of the free {loss.item} at {loss.stockpile} at "
            f"{offset_text(loss.at - start)} ({amount})"
        )
    for withdrawal in shock.withdrawals:
        phrases.append(
            f"the withdrawal of partner {withdrawal.partner} at "
            f"{offset_text(withdrawal.at - start)}"
        )
    for shortfall in shock.shortfalls:
        step = steps[shortfall.step]
        phrases.append(
            f"a {shortfall.fraction:.0%} shortfall of the receipt at step {shortfall.step} "
            f"({step.args['partner']}, {step.args['amount']:,} {step.args['currency']}, "
            f"{offset_text(step.at - start)})"
        )
    return phrases


def _joined(phrases: Sequence[str]) -> str:
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
    phrases = shock_phrases(scenario, outcome.minimal)
    if not phrases:
        return f"without any shock: {breach.message}"
    verb = "leave" if len(phrases) > 1 or phrases[0].startswith("arrivals") else "leaves"
    return f"{_joined(phrases)} {verb} {breach.message}"


# --------------------------------------------------------------------------------------------
# Shocks as scenario YAML

_PLAIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_YAML_WORDS: Final = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def yaml_value(value: Any) -> str:
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
    start = scenario.start
    notes: dict[int, str] = {}
    originals = {s.number: s for s in scenario.steps}
    for surge in result.shock.surges:
        people = originals[surge.step].args["people"]
        notes[surge.step] = f"step {surge.step}: arrivals ×{surge.factor:g} (was {people:,})"
    for delay in result.shock.delays:
        was = offset_text(originals[delay.step].at - start)
        notes[delay.step] = f"step {delay.step}: {duration_words(delay.delay)} delay (was {was})"
    for shortfall in result.shock.shortfalls:
        amount = originals[shortfall.step].args["amount"]
        notes[shortfall.step] = (
            f"step {shortfall.step}: {shortfall.fraction:.0%} shortfall (was {amount:,})"
        )
    return notes


def _extra_note(step: Step) -> str:
    if step.command == "write_off_supplies":
        return "shock: supply loss"
    return "shock: partner withdrawal"


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
                f"  # {_step_label(step)} at {when} refused under this shock and left "
                f"out: {refusal}"
            )
        elif step.number == 0:
            lines += _step_yaml(step, start, _extra_note(step))
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
    start = scenario.start
    number = outcome.number
    breach = result.breach(number)
    assert breach is not None
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
    lines.append("steps:")
    lines += _timeline_yaml(scenario, result, only_changes=False)
    lines += _reproduction_check(outcome, breach, start)
    return "\n".join(lines) + "\n"


def _reproduction_check(outcome: Outcome, breach: Breach, start: datetime) -> list[str]:
    """A check at the breach time asserting the breached values: the replay passes it when it
    reproduces the breach. A comment gives the values without the shock."""
    requirement = outcome.requirement
    if requirement is None or outcome.breach_view is None:
        return []
    expect = _expected_fields(requirement, outcome.breach_view)
    lines = [
        "checks:",
        f"  # requirement {requirement.number} asks for "
        f"{_property_words(requirement.prop, requirement.value)}; this check asserts the breach",
    ]
    if outcome.unshocked_view is not None:
        lines.append(
            "  # without the shock: "
            f"{yaml_value(_expected_fields(requirement, outcome.unshocked_view))}"
        )
    lines += [
        f"  - at: {offset_text(breach.at - start)}",
        f"    {requirement.subject}: {requirement.slug}",
        f"    expect: {yaml_value(expect)}",
    ]
    return lines


def _expected_fields(requirement: Requirement, view: dict[str, Any]) -> dict[str, Any]:
    """The view fields a requirement is about."""
    if requirement.prop in ("status", "status_not"):
        return {"status": view["status"]}
    if requirement.prop == "min_days_of_cover":
        return {
            "days_of_cover": {item: view["days_of_cover"].get(item) for item in requirement.value}
        }
    if requirement.prop == "min_preparedness_days":
        return {
            "preparedness_days": {
                item: view["preparedness_days"][item] for item in requirement.value
            }
        }
    if requirement.prop == "min_pool_balance":
        return {"pool_balance": {c: view["pool_balance"].get(c, 0) for c in requirement.value}}
    return {"tripartite": view["tripartite"]}


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


# --------------------------------------------------------------------------------------------
# Correlations for the report


def shock_features(
    space: ShockSpace, scenario: Scenario, units: Units
) -> tuple[dict[str, float], dict[str, float]]:
    """A run's shock as numbers: coarse dimensions, and one number per part (for correlations)."""
    shock = space.shock(units)
    coarse: dict[str, float] = {}
    fine: dict[str, float] = {}
    steps = {s.number: s for s in scenario.steps}
    if space.surge_steps:
        factors = {s.step: s.factor for s in shock.surges}
        values = [factors.get(n, 1.0) for n in space.surge_steps]
        coarse["arrival surge (largest factor)"] = max(values)
        for n, v in zip(space.surge_steps, values, strict=True):
            fine[f"arrivals at step {n} ({steps[n].args['camp']}) ×"] = v
    if space.delay_steps:
        delays = {d.step: d.delay / DAY for d in shock.delays}
        values = [delays.get(n, 0.0) for n in space.delay_steps]
        coarse["delivery delay (total days)"] = sum(values)
        for n, v in zip(space.delay_steps, values, strict=True):
            args = steps[n].args
            fine[f"delay of dispatch step {n} ({args['item']} to {args['camp']}), days"] = v
    if space.loss_targets:
        coarse["supply loss (sum of fractions)"] = sum(loss.fraction for loss in shock.losses)
        for depot, item, _ in space.loss_targets:
            fine[f"loss of {item} at {depot} (fraction)"] = sum(
                loss.fraction
                for loss in shock.losses
                if loss.stockpile == depot and loss.item == item
            )
    if space.partners:
        coarse["partner withdrawals (count)"] = float(len(shock.withdrawals))
        gone = {w.partner for w in shock.withdrawals}
        for partner, _ in space.partners:
            fine[f"withdrawal of {partner}"] = float(partner in gone)
    if space.shortfall_steps:
        cuts = {s.step: s.fraction for s in shock.shortfalls}
        values = [cuts.get(n, 0.0) for n in space.shortfall_steps]
        coarse["funding shortfall (mean fraction)"] = sum(values) / len(values)
        for n, v in zip(space.shortfall_steps, values, strict=True):
            fine[f"shortfall of receipt step {n} ({steps[n].args['partner']})"] = v
    return coarse, fine


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation (point-biserial when ys are 0/1); None if either is constant."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def correlations(
    report: SimulationReport, number: int
) -> tuple[list[tuple[str, float | None]], list[tuple[str, float]]]:
    """How each shock dimension correlates with requirement `number` breaking across the runs:
    (coarse dimensions in order, the five parts most correlated by absolute value)."""
    failed = [1.0 if s.breach(number) is not None else 0.0 for s in report.samples]
    features = [shock_features(report.space, report.scenario, u) for u in report.sample_units]
    if not features:
        return [], []
    coarse_names = list(features[0][0])
    coarse = [(name, correlation([f[0][name] for f in features], failed)) for name in coarse_names]
    fine: list[tuple[str, float]] = []
    for name in features[0][1]:
        r = correlation([f[1][name] for f in features], failed)
        if r is not None:
            fine.append((name, r))
    fine.sort(key=lambda pair: (-abs(pair[1]), pair[0]))
    return coarse, fine[:5]


def refusal_shares(report: SimulationReport) -> list[tuple[str, int]]:
    """Steps refused in the sampled runs: (label, number of runs), most often first."""
    counts: dict[str, int] = {}
    for sample in report.samples:
        for label in {_step_label(r.step) for r in sample.refusals}:
            counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
