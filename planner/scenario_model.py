"""What a scenario file holds once validated (steps, checks, standards), its errors, its times."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from domain.catalog import DEFAULT_PROFILE
from domain.site import AREA_LEVELS

TOP_LEVEL_KEYS: Final = (
    "scenario",
    "title",
    "description",
    "sources",
    "start",
    "standards",
    "steps",
    "checks",
    "simulate",
)


REQUIRED_KEYS: Final = ("scenario", "title", "start", "steps")


STEP_KEYS: Final = ("at", "do", "with")


CHECK_ENTITIES: Final = ("camp", "plan", "stockpile", "shipment", "offer", *AREA_LEVELS)


# Check fields holding times: written like `at` (an offset from start, or ISO 8601).
CHECK_TIME_FIELDS: Final = {"shipment": ("eta",), "offer": ("expires",)}


CHECK_KEYS: Final = ("at", *CHECK_ENTITIES, "expect")


STANDARDS_KEYS: Final = ("profile", "overrides")


_OFFSET: Final = re.compile(r"\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


_TIME_HELP: Final = (
    "an offset from start like +0d, +3d, +36h, +2d12h, +90m, +30s, "
    "or an ISO 8601 timestamp with offset like 1999-03-24T06:00:00Z"
)


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of `steps:`: a command with validated arguments at an absolute UTC time."""

    number: int
    line: int
    at: datetime
    command: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Check:
    """One entry of `checks:`: expected readiness-view fields of one entity at a time."""

    number: int
    line: int
    at: datetime
    entity: str
    slug: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Standards:
    """The standards profile a scenario uses and its per-key overrides."""

    profile: str = DEFAULT_PROFILE
    overrides: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A fully validated scenario file, ready to replay."""

    path: str
    slug: str
    title: str
    description: str
    sources: tuple[str, ...]
    start: datetime
    standards: Standards
    steps: tuple[Step, ...]
    checks: tuple[Check, ...]
    simulate: dict[str, Any] | None


class ScenarioError(Exception):
    """Bad scenario file; str() names the file, the step or check and its line, and the fault."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        step: int | None = None,
        line: int | None = None,
        check: int | None = None,
    ) -> None:
        self.path = path
        self.message = message
        self.step = step
        self.line = line
        self.check = check
        super().__init__(self._render())

    def _render(self) -> str:
        if self.step is not None or self.check is not None:
            what = f"step {self.step}" if self.step is not None else f"check {self.check}"
            where = f"{what} (line {self.line})" if self.line is not None else what
            return f"{self.path}: {where}: {self.message}"
        if self.line is not None:
            return f"{self.path} (line {self.line}): {self.message}"
        return f"{self.path}: {self.message}"

    def __str__(self) -> str:
        return self._render()


def parse_offset_or_time(value: object, start: datetime) -> datetime:
    """Turn an `at:` value (offset from start or ISO 8601 with offset) into a UTC datetime."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start {start.isoformat()} has no UTC offset")
    if isinstance(value, str) and value.strip().startswith("+"):
        delta = parse_offset(value.strip())
        try:
            return (start + delta).astimezone(UTC)
        except OverflowError:
            raise ValueError(f"offset {value!r} is too large") from None
    return parse_timestamp(value)


def parse_timestamp(value: object) -> datetime:
    """Turn an ISO 8601 timestamp with offset (string or YAML-parsed datetime) into UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError(f"{value.isoformat()} is a date without a time; expected {_TIME_HELP}")
    elif isinstance(value, str):
        moment = _parse_iso(value.strip())
    else:
        raise ValueError(f"expected {_TIME_HELP}; got {shown(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"timestamp {moment.isoformat()} has no UTC offset; add 'Z' or '+HH:MM' to it"
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp {moment.isoformat()} is out of range") from None


def format_time(moment: datetime) -> str:
    """Render a datetime as ISO 8601, writing UTC as 'Z'."""
    text = moment.isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def parse_offset(text: str) -> timedelta:
    """Turn an offset like +3d, +36h, +2d12h, +90m into a timedelta (ValueError if bad)."""
    match = _OFFSET.fullmatch(text)
    if match is None or not any(match.groups()):
        raise ValueError(f"bad offset {text!r}; expected {_TIME_HELP}")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"offset {text!r} is too large") from None


def _parse_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad time {text!r}; expected {_TIME_HELP}") from None


def plain_value(value: object) -> Any:
    """Copy line-aware YAML containers into plain dicts and lists."""
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    return value


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message shows it: its repr, cut to `limit` characters."""
    text = repr(plain_value(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestion(word: object, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the known word closest to `word`, or ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
