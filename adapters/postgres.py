"""Storing many events at once on PostgreSQL: COPY instead of one INSERT of an array.

`PlannerPostgresRecorder` is the library's PostgreSQL application recorder; a batch of at least
`copy_from` events (a replay's batch, a sync's ingest, a large group commit) is written with
`COPY ... FROM STDIN (FORMAT BINARY)` in the same transaction shape as the library's insert: the
table locked in EXCLUSIVE mode (so notification ids follow commit order), the channel notified,
the rows inserted in the given order, their notification ids (the sequence's next values, given
in row order) returned. The rows are those the library writes, byte for byte
(tests/integration/test_storage_paths.py). Both paths take an `after_insert` callback (the
API's idempotency records) run in the events' transaction, before its commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from domain.ports import AfterInsert

COPY_FROM = 16  # events; smaller batches take the library's INSERT (one round trip less)


class PlannerPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, copying large batches in with COPY."""

    copy_from = COPY_FROM

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{0}.{1}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        self.copy_events_statement = SQL(
            "COPY {0} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
        ).format(table)
        self.ids_after_statement = SQL(
            "SELECT notification_id FROM {0} WHERE notification_id > %s ORDER BY notification_id"
        ).format(table)
        self.copy_types = [self.datastore.originator_id_type, "int8", "text", "bytea"]
        self.stored_ids_statement = SQL(
            "SELECT DISTINCT originator_id FROM {0} WHERE originator_id = ANY(%s)"
        ).format(table)

    def stored_originators(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these ids have stored events, in one query."""
        text_ids = self.copy_types[0] != "uuid"
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.stored_ids_statement, ([str(i) if text_ids else i for i in ids],))
            return {UUID(str(row["originator_id"])) for row in curs.fetchall()}

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events (COPY for a large batch); return their notification ids.

        An `after_insert` keyword argument is called in the same transaction, before the
        commit, with the cursor and the ids."""
        after_insert: AfterInsert | None = kwargs.get("after_insert")
        if self.datastore.enable_db_functions:
            ids = super().insert_events(stored_events, **kwargs)
            if after_insert is not None:  # the library's function commits on its own
                with self.datastore.transaction(commit=True) as curs:
                    after_insert(curs, ids or [])
            return ids
        if len(stored_events) >= self.copy_from:
            return self._copy_events(stored_events, after_insert)
        if after_insert is None:
            return super().insert_events(stored_events, **kwargs)
        return self._insert_then(stored_events, after_insert)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_then(
        self, stored_events: Sequence[StoredEvent], after_insert: AfterInsert
    ) -> Sequence[int]:
        """The library's insert (pipelined), then `after_insert`, in one transaction: unlike
        the library's `insert_events`, an error raised after the insert rolls it back."""
        with self.datastore.get_connection() as conn, conn.pipeline() as pipeline:
            with conn.transaction(), conn.cursor() as curs:
                self._insert_stored_events(curs, stored_events)
                pipeline.sync()
                notification_ids = self._fetch_ids_after_insert_events(curs, stored_events)
                after_insert(curs, notification_ids or [])
            return notification_ids or []

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _copy_events(
        self, stored_events: Sequence[StoredEvent], after_insert: AfterInsert | None = None
    ) -> Sequence[int]:
        text_ids = self.copy_types[0] != "uuid"
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._lock_table(curs)
            self._notify_channel(curs)
            curs.execute(self.max_notification_id_statement, prepare=True)
            row = curs.fetchone()
            before = (row["max"] if row else None) or 0
            with curs.copy(self.copy_events_statement) as copy:
                copy.set_types(self.copy_types)
                for s in stored_events:
                    originator_id = str(s.originator_id) if text_ids else s.originator_id
                    copy.write_row((originator_id, s.originator_version, s.topic, s.state))
            curs.execute(self.ids_after_statement, (before,), prepare=True)
            notification_ids = [r["notification_id"] for r in curs.fetchall()]
            if len(notification_ids) != len(stored_events):  # pragma: no cover - table locked
                raise OperationalError("COPY: the new rows' notification ids could not be read")
            if after_insert is not None:
                after_insert(curs, notification_ids)
        return notification_ids
