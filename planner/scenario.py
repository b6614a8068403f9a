"""Load and fully validate scenario files (see the scenario-format contract) without any store.

Everything a file can get wrong without asking the domain is caught here: YAML syntax, unknown or
missing keys, unknown commands, ill-typed arguments, times going backwards and unknown slugs.
Every error names the file, the step (or check) number and its line, and what is wrong.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from domain.catalog import DEFAULT_PROFILE, MAX_NUMBER, STANDARD_KEYS, STANDARDS_PROFILES
from domain.commands import COMMANDS, ArgumentError, CommandSpec, validate_args
from domain.site import AREA_LEVELS
from planner.yaml_budget import NodeBudget

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
_CHECK_FORM: Final = "|".join(CHECK_ENTITIES)
STANDARDS_KEYS: Final = ("profile", "overrides")

_SCENARIO_SLUG: Final = re.compile(r"[a-z0-9-]+")
_OFFSET: Final = re.compile(r"\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_TIME_HELP: Final = (
    "an offset from start like +0d, +3d, +36h, +2d12h, +90m, +30s, "
    "or an ISO 8601 timestamp with offset like 1999-03-24T06:00:00Z"
)


# --------------------------------------------------------------------------------------------
# Public data


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


# --------------------------------------------------------------------------------------------
# Times


def parse_offset_or_time(value: Any, start: datetime) -> datetime:
    """Turn an `at:` value (offset from start or ISO 8601 with offset) into a UTC datetime."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start {start.isoformat()} has no UTC offset")
    if isinstance(value, str) and value.strip().startswith("+"):
        delta = _parse_offset(value.strip())
        try:
            return (start + delta).astimezone(UTC)
        except OverflowError:
            raise ValueError(f"offset {value!r} is too large") from None
    return parse_timestamp(value)


