"""YAML read with lines: values that know where they are; duplicate keys refused; a node budget."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

import yaml

from planner.scenario_model import ScenarioError, plain_value
from planner.yaml_budget import NodeBudget

_MERGE_TAG: Final = "tag:yaml.org,2002:merge"


class _Map(dict[object, object]):
    """A YAML mapping that remembers its line and the line of each of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[object, int] = {}


class Seq(list[object]):
    """A YAML sequence that remembers its line and the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _DuplicateKey(Exception):
    """A key given twice in one mapping."""

    def __init__(
        self,
        key: object,
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
        self.anchors: dict[str, object] = {}
        self.anchor_sizes: dict[str, int] = {}
        # (section, item number, item line) of the step or check being built, for messages
        self.where: tuple[str, int, int] | None = None
        # A scalar's value depends only on its tag, text and implicitness; long scenarios repeat
        # the same few hundred scalars, so each is resolved and constructed once.
        self.scalars: dict[tuple[object, str, object], object] = {}

    def document(self) -> object:
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

    def value(self, *, top: bool = False) -> object:
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

    def _scalar(self, event: Any) -> object:
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

    def plain(self) -> object:
        """The next value as plain dicts and lists: `plain_value(self.value())`, built directly."""
        loader = self.loader
        event = loader.peek_event()
        kind = type(event)
        if kind is yaml.AliasEvent or event.anchor:
            return plain_value(self.value())  # as it always was: line-aware first, then copied
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

    def _plain_mapping(self) -> dict[object, object]:
        loader = self.loader
        peek, get, scalar = loader.peek_event, loader.get_event, self._scalar
        data: dict[object, object] = {}
        lines: dict[object, int] = {}
        merged: dict[object, object] = {}
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
                merged.update(plain_value(self._merge_source(self.value(), key_event)))
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

    def _sequence(self, event: Any) -> Seq:
        data = Seq(event.start_mark.line + 1)
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
        merged: dict[object, object] = {}
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

    def _items_value(self, top: bool, key: object, line: int) -> object:
        if not (top and key in ("steps", "checks")):
            return self.value()
        if not self.loader.check_event(yaml.SequenceStartEvent):
            return self.value()
        # A top-level steps/checks list: remember which entry is being built.
        start = self.loader.get_event()
        data = Seq(start.start_mark.line + 1)
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
    def _merge_source(source: object, event: Any) -> dict[object, object]:
        sources = source if isinstance(source, list) else [source]
        merged: dict[object, object] = {}
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


def _is_merge_key(event: object) -> bool:
    return (
        isinstance(event, yaml.ScalarEvent)
        and event.value == "<<"
        and (event.tag == _MERGE_TAG or (event.tag is None and event.implicit[0]))
    )


def _unhashable_key(key_event: Any) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(
        "while constructing a mapping", None, "found unhashable key", key_event.start_mark
    )


def load_yaml(text: str, path: str) -> object:
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


def key_line(mapping: object, key: object) -> int | None:
    """The line of `key` in a mapping parsed by load_yaml, or None."""
    return mapping.key_lines.get(key) if isinstance(mapping, _Map) else None


def item_line(sequence: object, index: int, item: object) -> int | None:
    if isinstance(item, _Map):
        return item.line
    if isinstance(sequence, Seq) and index < len(sequence.item_lines):
        return sequence.item_lines[index]
    return None
