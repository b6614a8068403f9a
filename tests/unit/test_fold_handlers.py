"""The readiness fold fails loudly: every domain event has a fold handler, or is marked as
changing no view (`projections.readiness.EVENTS_CHANGING_NO_VIEW`).

The event classes are found by introspection: every module of the `domain` package, every
class in it and the classes nested in those (an aggregate's events), so a new aggregate or a
new event is covered without touching this test.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator

from eventsourcing.domain import Aggregate, DomainEvent

import domain
from projections.readiness import EVENTS_CHANGING_NO_VIEW, ReadinessFold


def _nested_classes(cls: type) -> Iterator[type]:
    for value in vars(cls).values():
        if inspect.isclass(value) and value.__qualname__.startswith(cls.__qualname__ + "."):
            yield value
            yield from _nested_classes(value)


def _events_of(aggregate: type) -> list[type]:
    """The event classes nested in a class (an aggregate), less the library's unused default.

    The library gives every aggregate class a `Created` event of its own; when the aggregate
    declares its own creating event (`Camp.Established`), that one is triggered, never
    `Camp.Created`.
    """
    events = [c for c in _nested_classes(aggregate) if issubclass(c, DomainEvent)]
    creating = [c for c in events if issubclass(c, Aggregate.Created)]
    if len(creating) > 1:
        events = [c for c in events if c is not getattr(aggregate, "Created", None)]
    return events


def domain_event_classes() -> dict[str, type]:
    """Every concrete event class defined in `domain/`, by the name the fold knows it by."""
    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                found.update((cls.__qualname__, cls) for cls in _events_of(value))
    # a base that other domain events derive from (PlannerAggregate.Event, Camp.Event) is none
    bases = {base for cls in found.values() for base in cls.__mro__[1:]}
    return {name: cls for name, cls in found.items() if cls not in bases}


def test_the_walk_finds_every_aggregates_events() -> None:
    names = domain_event_classes()
    assert {"Camp.Established", "ResponsePlan.Drafted", "Partner.Withdrew"} <= set(names)
    assert {"Stockpile.SuppliesDispatched", "Camp.ArrivalsRegistered"} <= set(names)
    assert "PlannerAggregate.Event" not in names and "PlannerAggregate.Created" not in names


def unhandled(handlers: Iterable[str]) -> list[str]:
    """The domain events with neither a fold handler nor the mark of changing no view."""
    return sorted(set(domain_event_classes()) - set(handlers) - EVENTS_CHANGING_NO_VIEW)


def test_a_missing_handler_is_caught() -> None:
    handlers = dict(ReadinessFold().handlers)
    del handlers["Camp.FacilitiesBuilt"]
    assert unhandled(handlers) == ["Camp.FacilitiesBuilt"]


def test_every_domain_event_has_a_fold_handler_or_is_marked_as_changing_no_view() -> None:
    missing = unhandled(ReadinessFold().handlers)
    assert not missing, (
        f"no readiness fold handler for {missing}: add `_on_<Aggregate>__<Event>` to "
        "ReadinessFold, or name the event in EVENTS_CHANGING_NO_VIEW if it changes no view"
    )


def test_every_fold_handler_and_marker_names_a_domain_event() -> None:
    events = set(domain_event_classes())
    handlers = set(ReadinessFold().handlers)
    assert not handlers - events, f"handlers for no event: {sorted(handlers - events)}"
    assert not EVENTS_CHANGING_NO_VIEW - events
    assert not EVENTS_CHANGING_NO_VIEW & handlers, "marked as changing no view, yet handled"