def parse_timestamp(value: Any) -> datetime:
    """Turn an ISO 8601 timestamp with offset (string or YAML-parsed datetime) into UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError(f"{value.isoformat()} is a date without a time; expected {_TIME_HELP}")
    elif isinstance(value, str):
        moment = _parse_iso(value.strip())
    else:
        raise ValueError(f"expected {_TIME_HELP}; got {_shown(value)}")
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


# --------------------------------------------------------------------------------------------
# YAML with lines


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class _Seq(list[Any]):
    """A YAML sequence that remembers its line and the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _DuplicateKey(Exception):
    """A key given twice in one mapping."""

    def __init__(
        self,
        key: Any,
        line: int,
        first_line: int,
        index: int,
        where: tuple[str, int, int] | None,
    ) -> None:
        super().__init__(key)
        self.key = key
        self.line = line
        self.first_line = first_line
        self.index = index
        self.where = where


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader; its parse events are turned into values by _EventBuilder."""


class _EventBuilder:
    """Builds line-aware values straight from parse events, one step at a time.

    Composing the whole node tree first (yaml.compose) costs about 6 KB per step; building
    from events keeps a 200,000-step scenario within a few hundred MB.
    """

    def __init__(self, loader: _Loader, budget: NodeBudget) -> None:
        self.loader = loader
        self.budget = budget
        self.anchors: dict[str, Any] = {}
        self.anchor_sizes: dict[str, int] = {}
        # (section, item number, item line) of the step or check being built, for messages
        self.where: tuple[str, int, int] | None = None
        # A scalar's value depends only on its tag, text and implicitness; long scenarios repeat
        # the same few hundred scalars, so each is resolved and constructed once.
        self.scalars: dict[tuple[Any, str, Any], Any] = {}

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        value = self.value(top=True)
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.peek_event()
            raise yaml.MarkedYAMLError(
                "expected a single document in the stream",
                None,
                "but found another document",
                event.start_mark,
            )
        return value

    def value(self, *, top: bool = False) -> Any:
        event = self.loader.get_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise yaml.MarkedYAMLError(
                    None,
                    None,
                    f"found undefined alias {event.anchor!r}",
                    event.start_mark,  # type: ignore[arg-type]
                )
            size = self.anchor_sizes.get(event.anchor, self.budget.limit + 1)  # +1: recursive
            self.budget.spend(size, event.start_mark)
            return self.anchors[event.anchor]
        if isinstance(event, yaml.ScalarEvent):
            result = self._scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            result = self._sequence(event)
        elif isinstance(event, yaml.MappingStartEvent):
            result = self._mapping(event, top=top)
        else:  # pragma: no cover - the parser guarantees one of the above
            raise yaml.MarkedYAMLError(None, None, f"unexpected {event}", event.start_mark)
        if getattr(event, "anchor", None):
            self.anchors[event.anchor] = result
            self.anchor_sizes[event.anchor] = self.budget.measure(result)
        return result

    def _scalar(self, event: Any) -> Any:
        self.budget.spend(1, event.start_mark)
        key = (event.tag, event.value, event.implicit)
        try:
            return self.scalars[key]
        except KeyError:
            pass
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        value = self.loader.construct_object(node, deep=True)
        self.loader.constructed_objects.pop(node, None)  # the constructor caches every node
        if type(value) in _IMMUTABLE_SCALARS:
            if len(self.scalars) >= _SCALAR_CACHE_SIZE:
                self.scalars.clear()
            self.scalars[key] = value
        return value

    def plain(self) -> Any:
        """The next value as plain dicts and lists: `_plain(self.value())`, built directly."""
        loader = self.loader
        event = loader.peek_event()
        kind = type(event)
        if kind is yaml.AliasEvent or event.anchor:
            return _plain(self.value())  # as it always was: line-aware first, then copied
        loader.get_event()
        if kind is yaml.ScalarEvent:
            return self._scalar(event)
        budget = self.budget
        if kind is yaml.SequenceStartEvent:
            budget.spend(1, event.start_mark)
            budget.enter(event.start_mark)
            items = []
            while not loader.check_event(yaml.SequenceEndEvent):
                items.append(self.plain())
            loader.get_event()
            budget.leave()
            return items
        if kind is yaml.MappingStartEvent:
            budget.spend(1, event.start_mark)
            budget.enter(event.start_mark)
            data = self._plain_mapping()
            budget.leave()
            return data
        raise yaml.MarkedYAMLError(None, None, f"unexpected {event}", event.start_mark)

    def _plain_mapping(self) -> dict[Any, Any]:
        loader = self.loader
        peek, get, scalar = loader.peek_event, loader.get_event, self._scalar
        data: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        while True:
            key_event = peek()
            kind = type(key_event)
            if kind is yaml.MappingEndEvent:
                break
            line = key_event.start_mark.line + 1
            if kind is yaml.ScalarEvent and not key_event.anchor and key_event.value != "<<":
                get()
                key = scalar(key_event)
            elif _is_merge_key(key_event):
                get()  # the merge key itself: `<<` takes no constructor
                merged.update(_plain(self._merge_source(self.value(), key_event)))
                continue
            else:
                key = self.value()
            try:
                first_line = lines.get(key)
            except TypeError:
                raise _unhashable_key(key_event) from None
            if first_line is not None:
                raise _DuplicateKey(key, line, first_line, key_event.start_mark.index, self.where)
            lines[key] = line
            value_event = peek()
            if type(value_event) is yaml.ScalarEvent and not value_event.anchor:
                get()
                data[key] = scalar(value_event)
            else:
                data[key] = self.plain()
        get()
        for key, value in merged.items():
            data.setdefault(key, value)
        return data

    def _sequence(self, event: Any) -> _Seq:
        data = _Seq(event.start_mark.line + 1)
        if event.anchor:
            self.anchors[event.anchor] = data
        self.budget.spend(1, event.start_mark)
        self.budget.enter(event.start_mark)
        while not self.loader.check_event(yaml.SequenceEndEvent):
            data.item_lines.append(self.loader.peek_event().start_mark.line + 1)
            data.append(self.value())
        self.loader.get_event()
        self.budget.leave()
        return data

    def _mapping(self, event: Any, *, top: bool) -> _Map:
        data = _Map(event.start_mark.line + 1)
        if event.anchor:
            self.anchors[event.anchor] = data
        self.budget.spend(1, event.start_mark)
        self.budget.enter(event.start_mark)
        merged: dict[Any, Any] = {}
        while not self.loader.check_event(yaml.MappingEndEvent):
            key_event = self.loader.peek_event()
            line = key_event.start_mark.line + 1
            if _is_merge_key(key_event):
                self.loader.get_event()  # the merge key itself: `<<` takes no constructor
                merged.update(self._merge_source(self.value(), key_event))
                continue
            key = self.value()
            try:
                first_line = data.key_lines.get(key)
            except TypeError:
                raise _unhashable_key(key_event) from None
            if first_line is not None:
                raise _DuplicateKey(key, line, first_line, key_event.start_mark.index, self.where)
            data.key_lines[key] = line
            data[key] = self._items_value(top, key, line)
        self.loader.get_event()
        self.budget.leave()
        for key, value in merged.items():
            if key not in data:
                data[key] = value
                data.key_lines[key] = data.line
        return data

    def _items_value(self, top: bool, key: Any, line: int) -> Any:
        if not (top and key in ("steps", "checks")):
            return self.value()
        if not self.loader.check_event(yaml.SequenceStartEvent):
            return self.value()
        # A top-level steps/checks list: remember which entry is being built.
        start = self.loader.get_event()
        data = _Seq(start.start_mark.line + 1)
        section = "step" if key == "steps" else "check"
        number = 0
        while not self.loader.check_event(yaml.SequenceEndEvent):
            number += 1
            item_line = self.loader.peek_event().start_mark.line + 1
            self.where = (section, number, item_line)
            data.item_lines.append(item_line)
            # Steps need no per-key lines once built (errors name the step's line): plain
            # dicts and lists keep a long scenario's memory small.
            data.append(self.plain() if section == "step" else self.value())
        self.where = None
        self.loader.get_event()
        if start.anchor:
            self.anchors[start.anchor] = data
        return data

    @staticmethod
    def _merge_source(source: Any, event: Any) -> dict[Any, Any]:
        sources = source if isinstance(source, list) else [source]
        merged: dict[Any, Any] = {}
        for item in reversed(sources):
            if not isinstance(item, dict):
                raise yaml.MarkedYAMLError(
                    "while constructing a mapping",
                    None,
                    "expected a mapping or list of mappings for merging",
                    event.start_mark,
                )
            merged.update(item)
        return merged


_IMMUTABLE_SCALARS: Final = frozenset({str, int, float, bool, type(None), bytes, datetime, date})
_SCALAR_CACHE_SIZE: Final = 4096


def _is_merge_key(event: Any) -> bool:
    return (
        isinstance(event, yaml.ScalarEvent)
        and event.value == "<<"
        and (event.tag == _MERGE_TAG or (event.tag is None and event.implicit[0]))
    )


def _unhashable_key(key_event: Any) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(
        "while constructing a mapping", None, "found unhashable key", key_event.start_mark
    )


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML text into plain values with line-aware mappings and sequences."""
    loader = _Loader(text)
    try:
        return _EventBuilder(loader, NodeBudget(len(text))).document()
    except _DuplicateKey as dup:
        raise _duplicate_key_error(path, dup) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(path, exc) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _yaml_error(path: str, exc: Any) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "not valid YAML: " + (", ".join(parts) or "syntax error")
    return ScenarioError(path, message, line=mark.line + 1 if mark is not None else None)


