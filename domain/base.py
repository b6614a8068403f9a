"""The base aggregate: events stamped by the planner's clock, identified by slug."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from datetime import datetime
from hashlib import sha1
from typing import Any, Self, cast
from uuid import NAMESPACE_URL, UUID, SafeUUID, uuid5

from eventsourcing.domain import (
    Aggregate,
    BaseAggregate,
    BoundCommandMethodDecorator,
    CanInitAggregate,
    CanMutateAggregate,
    CommandMethodDecorator,
    DecoratedFuncCaller,
    DomainEvent,
    decorated_func_callers,
)
from eventsourcing.utils import get_topic

from domain import clock

PLANNER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:response-planner")

_BASE_FIELDS = ("originator_id", "originator_version", "timestamp")


def entity_id(kind: str, slug: str, namespace: UUID = PLANNER_NAMESPACE) -> UUID:
    """Deterministic id of an entity from its kind and slug (uuid5), within a namespace."""
    # uuid5(namespace, f"{kind}:{slug}") without UUID.__init__'s checks (a replay makes one
    # per entity); tests/unit/test_entity_ids.py holds it to uuid5
    digest = sha1(namespace.bytes + f"{kind}:{slug}".encode(), usedforsecurity=False).digest()
    uid = _new_uuid(UUID)
    _set_slot(uid, "int", int.from_bytes(digest[:16], "big") & _UUID5_KEEP | _UUID5_SET)
    _set_slot(uid, "is_safe", SafeUUID.unknown)
    return uid


# RFC 4122 variant bits and version 5, as UUID(bytes=..., version=5) sets them
_UUID5_KEEP = ~((0xC000 << 48) | (0xF000 << 64))
_UUID5_SET = (0x8000 << 48) | (5 << 76)
_new_uuid = object.__new__
_set_slot = object.__setattr__


def workspace_namespace(name: str) -> UUID:
    """Namespace of a workspace (a scenario, say), so two workspaces can reuse slugs."""
    return uuid5(PLANNER_NAMESPACE, f"workspace:{name}")


class PlannerAggregate(Aggregate):
    """Base of the planner's aggregates: a slug, and events stamped by the clock in force.

    Each `@event` method of a subclass triggers its event through `fast_trigger`: the same
    event object, state change, version and pending list as the library's decorator, without
    its per-call signature inspection. Calls the fast path does not cover go to the library.
    """

    slug: str

    class Event(Aggregate.Event):
        """Base of every planner event."""

        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        """Base of the events that bring an aggregate into being."""

    def collect_events(self) -> list[CanMutateAggregate[UUID]]:
        """Take the pending events, oldest first, leaving none pending."""
        events = self._pending_events
        self._pending_events = []
        return events

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        """The library's `_create`: the created event built as its dataclass __init__ would
        (same fields, same order), then the library's own mutate; other calls go to it."""
        fields = created_event_shape(cls, event_class)
        if fields is None or type(id) is not UUID or kwargs.keys() != fields[1]:
            return super()._create(event_class, id=id, **kwargs)
        names, _, topic = fields
        given = {
            **kwargs,
            "originator_topic": topic,
            "originator_id": id,
            "originator_version": cls.INITIAL_VERSION,
            "timestamp": event_class.create_timestamp(),
        }
        created = _new_event(event_class)
        _set_slot(created, "__dict__", {name: given[name] for name in names})
        aggregate = cast("Self", created.mutate(None))
        aggregate._pending_events.append(created)
        return aggregate

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, attribute in list(vars(cls).items()):
            if isinstance(attribute, CommandMethodDecorator) and name != "__init__":
                trigger = fast_trigger(cls, attribute)
                if trigger is not None:
                    setattr(cls, name, trigger)


_CREATED_BASE = frozenset({"originator_topic", "originator_id", "originator_version", "timestamp"})
_created_shapes: dict[tuple[type, type], tuple[tuple[str, ...], frozenset[str], str] | None] = {}
_new_event = object.__new__


