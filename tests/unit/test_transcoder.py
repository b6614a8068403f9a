"""Every event type of every aggregate round-trips through the orjson transcoder unchanged."""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.transcoder import OrjsonTranscoder, iso_format
from domain.base import PlannerAggregate
from domain.camp import Camp
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.stockpile import Stockpile
from planner.wiring import new_service

AGGREGATES = (Partner, ResponsePlan, Stockpile, Camp)
EVENT_CLASSES = sorted(
    (
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, PlannerAggregate.Event)
    ),
    key=lambda cls: cls.__qualname__,
)

# orjson stores integers of at most 64 bits, and JSON has no NaN or infinity
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=offsets
)
SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(),
    int: ints,
    float: floats,
    UUID: st.uuids(),
    datetime: aware_datetimes,
    bool: st.booleans(),
}


def strategy_for(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of a field from its annotation (str, int, float, UUID, list[…], dict[…], X | None)."""
    if annotation in SCALARS:
        return SCALARS[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return st.one_of(*(strategy_for(arg) for arg in args))
    if annotation is type(None):
        return st.none()
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=5)
    if origin is dict:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=5)
    raise TypeError(f"no strategy for field type {annotation!r}: extend strategy_for")


def fields_of(cls: type) -> dict[str, Any]:
    """Annotated fields of an event class, with the library's own fields typed concretely."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for name, annotation in hints.items():
        if typing.get_origin(annotation) is typing.ClassVar:
            continue
        fields[name] = annotation
    fields["originator_id"] = UUID
    fields["originator_version"] = int
    fields["timestamp"] = datetime
    return fields


def event_strategy(cls: type) -> st.SearchStrategy[Any]:
    fields = {name: strategy_for(annotation) for name, annotation in fields_of(cls).items()}
    fields["originator_version"] = st.integers(min_value=1, max_value=2**31)
    return st.builds(cls, **fields)


def test_every_event_class_is_enumerated() -> None:
    names = {cls.__qualname__ for cls in EVENT_CLASSES}
    assert {
        "Partner.Registered",
        "Partner.Withdrew",
        "ResponsePlan.Drafted",
        "ResponsePlan.PoolSplit",
        "ResponsePlan.Closed",
        "Stockpile.SuppliesDispatched",
        "Stockpile.SuppliesReceived",
        "Camp.ArrivalsRegistered",
        "Camp.SectorReassigned",
        "Camp.Closed",
    } <= names
    for aggregate in AGGREGATES:
        declared = {
            name
            for name, value in vars(aggregate).items()
            if isinstance(value, type) and name not in ("Event", "Created")
        }
        assert declared <= {
            cls.__name__
            for cls in EVENT_CLASSES
            if cls.__qualname__.startswith(f"{aggregate.__name__}.")
        }
    assert len(EVENT_CLASSES) >= 30


@pytest.fixture(scope="module")
def mapper() -> Any:
    service = new_service({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert isinstance(service.mapper.transcoder, OrjsonTranscoder)
    yield service.mapper
    service.close()


def library_transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = library_transcoder()


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__qualname__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_event_round_trips_unchanged(mapper: Any, cls: type, data: st.DataObject) -> None:
    event = data.draw(event_strategy(cls), label=cls.__qualname__)
    stored = mapper.to_stored_event(event)
    assert stored.originator_id == event.originator_id
    assert stored.originator_version == event.originator_version
    assert stored.topic == f"{cls.__module__}:{cls.__qualname__}"
    assert isinstance(stored.state, bytes)
    back = mapper.to_domain_event(stored)
    assert type(back) is cls
    assert back == event
    assert vars(back) == vars(event)
    # the wire format is the library's own: its JSON transcoder reads the same values
    state = dict(vars(event))
    del state["originator_id"], state["originator_version"]
    if getattr(cls, "class_version", 1) > 1:  # the mapper records the schema version
        state["class_version"] = cls.class_version
    assert LIBRARY.decode(stored.state) == state


@settings(max_examples=100, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | ints | floats | st.text() | st.uuids() | aware_datetimes,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_transcoder_round_trips_nested_values(value: Any) -> None:
    transcoder = OrjsonTranscoder()
    assert transcoder.decode(transcoder.encode(value)) == value
    assert LIBRARY.decode(transcoder.encode(value)) == value
    assert transcoder.decode(LIBRARY.encode(value)) == value


def test_transcoder_writes_the_library_markers() -> None:
    transcoder = OrjsonTranscoder()
    uuid = UUID("12345678-1234-5678-1234-567812345678")
    when = datetime(1999, 4, 1, tzinfo=UTC)
    encoded = transcoder.encode({"id": uuid, "at": when, "ids": [uuid]})
    assert encoded == (
        b'{"id":{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"},'
        b'"at":{"_type_":"datetime_iso","_data_":"1999-04-01T00:00:00+00:00"},'
        b'"ids":[{"_type_":"uuid_hex","_data_":"12345678123456781234567812345678"}]}'
    )


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(timezones=st.just(UTC)) | aware_datetimes | st.datetimes())
def test_iso_format_is_the_library_datetime_format(moment: datetime) -> None:
    assert iso_format(moment) == moment.isoformat()
    encoded = OrjsonTranscoder().encode({"at": moment})
    assert encoded == LIBRARY.encode({"at": moment})