def _duplicate_key_error(path: str, dup: _DuplicateKey) -> ScenarioError:
    message = f"duplicate key {dup.key!r} on line {dup.line} (first given on line {dup.first_line})"
    if dup.where is None:
        return ScenarioError(path, message, line=dup.line)
    kind, number, line = dup.where
    if kind == "step":
        return ScenarioError(path, message, step=number, line=line)
    return ScenarioError(path, message, check=number, line=line)


def _plain(value: Any) -> Any:
    """Copy line-aware YAML containers into plain dicts and lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# Messages


def shown(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: its repr, cut to `limit` characters."""
    text = repr(_plain(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestion(word: Any, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the known word closest to `word`, or ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def key_line(mapping: Any, key: str) -> int | None:
    """The line of `key` in a mapping parsed by load_yaml, or None."""
    return mapping.key_lines.get(key) if isinstance(mapping, _Map) else None


# The module's own callers use the private spellings (kept so that edits elsewhere in this
# module keep working); other modules use the public names above.
_parse_offset = parse_offset
_load_yaml = load_yaml
_shown = shown
_suggestion = suggestion
_key_line = key_line


def _item_line(sequence: Any, index: int, item: Any) -> int | None:
    if isinstance(item, _Map):
        return item.line
    if isinstance(sequence, _Seq) and index < len(sequence.item_lines):
        return sequence.item_lines[index]
    return None


@dataclass(frozen=True)
class _Where:
    """Where in the file an error is: the step or check number and a line."""

    path: str
    line: int | None = None
    step: int | None = None
    check: int | None = None

    def error(self, message: str) -> ScenarioError:
        """Build the ScenarioError for this place."""
        return ScenarioError(self.path, message, step=self.step, line=self.line, check=self.check)


# --------------------------------------------------------------------------------------------
# Public loaders


def load_scenario(path: str | Path) -> Scenario:
    """Read a UTF-8 scenario file and validate it fully."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(name, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            name, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line=line
        ) from None
    return parse_scenario(text, name)


def parse_scenario(text: str, path: str = "<string>") -> Scenario:
    """Parse and validate scenario YAML text; `path` is only used in error messages."""
    top = _top_mapping(_load_yaml(text, path), path)
    return _ScenarioBuilder(path, top).build()


def _top_mapping(data: Any, path: str) -> dict[Any, Any]:
    if data is None:
        raise ScenarioError(
            path, "the file is empty; a scenario is a mapping with scenario, title, start, steps"
        )
    if not isinstance(data, dict):
        line = data.line if isinstance(data, _Seq) else None
        raise ScenarioError(
            path,
            f"the top level must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}; "
            f"got {_shown(data)}",
            line=line,
        )
    return data


_Created = dict[str, dict[str, tuple[int, datetime]]]


class _ScenarioBuilder:
    """Validates one parsed scenario mapping, step by step, and builds the Scenario."""

    def __init__(self, path: str, top: dict[Any, Any]) -> None:
        self.path = path
        self.top = top
        self.created: _Created = {}

    def at_key(self, key: str) -> _Where:
        """The place of a top-level key."""
        return _Where(self.path, line=_key_line(self.top, key))

    def build(self) -> Scenario:
        """Validate everything, in file order, and return the Scenario."""
        self._check_top_keys()
        slug, title, description = self._slug(), self._title(), self._description()
        sources, start, standards = self._sources(), self._start(), self._standards()
        steps = self._steps(start)
        return Scenario(
            path=self.path,
            slug=slug,
            title=title,
            description=description,
            sources=sources,
            start=start,
            standards=standards,
            steps=steps,
            checks=self._checks(start),
            simulate=self._simulate(),
        )

    # -- top level ---------------------------------------------------------------------------

    def _check_top_keys(self) -> None:
        for key in self.top:
            if key not in TOP_LEVEL_KEYS:
                raise _Where(self.path, line=_key_line(self.top, key)).error(
                    f"unknown top-level key {key!r}{_suggestion(key, TOP_LEVEL_KEYS)}; "
                    f"allowed: {', '.join(TOP_LEVEL_KEYS)}"
                )
        for key in REQUIRED_KEYS:
            if key not in self.top:
                raise ScenarioError(self.path, f"missing required key {key!r}")

    def _slug(self) -> str:
        value = self.top["scenario"]
        if not isinstance(value, str) or not _SCENARIO_SLUG.fullmatch(value):
            raise self.at_key("scenario").error(
                f"'scenario' must be a slug of lowercase letters, digits and '-'; "
                f"got {_shown(value)}"
            )
        return value

    def _title(self) -> str:
        value = self.top["title"]
        if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
            raise self.at_key("title").error(
                f"'title' must be a non-empty one-line string; got {_shown(value)}"
            )
        return value.strip()

    def _description(self) -> str:
        value = self.top.get("description")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.at_key("description").error(
                f"'description' must be a string; got {_shown(value)}"
            )
        return value

    def _sources(self) -> tuple[str, ...]:
        value = self.top.get("sources")
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.at_key("sources").error(
                f"'sources' must be a list of strings; got {_shown(value)}"
            )
        for index, item in enumerate(value):
            if not isinstance(item, str):
                line = _item_line(value, index, item) or _key_line(self.top, "sources")
                raise _Where(self.path, line=line).error(
                    f"'sources' must be a list of strings; item {index + 1} is {_shown(item)}"
                )
        return tuple(value)

    def _start(self) -> datetime:
        value = self.top["start"]
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise self.at_key("start").error(
                f"'start' must be an ISO 8601 timestamp with offset: {exc}"
            ) from None

    def _simulate(self) -> dict[str, Any] | None:
        value = self.top.get("simulate")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.at_key("simulate").error(
                f"'simulate' must be a mapping; got {_shown(value)}"
            )
        result: dict[str, Any] = _plain(value)
        return result

    # -- standards ---------------------------------------------------------------------------

    def _standards(self) -> Standards:
        value = self.top.get("standards")
        where = self.at_key("standards")
        if value is None:
            return Standards(DEFAULT_PROFILE, {})
        if isinstance(value, str):
            return Standards(_profile(value, where), {})
        if not isinstance(value, dict):
            raise where.error(
                "'standards' must be a profile name or a mapping {profile: NAME, overrides: "
                f"{{KEY: NUMBER}}}}; got {_shown(value)}"
            )
        for key in value:
            if key not in STANDARDS_KEYS:
                raise _Where(self.path, line=_key_line(value, key) or where.line).error(
                    f"unknown key {key!r} in 'standards'{_suggestion(key, STANDARDS_KEYS)}; "
                    f"allowed: {', '.join(STANDARDS_KEYS)}"
                )
        profile = _profile(value.get("profile", DEFAULT_PROFILE), where)
        return Standards(profile, self._overrides(value.get("overrides"), where))

    def _overrides(self, value: Any, where: _Where) -> dict[str, float]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise where.error(
                f"'standards.overrides' must be a mapping {{KEY: NUMBER}}; got {_shown(value)}"
            )
        overrides: dict[str, float] = {}
        for key, number in value.items():
            here = _Where(self.path, line=_key_line(value, key) or where.line)
            if key not in STANDARD_KEYS:
                raise here.error(
                    f"unknown standards override {key!r}{_suggestion(key, STANDARD_KEYS)}; "
                    f"known: {', '.join(STANDARD_KEYS)}"
                )
            overrides[key] = _override_value(key, number, here)
        return overrides

    # -- steps -------------------------------------------------------------------------------

    def _steps(self, start: datetime) -> tuple[Step, ...]:
        raw = self.top["steps"]
        if not isinstance(raw, list) or not raw:
            raise self.at_key("steps").error(
                f"'steps' must be a non-empty list of steps {{at, do, with}}; got {_shown(raw)}"
            )
        steps: list[Step] = []
        for index, entry in enumerate(raw):
            where = _Where(self.path, line=_item_line(raw, index, entry), step=index + 1)
            previous = steps[-1] if steps else None
            steps.append(self._step(entry, where, start, previous))
            raw[index] = None  # the parsed entry is no longer needed: keep peak memory low
        return tuple(steps)

    def _step(self, entry: Any, where: _Where, start: datetime, previous: Step | None) -> Step:
        if not isinstance(entry, dict):
            raise where.error(f"a step must be a mapping {{at, do, with}}; got {_shown(entry)}")
        _reject_unknown_keys(entry, STEP_KEYS, "step", where)
        for key, meaning in (("at", "the time"), ("do", "the command")):
            if key not in entry:
                raise where.error(f"the step has no {key!r} ({meaning})")
        at = _time(entry["at"], start, where)
        _check_order(at, start, previous, where)
        spec = _command(entry["do"], where)
        args = _arguments(spec, _times_resolved(spec, entry.get("with"), start, where), where)
        self._track_slugs(spec, args, at, where)
        assert where.step is not None and where.line is not None
        return Step(where.step, where.line, at, spec.name, args)

    def _track_slugs(
        self, spec: CommandSpec, args: Mapping[str, Any], at: datetime, where: _Where
    ) -> None:
        slug_args = [a for a in spec.args if a.type == "slug" and a.name in args]
        for arg in slug_args:
            if not arg.creates:
                self._require_slug(str(arg.entity), args[arg.name], where)
        for arg in spec.args:
            if arg.type == "slugs" and arg.name in args:
                for slug in args[arg.name]:
                    self._require_slug(str(arg.entity), slug, where)
        for arg in slug_args:
            if arg.creates:
                self._create_slug(str(arg.entity), args[arg.name], at, where)
        if spec.name == "establish_camp":
            for level in AREA_LEVELS:
                if level in args:  # the first camp to carry a code brings the area into being
                    assert where.step is not None
                    self.created.setdefault(level, {}).setdefault(args[level], (where.step, at))

    def _require_slug(self, kind: str, slug: str, where: _Where) -> None:
        known = self.created.get(kind, {})
        if slug not in known:
            raise where.error(
                f"unknown {kind} {slug!r}{_suggestion(slug, known)}: no earlier step creates it"
            )

    def _create_slug(self, kind: str, slug: str, at: datetime, where: _Where) -> None:
        known = self.created.setdefault(kind, {})
        if slug in known:
            raise where.error(
                f"{kind} {slug!r} already exists (step {known[slug][0]} created it); "
                f"slugs are unique per kind"
            )
        assert where.step is not None
        known[slug] = (where.step, at)

    # -- checks ------------------------------------------------------------------------------

    def _checks(self, start: datetime) -> tuple[Check, ...]:
        raw = self.top.get("checks")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.at_key("checks").error(
                f"'checks' must be a list of checks {{at, {_CHECK_FORM}, expect}}; "
                f"got {_shown(raw)}"
            )
        return tuple(
            self._check(
                entry, _Where(self.path, line=_item_line(raw, i, entry), check=i + 1), start
            )
            for i, entry in enumerate(raw)
        )

    def _check(self, entry: Any, where: _Where, start: datetime) -> Check:
        if not isinstance(entry, dict):
            raise where.error(
                f"a check must be a mapping {{at, {_CHECK_FORM}, expect}}; got {_shown(entry)}"
            )
        _reject_unknown_keys(entry, CHECK_KEYS, "check", where)
        if "at" not in entry:
            raise where.error("the check has no 'at' (the time)")
        at = _time(entry["at"], start, where)
        kind = _check_entity(entry, where)
        slug = entry[kind]
        if kind in AREA_LEVELS:
            self._require_area_at(kind, slug, at, where)
        else:
            self._require_slug_at(kind, slug, at, where)
        if "expect" not in entry:
            raise where.error("the check has no 'expect' (the expected field values)")
        expect = _expectations(entry["expect"], where)
        for name in CHECK_TIME_FIELDS.get(kind, ()):
            if expect.get(name) is not None:
                expect[name] = format_time(_time(expect[name], start, where, name))
        assert where.check is not None and where.line is not None
        return Check(where.check, where.line, at, kind, slug, expect)

    def _require_slug_at(self, kind: str, slug: Any, at: datetime, where: _Where) -> None:
        if not isinstance(slug, str) or not slug:
            raise where.error(f"{kind!r} must be a {kind} slug; got {_shown(slug)}")
        known = self.created.get(kind, {})
        if slug not in known:
            raise where.error(
                f"unknown {kind} {slug!r}{_suggestion(slug, known)}: no step creates it"
            )
        step, created_at = known[slug]
        if created_at > at:
            raise where.error(
                f"{kind} {slug!r} does not exist yet at {format_time(at)} "
                f"(step {step} creates it at {format_time(created_at)})"
            )

    def _require_area_at(self, level: str, code: Any, at: datetime, where: _Where) -> None:
        if not isinstance(code, str) or not code:
            hint = f" (quote codes that look like numbers: {level}: '04202')" if code else ""
            raise where.error(f"{level!r} must be an area code string; got {_shown(code)}{hint}")
        known = self.created.get(level, {})
        if code not in known:
            raise where.error(
                f"unknown area {level} {code!r}{_suggestion(code, known)}: "
                f"no camp is established with {level}: {code}"
            )
        step, created_at = known[code]
        if created_at > at:
            raise where.error(
                f"unknown area {level} {code!r} at {format_time(at)}: no camp carries it yet "
                f"(step {step} establishes the first at {format_time(created_at)})"
            )


# --------------------------------------------------------------------------------------------
# Small validators


def _profile(value: Any, where: _Where) -> str:
    if not isinstance(value, str) or value not in STANDARDS_PROFILES:
        raise where.error(
            f"unknown standards profile {_shown(value)}{_suggestion(value, STANDARDS_PROFILES)}; "
            f"known: {', '.join(STANDARDS_PROFILES)}"
        )
    return value


def _override_value(key: str, value: Any, where: _Where) -> float:
    valid = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_NUMBER
    )
    if not valid:
        raise where.error(
            f"standards override {key!r} must be a number greater than 0; got {_shown(value)} "
            f"(at most {MAX_NUMBER:g})"
        )
    return float(value)


def _reject_unknown_keys(
    entry: Mapping[Any, Any], allowed: tuple[str, ...], what: str, where: _Where
) -> None:
    for key in entry:
        if key not in allowed:
            raise where.error(
                f"unknown key {key!r} in the {what}{_suggestion(key, allowed)}; "
                f"a {what} has {', '.join(allowed)}"
            )


def _time(value: Any, start: datetime, where: _Where, name: str = "at") -> datetime:
    try:
        return parse_offset_or_time(value, start)
    except ValueError as exc:
        raise where.error(f"bad '{name}': {exc}") from None


def _times_resolved(spec: CommandSpec, value: Any, start: datetime, where: _Where) -> Any:
    """The step's arguments with time arguments (`eta`, `expires`) resolved like `at`."""
    if not isinstance(value, dict):
        return value
    resolved = dict(value)
    for arg in spec.args:
        if arg.type == "time" and resolved.get(arg.name) is not None:
            resolved[arg.name] = _time(resolved[arg.name], start, where, arg.name)
    return resolved


def _check_order(at: datetime, start: datetime, previous: Step | None, where: _Where) -> None:
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


def _command(value: Any, where: _Where) -> CommandSpec:
    if isinstance(value, str) and value in COMMANDS:
        return COMMANDS[value]
    if isinstance(value, str):
        label = f"unknown command {value!r}"
    else:
        label = f"'do' must be a command name, not {_shown(value)}"
    raise where.error(f"{label}{_suggestion(value, COMMANDS)}; commands: {', '.join(COMMANDS)}")


def _arguments(spec: CommandSpec, value: Any, where: _Where) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise where.error(
            f"'with' must be a mapping of arguments ({', '.join(spec.arg_names)}); "
            f"got {_shown(value)}"
        )
    try:
        return validate_args(spec, value)
    except ArgumentError as exc:
        raise where.error(str(exc)) from None


def _check_entity(entry: Mapping[Any, Any], where: _Where) -> str:
    named = [kind for kind in CHECK_ENTITIES if kind in entry]
    if len(named) != 1:
        got = " and ".join(named) if named else "none"
        raise where.error(
            f"a check names exactly one of {', '.join(CHECK_ENTITIES)}; this one names {got}"
        )
    return named[0]


def _expectations(value: Any, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise where.error(
            f"'expect' must be a non-empty mapping of FIELD: VALUE; got {_shown(value)}"
        )
    bad = [key for key in value if not isinstance(key, str)]
    if bad:
        raise where.error(f"'expect' field names must be strings; got {_shown(bad[0])}")
    result: dict[str, Any] = _plain(value)
    return result
