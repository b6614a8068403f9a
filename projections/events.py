"""Stored events as the projector reads them: raw rows, decoded straight to fold input.

Catching up over a long log is the views' hot path. The library's
`select_notifications()` + `Mapper.to_domain_event()` build a notification object and a domain
event per row (about 20 µs here); the projector needs only the event's name, originator,
time and fields. So rows are selected with plain SQL from the application's own events table
and decoded with orjson: the originator becomes its canonical id string, the time stays in its
ISO form, id fields keep the library's UUID marker (the fold converts the ones it uses), and the
library's upcasters run when a stored event is older than its class. Stores that are not SQL
(the in-memory store) go through `select_notifications()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import resolve_topic

from projections.fold_state import EventFields, Moment
from projections.ids import canonical_of_hex

Row = tuple[int, UUID | str, str, bytes]  # (position, originator id, topic, state)
Record = tuple[int, str, str, Moment, EventFields]  # an EventRecord, or a plain tuple


class EventRecord(NamedTuple):
    """One live domain event as the projector needs it (decoded rows are plain `Record`
    tuples whose time is its ISO form)."""

    position: int
    name: str  # e.g. "Camp.ArrivalsRegistered"
    oid: str
    ts: datetime
    fields: EventFields


def event_record(domain_event: DomainEventProtocol[UUID], position: int) -> EventRecord:
    """Describe a domain event stored at a position of the notification log."""
    return EventRecord(
        position,
        type(domain_event).__qualname__,
        str(domain_event.originator_id),
        domain_event.timestamp,  # type: ignore[attr-defined]
        domain_event.__dict__,
    )


_TopicSpec = tuple[str, Callable[[dict[str, object]], None] | None]


def _topic_spec(topic: str) -> _TopicSpec:
    """The event's name and its upcaster (None if stored events are at the class's version)."""
    cls = resolve_topic(topic)
    class_version = getattr(cls, "class_version", 1)

    def upcast(state: dict[str, object]) -> None:
        version = cast(int, state.pop("class_version", 1))
        while version < class_version:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1

    return cls.__qualname__, upcast if class_version > 1 else None


class EventDecoder:
    """Turns stored rows into projector records (caching per topic and per originator)."""

    def __init__(self) -> None:
        self._specs: dict[str, _TopicSpec] = {}
        self._ids: dict[UUID | str, str] = {}

    def _id(self, originator: UUID | str) -> str:
        oid = self._ids[originator] = (
            str(originator) if isinstance(originator, UUID) else canonical_of_hex(originator)
        )
        return oid

    def stream(self, rows: Iterable[Row]) -> Iterator[Record]:
        """Decode rows one at a time, as they are folded.

        The hot loop of a rebuild, kept flat. Streaming matters: a list of a batch's decoded
        events keeps thousands of dicts alive, and the cyclic garbage collector, triggered by
        allocations, then keeps walking them (it tripled the cost of a rebuild).
        """
        specs, ids, loads = self._specs, self._ids, orjson.loads
        for position, originator, topic, state in rows:
            try:
                name, upcast = specs[topic]
            except KeyError:
                name, upcast = specs[topic] = _topic_spec(topic)
            try:
                oid = ids[originator]
            except KeyError:
                oid = self._id(originator)
            fields = loads(state)
            if upcast is not None:
                upcast(fields)
            yield position, name, oid, fields["timestamp"]["_data_"], fields


def row_time(row: Row) -> str:
    """The ISO time of a stored row's event."""
    time: str = orjson.loads(row[3])["timestamp"]["_data_"]
    return time


class EventRows:
    """Reads stored events after a position straight from the application's events table."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        datastore = getattr(recorder, "datastore", None)
        self._schema = getattr(datastore, "schema", None) if datastore is not None else None
        self._sql = self._statement(recorder)

    @staticmethod
    def _statement(recorder: object) -> str | None:
        table = getattr(recorder, "events_table_name", None)
        datastore = getattr(recorder, "datastore", None)
        if table is None or datastore is None:
            return None
        if hasattr(datastore, "schema"):  # PostgreSQL
            return (
                f'SELECT notification_id, originator_id, topic, state FROM "{datastore.schema}".'
                f'"{table}" WHERE notification_id > %s AND notification_id <= %s '
                "ORDER BY notification_id LIMIT %s"
            )
        return (
            f"SELECT rowid, originator_id, topic, state FROM {table} WHERE rowid > ? "
            "AND rowid <= ? ORDER BY rowid LIMIT ?"
        )

    def read(self, after: int, limit: int, upto: int | None = None) -> list[Row]:
        """Up to `limit` rows with positions in (after, upto], oldest first."""
        stop = upto if upto is not None else 2**63 - 1
        if self._sql is None:
            notifications = self.recorder.select_notifications(
                start=after + 1, limit=limit, stop=stop
            )
            return [(n.id, n.originator_id, n.topic, n.state) for n in notifications]
        if self._schema is not None:
            with self.recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(self._sql, (after, stop, limit), prepare=True)
                return [
                    (r["notification_id"], r["originator_id"], r["topic"], r["state"])
                    for r in curs.fetchall()
                ]
        with self.recorder.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples: cheaper than sqlite3.Row
            c.execute(self._sql, (after, stop, limit))
            rows: list[Row] = c.fetchall()
            return rows

    def of_entity(self, entity_id: str) -> list[Row]:
        """Every stored event of one entity, oldest first (position 0 from a store that keeps
        no positions per event, the in-memory one)."""
        originator = UUID(entity_id)
        table = getattr(self.recorder, "events_table_name", None)
        if self._sql is None or table is None:
            events = self.recorder.select_events(originator)
            return [(0, e.originator_id, e.topic, e.state) for e in events]
        if self._schema is not None:
            sql = (
                f'SELECT notification_id, originator_id, topic, state FROM "{self._schema}".'
                f'"{table}" WHERE originator_id = %s ORDER BY originator_version'
            )
            with self.recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(sql, (originator,))
                return [
                    (r["notification_id"], r["originator_id"], r["topic"], r["state"])
                    for r in curs.fetchall()
                ]
        sql = (
            f"SELECT rowid, originator_id, topic, state FROM {table} WHERE originator_id = ? "
            "ORDER BY originator_version"
        )
        with self.recorder.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None
            c.execute(sql, (originator.hex,))
            found: list[Row] = c.fetchall()
            return found


def iso_to_datetime(ts: datetime | str) -> datetime:
    """An event time as a datetime (records from stored rows keep the ISO form)."""
    return ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)
