"""Headquarters' field-command ledger (domain.ports.FieldLedger): the table `field_commands`
beside the events (the same SQLite file or PostgreSQL schema), written in their transaction.

One row per field command received, keyed by its command id, so a second record of an id fails
the events' transaction (IntegrityError), and a retry is answered from the row. A store whose
field commands were recorded as `FieldCommand.Received` events (before this table) gets its
rows from those events when the table is made.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from eventsourcing.persistence import ApplicationRecorder, PersistenceError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.field_command import FieldCommand, FieldRecord, MemoryFieldLedger

_COLUMNS = "command_id, field_id, outcome, hq_position, taken_at, rule, refused_field, message"
_RECEIVED = f"{FieldCommand.Received.__module__}:{FieldCommand.Received.__qualname__}"
_PAGE = 1000  # legacy records read per query; ids per lookup (SQLite's parameter limit)


class SQLFieldLedger:
    """The ledger as a table in the events' SQLite or PostgreSQL database."""

    def __init__(self, recorder: ApplicationRecorder, *, postgres: bool) -> None:
        self.recorder = recorder
        self.datastore: Any = getattr(recorder, "datastore")  # noqa: B009 (both recorders have one)
        self.postgres = postgres
        self.table = "field_commands"
        if postgres:
            self.table = f'"{self.datastore.schema or "public"}".field_commands'
        self._ready = False
        # The library's database functions commit the events on their own (adapters/postgres.py)
        self.in_events_transaction = not getattr(self.datastore, "enable_db_functions", False)

    def known(self, command_ids: Sequence[str]) -> Mapping[str, FieldRecord]:
        """The rows of these command ids that have one."""
        self.ready()
        ids = list(dict.fromkeys(command_ids))
        found: dict[str, FieldRecord] = {}
        if not ids:
            return found
        with self.datastore.transaction(commit=False) as c:
            if self.postgres:
                c.execute(f"SELECT {_COLUMNS} FROM {self.table} WHERE command_id = ANY(%s)", (ids,))
                found.update((row["command_id"], _record(row)) for row in c.fetchall())
                return found
            for start in range(0, len(ids), _PAGE):
                chunk = ids[start : start + _PAGE]
                c.execute(
                    f"SELECT {_COLUMNS} FROM {self.table} "
                    f"WHERE command_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                found.update((row["command_id"], _record(row)) for row in c.fetchall())
        return found

    def write(self, cursor: object, records: Sequence[FieldRecord]) -> None:
        """Insert the rows through the events' cursor (None: a transaction of their own)."""
        if not records:
            return
        if cursor is None:
            with self.datastore.transaction(commit=True) as own:
                self._insert(own, records)
        else:
            self._insert(cursor, records)

    def _insert(self, cursor: Any, records: Sequence[FieldRecord]) -> None:
        if self.postgres and not cursor.connection.pgconn.pipeline_status:  # COPY: no pipeline
            with cursor.copy(f"COPY {self.table} ({_COLUMNS}) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(record)
            return
        mark = "%s" if self.postgres else "?"
        cursor.executemany(
            f"INSERT INTO {self.table} ({_COLUMNS}) VALUES ({', '.join([mark] * 8)})", records
        )

    def ready(self, attempts: int = 5) -> None:
        """Make the table if it is missing, with the rows of the log's older records (retried:
        headquarters' processes starting together race)."""
        for attempt in range(1, attempts + 1):
            try:
                self._make()
                return
            except PersistenceError:
                if attempt == attempts:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * attempt)

    def _make(self) -> None:
        if self._ready:
            return
        if not self._exists():
            legacy = self._legacy_records()
            big = "BIGINT" if self.postgres else "INTEGER"
            with self.datastore.transaction(commit=True) as c:
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (command_id TEXT PRIMARY KEY, "
                    f"field_id TEXT NOT NULL, outcome TEXT NOT NULL, hq_position {big} NOT NULL, "
                    "taken_at TEXT NOT NULL, rule TEXT, refused_field TEXT, message TEXT)"
                )
                if legacy:
                    mark = "%s" if self.postgres else "?"
                    c.executemany(
                        f"INSERT INTO {self.table} ({_COLUMNS}) VALUES "
                        f"({', '.join([mark] * 8)}) ON CONFLICT (command_id) DO NOTHING",
                        legacy,
                    )
        self._ready = True

    def _exists(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            if self.postgres:
                c.execute("SELECT to_regclass(%s) AS found", (self.table,))
                return c.fetchone()["found"] is not None
            c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("field_commands",),
            )
            return c.fetchone() is not None

    def _legacy_records(self) -> list[FieldRecord]:
        records: list[FieldRecord] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=_PAGE, topics=(_RECEIVED,))
            for n in page:
                state = orjson.loads(n.state)
                records.append(
                    FieldRecord(
                        state["slug"],
                        state["field_id"],
                        state["outcome"],
                        state["hq_position"],
                        state["taken_at"],
                        state["rule"],
                        state["refused_field"],
                        state["message"],
                    )
                )
            if len(page) < _PAGE:
                return records
            start = page[-1].id + 1


def field_ledger(recorder: ApplicationRecorder) -> SQLFieldLedger | MemoryFieldLedger:
    """The ledger beside this recorder's events (in memory if they have no SQL database)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return SQLFieldLedger(recorder, postgres=True)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLFieldLedger(recorder, postgres=False)
    return MemoryFieldLedger()


def _record(row: Any) -> FieldRecord:
    return FieldRecord(*(row[name] for name in _COLUMNS.split(", ")))
