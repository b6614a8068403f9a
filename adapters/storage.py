"""Storing the planner's events: the library's mapper, event store and SQLite recorder, with
less work per event; `PlannerStorage` plugs them into the service (planner/wiring.py).

The records, notification ids and recordings are those the library's own Mapper, EventStore and
SQLiteApplicationRecorder make, byte for byte (tests/integration/test_storage_paths.py compares
them for every event type); only how they are put together differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    Cipher,
    Compressor,
    EventStore,
    InfrastructureFactory,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
    Transcoder,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import get_topic

from adapters.field_ledger import field_ledger
from adapters.postgres import PlannerPostgresRecorder
from adapters.transcoder import OrjsonTranscoder
from adapters.writer_lock import writer_lock
from domain.ports import AfterInsert, FieldLedger

_new = object.__new__
_set = object.__setattr__


class PlannerMapper(Mapper[UUID]):
    """The library's Mapper: each class's topic and version looked up once, one dict copy."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder, compressor=compressor, cipher=cipher)
        self._classes: dict[type, tuple[str, int]] = {}

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Convert a domain event to a StoredEvent, as the library's Mapper does."""
        originator_id, originator_version, topic, data = self.to_record(domain_event)
        stored = _new(StoredEvent)
        _set(
            stored,
            "__dict__",
            {
                "originator_id": originator_id,
                "originator_version": originator_version,
                "topic": topic,
                "state": data,
            },
        )
        return stored

    def to_record(self, domain_event: DomainEventProtocol[UUID]) -> tuple[UUID, int, str, bytes]:
        """A StoredEvent's fields (originator id and version, topic, state) as a tuple."""
        cls = type(domain_event)
        known = self._classes.get(cls)
        if known is None:
            known = self._classes[cls] = (get_topic(cls), getattr(cls, "class_version", 1))
        topic, class_version = known
        state = domain_event.__dict__.copy()
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        transcoder = self.transcoder
        if type(transcoder) is OrjsonTranscoder:
            data = transcoder.encode_owned(state)
        else:
            data = transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return originator_id, originator_version, topic, data


class PlannerEventStore(EventStore[UUID]):
    """The library's EventStore; recordings built without dataclass __init__, or not at all."""

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: object
    ) -> list[Recording[UUID]]:
        """Store domain events; return their recordings, as the library's EventStore does."""
        stored_events, notification_ids = self._insert(domain_events, **kwargs)
        if not notification_ids:
            return []
        return [
            _recording(event, stored, notification_id)
            for event, stored, notification_id in zip(
                domain_events, stored_events, notification_ids, strict=True
            )
        ]

    def put_for_position(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: object
    ) -> int | None:
        """Store domain events as `put` does; return the last one's notification id only."""
        recorder, mapper = self.recorder, self.mapper
        notification_ids: Sequence[int] | None
        if (
            not kwargs
            and len(domain_events) > 1
            and type(recorder) is PlannerSQLiteRecorder
            and type(mapper) is PlannerMapper
        ):
            # the same rows, without a StoredEvent per event
            notification_ids = recorder.insert_records(list(map(mapper.to_record, domain_events)))
        else:
            _, notification_ids = self._insert(domain_events, **kwargs)
        return notification_ids[-1] if notification_ids else None

    def put_for_positions(
        self,
        domain_events: Sequence[DomainEventProtocol[UUID]],
        after_insert: AfterInsert | None = None,
    ) -> Sequence[int]:
        """Store domain events as `put` does; return their notification ids. The planner's
        recorders call `after_insert` in the events' transaction; others after it."""
        if after_insert is None:
            _, notification_ids = self._insert(domain_events)
        elif isinstance(self.recorder, (PlannerSQLiteRecorder, PlannerPostgresRecorder)):
            _, notification_ids = self._insert(domain_events, after_insert=after_insert)
        else:
            _, notification_ids = self._insert(domain_events)
            after_insert(None, notification_ids or [])
        return notification_ids or []

    def _insert(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: object
    ) -> tuple[list[StoredEvent], Sequence[int] | None]:
        stored_events = list(map(self.mapper.to_stored_event, domain_events))
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        if notification_ids:
            assert len(notification_ids) == len(stored_events)
        return stored_events, notification_ids


def _recording(
    event: DomainEventProtocol[UUID], stored: StoredEvent, notification_id: int
) -> Recording[UUID]:
    notification = _new(Notification)
    _set(notification, "__dict__", {**stored.__dict__, "id": notification_id})
    recording: Recording[UUID] = _new(Recording)
    _set(recording, "__dict__", {"domain_event": event, "notification": notification})
    return recording


ID_CHUNK = 500  # ids per existence query (SQLite allows 32,766 parameters)
_HEX_CACHE_SIZE = 100_000


class PlannerSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, inserting a batch with one executemany.

    `after_insert` (a keyword argument) is called in the same transaction with the cursor and
    the ids. The notification ids are the new rows' rowids, as the library's. Within the write
    transaction SQLite gives each new row the largest rowid plus one, so the rowids follow the
    first row's; that is checked against the last row's and the largest rowid, and if it does not
    hold (only near the largest possible rowid) each row's rowid is looked up.
    """

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self._hexes: dict[int, str] = {}  # originator ids' hex forms, by `id.int`

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = self._insert_rows(c, stored_events)
        after_insert: AfterInsert | None = kwargs.get("after_insert")
        if after_insert is not None:
            after_insert(c, notification_ids)
        return notification_ids

    def insert_records(self, records: Sequence[tuple[UUID, int, str, bytes]]) -> list[int]:
        """Insert two or more events given as (originator id, version, topic, state) records,
        in one transaction, as `insert_events` does StoredEvents; return their ids."""
        hexes = self._hexes
        rows = []
        for originator_id, originator_version, topic, state in records:
            key = originator_id.int
            hex_id = hexes.get(key)
            if hex_id is None:
                if len(hexes) >= _HEX_CACHE_SIZE:
                    hexes.clear()
                hex_id = hexes[key] = originator_id.hex
            rows.append((hex_id, originator_version, topic, state))
        with self.datastore.transaction(commit=True) as c:
            return self._insert_many(c, rows)

    def _insert_rows(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]) -> list[int]:
        if len(stored_events) < 2:
            return list(super()._insert_events(c, stored_events) or [])
        rows = [
            (
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for s in stored_events
        ]
        return self._insert_many(c, rows)

    def _insert_many(self, c: SQLiteCursor, rows: list[tuple[str, int, str, bytes]]) -> list[int]:
        c.execute(self.insert_events_statement, rows[0])
        first = c.lastrowid
        c.executemany(self.insert_events_statement, rows[1:])
        c.execute(f"SELECT last_insert_rowid(), MAX(rowid) FROM {self.events_table_name}")
        last, largest = c.fetchone()
        if last == largest == first + len(rows) - 1:
            return list(range(first, last + 1))
        return [self._rowid(c, row[0], row[1]) for row in rows]

    def stored_originators(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these ids have stored events: one query per 500 ids, not one per id."""
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = [i.hex for i in ids[start : start + ID_CHUNK]]
                c.execute(
                    f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found

    def _rowid(self, c: SQLiteCursor, originator_id: str, originator_version: int) -> int:
        c.execute(
            f"SELECT rowid FROM {self.events_table_name} "
            "WHERE originator_id=? AND originator_version=?",
            (originator_id, originator_version),
        )
        rowid: int = c.fetchone()[0]
        return rowid


class PlannerStorage:
    """The speed-ups above as the service's storage (domain.ports.StorageAdapters).

    The bootstrap passes it to PlannerService; without it the service stores through the
    library's own parts, which write the same records.
    """

    def transcoder(self) -> Transcoder:
        """Serialize events with orjson, keeping the library's type markers."""
        return OrjsonTranscoder()

    def mapper(self, factory: InfrastructureFactory, transcoder: Transcoder) -> Mapper[UUID]:
        """The planner's mapper (same records as the library's), unless MAPPER_TOPIC names one."""
        if factory.env.get(factory.MAPPER_TOPIC):
            return factory.mapper(transcoder=transcoder)
        return factory.mapper(transcoder=transcoder, mapper_class=PlannerMapper)

    def recorder(self, recorder: ApplicationRecorder) -> ApplicationRecorder:
        """The configured recorder; the library's SQLite and PostgreSQL ones become the
        planner's (same records, same ids)."""
        if type(recorder) is SQLiteApplicationRecorder:
            return PlannerSQLiteRecorder(recorder.datastore, recorder.events_table_name)
        if type(recorder) is PostgresApplicationRecorder:
            return PlannerPostgresRecorder(recorder.datastore, recorder.events_table_name)
        return recorder

    def event_store(self, mapper: Mapper[UUID], recorder: ApplicationRecorder) -> EventStore[UUID]:
        """The planner's event store (same records and recordings as the library's)."""
        return PlannerEventStore(mapper=mapper, recorder=recorder)

    def writer_lock(self, recorder: ApplicationRecorder) -> AbstractContextManager[None]:
        """The store's cross-process writer lock (adapters/writer_lock.py)."""
        return writer_lock(recorder)

    def field_ledger(self, recorder: ApplicationRecorder) -> FieldLedger:
        """Headquarters' field-command ledger beside the events (adapters/field_ledger.py)."""
        return field_ledger(recorder)


PLANNER_STORAGE = PlannerStorage()