def created_event_shape(
    aggregate_class: type[Any], event_class: type[Any]
) -> tuple[tuple[str, ...], frozenset[str], str] | None:
    """(field names in order, the fields a caller gives, the aggregate's topic) of a created
    event `_create` may build without the library's dataclass __init__, or None."""
    key = (aggregate_class, event_class)
    if key not in _created_shapes:
        names = tuple(field.name for field in dataclasses.fields(event_class))
        init = vars(event_class).get("__init__")
        plain = (
            not getattr(aggregate_class, "TOPIC", None)
            and not getattr(event_class, "TOPIC", None)
            and set(names) >= _CREATED_BASE
            # the dataclass's own __init__ (generated code), and no __post_init__ but the
            # library's check that the id is a UUID
            and getattr(getattr(init, "__code__", None), "co_filename", "") == "<string>"
            and getattr(event_class, "__post_init__", None) is DomainEvent.__post_init__
        )
        _created_shapes[key] = (
            (names, frozenset(names) - _CREATED_BASE, get_topic(aggregate_class)) if plain else None
        )
    return _created_shapes[key]


def fast_trigger(
    aggregate_class: type[BaseAggregate[Any]], decorator: CommandMethodDecorator
) -> Callable[..., None] | None:
    """A method doing what the library's `@event` method does, or None if not covered.

    Covered: an explicit event class whose fields are exactly the method's parameters, with
    the library's own mutate/apply, on an aggregate without explicit topics. The method must be
    called with every argument by keyword; any other call goes through the library.
    """
    event_class = decorated_func_callers.get(decorator)
    func = decorator.decorated_func
    if event_class is None or not _is_plain(aggregate_class, event_class):
        return None
    names = tuple(field.name for field in dataclasses.fields(event_class))  # type: ignore[arg-type]
    fields = names[len(_BASE_FIELDS) :]
    params = list(inspect.signature(func).parameters.values())[1:]
    if names[: len(_BASE_FIELDS)] != _BASE_FIELDS or {p.name for p in params} != set(fields):
        return None
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        return None
    expected = frozenset(fields)
    create_timestamp = event_class.create_timestamp  # type: ignore[attr-defined]
    new_event = object.__new__
    set_state = object.__setattr__

    def trigger(self: Any, *args: Any, **kwargs: Any) -> None:
        in_order = tuple(kwargs) == fields
        if args or not (in_order or kwargs.keys() == expected):
            BoundCommandMethodDecorator(decorator, self)(*args, **kwargs)
            return
        timestamp = create_timestamp()
        version = self._version + 1
        state = {"originator_id": self._id, "originator_version": version, "timestamp": timestamp}
        if in_order:
            state.update(kwargs)
        else:
            for name in fields:
                state[name] = kwargs[name]
        event = new_event(event_class)
        set_state(event, "__dict__", state)
        func(self, **kwargs)
        self._version = version
        self._modified_on = timestamp
        self._pending_events.append(event)

    trigger.__name__ = func.__name__
    trigger.__qualname__ = func.__qualname__
    trigger.__doc__ = func.__doc__
    trigger.__module__ = func.__module__
    return trigger


def _is_plain(aggregate_class: type[Any], event_class: type[Any]) -> bool:
    """True if triggering `event_class` on `aggregate_class` runs only the library's defaults."""
    if getattr(aggregate_class, "TOPIC", None) or getattr(event_class, "TOPIC", None):
        return False
    if aggregate_class.trigger_event is not BaseAggregate.trigger_event:
        return False
    if (aggregate_class.version, aggregate_class.modified_on) != (
        BaseAggregate.version,
        BaseAggregate.modified_on,
    ):
        return False
    overrides = {
        "apply": (DecoratedFuncCaller, CanMutateAggregate),
        "mutate": (CanMutateAggregate,),
        "__post_init__": (DomainEvent,),
    }
    return all(
        klass in allowed
        for name, allowed in overrides.items()
        for klass in event_class.__mro__
        if name in vars(klass)
    )
