"""A field instance's own tables in its SQLite store: where it syncs from, and its outbox.

`field_meta` (one row): the instance's id, headquarters' URL and token, its camps, the
headquarters position it has pulled to, `boundary` (the local position of the last event copied
from headquarters: events after it are the field's own, not yet confirmed) and the time of the
last sync. `field_outbox`: every command accepted locally, in the order taken, with its status —
waiting (not yet answered by headquarters), applied, conflict, resolved, or refused (its id was
another instance's).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from adapters.attached_rows import Statement

WAITING: Final = "waiting"
STATUSES: Final = ("waiting", "applied", "conflict", "resolved", "refused")

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS field_meta (one INTEGER PRIMARY KEY CHECK (one = 1), "
    "field_id TEXT NOT NULL, hq_url TEXT NOT NULL, token TEXT NOT NULL, camps TEXT NOT NULL, "
    "hq_position INTEGER NOT NULL, boundary INTEGER NOT NULL, needs_rebase INTEGER NOT NULL, "
    "last_sync_at REAL, last_error TEXT, scope TEXT)",
    "CREATE TABLE IF NOT EXISTS field_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "command_id TEXT NOT NULL UNIQUE, command TEXT NOT NULL, args TEXT NOT NULL, "
    "hq_position INTEGER NOT NULL, taken_at TEXT NOT NULL, taken_by TEXT NOT NULL, "
    "status TEXT NOT NULL, rule TEXT, field TEXT, message TEXT, local_note TEXT, "
    "resolution TEXT)",
    "CREATE INDEX IF NOT EXISTS field_outbox_status ON field_outbox (status, seq)",
)
_INSERT_OUTBOX: Final = (
    "INSERT INTO field_outbox (command_id, command, args, hq_position, taken_at, taken_by, "
    "status) VALUES (?, ?, ?, ?, ?, ?, 'waiting')"
)


@dataclass(frozen=True)
class FieldMeta:
    """Where this field instance syncs from and how far it got."""

    field_id: str
    hq_url: str
    token: str
    camps: tuple[str, ...]
    hq_position: int
    boundary: int
    needs_rebase: bool
    last_sync_at: float | None
    last_error: str | None
    scope: str | None


@dataclass(frozen=True)
class OutboxEntry:
    """One command taken in the field, and what became of it."""

    seq: int
    command_id: str
    command: str
    args: dict[str, Any]
    hq_position: int
    taken_at: str
    taken_by: str
    status: str
    rule: str | None
    field: str | None
    message: str | None
    local_note: str | None
    resolution: str | None


def outbox_row(
    command_id: str, command: str, args: Any, hq_position: int, taken_at: str, taken_by: str
) -> Statement:
    """The statement appending one command to the outbox (run with its events)."""
    return (
        _INSERT_OUTBOX,
        (command_id, command, _dumps(args), hq_position, taken_at, taken_by),
    )


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class FieldStore:
    """The field tables, on the datastore of the planner's SQLite events (same file)."""

    def __init__(self, datastore: Any, events_table: str = "stored_events") -> None:
        self.datastore = datastore
        self.events_table = events_table

    @classmethod
    def of(cls, service: Any) -> FieldStore:
        """The field tables beside this service's events."""
        recorder = service.recorder
        return cls(recorder.datastore, recorder.events_table_name)

    def exists(self) -> bool:
        """True if this store was made by `planner field init`."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE name = 'field_meta'")
            if c.fetchone() is None:
                return False
            c.execute("SELECT COUNT(*) FROM field_meta")
            return bool(c.fetchone()[0])

    def create(self, field_id: str, hq_url: str, token: str, camps: Sequence[str]) -> None:
        """Create the tables and the instance's row."""
        with self.datastore.transaction(commit=True) as c:
            for statement in _TABLES:
                c.execute(statement)
            c.execute(
                "INSERT INTO field_meta (one, field_id, hq_url, token, camps, hq_position, "
                "boundary, needs_rebase) VALUES (1, ?, ?, ?, ?, 0, 0, 0)",
                (field_id, hq_url, token, _dumps(list(camps))),
            )

    def meta(self) -> FieldMeta:
        """The instance's row."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT field_id, hq_url, token, camps, hq_position, boundary, needs_rebase, "
                "last_sync_at, last_error, scope FROM field_meta"
            )
            row = c.fetchone()
        return FieldMeta(
            row[0],
            row[1],
            row[2],
            tuple(orjson.loads(row[3])),
            row[4],
            row[5],
            bool(row[6]),
            row[7],
            row[8],
            row[9],
        )

    def note_sync(self, error: str | None) -> None:
        """Record a finished sync (its time) or a failed one (the error, time kept)."""
        with self.datastore.transaction(commit=True) as c:
            if error is None:
                c.execute(
                    "UPDATE field_meta SET last_sync_at = ?, last_error = NULL", (time.time(),)
                )
            else:
                c.execute("UPDATE field_meta SET last_error = ?", (error,))

    # -- the outbox ------------------------------------------------------------------------------

    def entries(self, statuses: Iterable[str] = STATUSES, limit: int = -1) -> list[OutboxEntry]:
        """Outbox entries with these statuses, in the order they were taken."""
        wanted = tuple(statuses)
        marks = ", ".join("?" for _ in wanted)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT seq, command_id, command, args, hq_position, taken_at, taken_by, status, "
                f"rule, field, message, local_note, resolution FROM field_outbox "
                f"WHERE status IN ({marks}) ORDER BY seq LIMIT ?",
                (*wanted, limit),
            )
            rows = c.fetchall()
        return [OutboxEntry(r[0], r[1], r[2], orjson.loads(r[3]), *tuple(r)[4:]) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many outbox entries have each status."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT status, COUNT(*) FROM field_outbox GROUP BY status")
            found = {row[0]: row[1] for row in c.fetchall()}
        return {status: found.get(status, 0) for status in STATUSES}

    def answer(
        self, outcomes: Iterable[tuple[str, str, str | None, str | None, str | None]]
    ) -> None:
        """Record headquarters' answers: (command id, status, rule, field, message)."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                "UPDATE field_outbox SET status = ?, rule = ?, field = ?, message = ? "
                "WHERE command_id = ? AND status = 'waiting'",
                [
                    (status, rule, field, message, cid)
                    for cid, status, rule, field, message in outcomes
                ],
            )

    def resolve(self, command_id: str, resolution: str) -> None:
        """Mark a conflict resolved at headquarters."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE field_outbox SET status = 'resolved', resolution = ? "
                "WHERE command_id = ? AND status IN ('conflict', 'waiting')",
                (resolution, command_id),
            )

    def note_local(self, notes: dict[str, str | None]) -> None:
        """Record how each waiting command fared when re-applied on headquarters' state."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                "UPDATE field_outbox SET local_note = ? WHERE command_id = ?",
                [(note, cid) for cid, note in notes.items()],
            )

    # -- headquarters' events --------------------------------------------------------------------

    def take_events(self, rows: Sequence[tuple[str, int, str, bytes]], hq_position: int) -> None:
        """Store a page of headquarters' events after the last one copied, in one transaction.

        The field's own (unconfirmed) events after the boundary are dropped first: they are
        applied again on top (the rebase), which `needs_rebase` records until it is done.
        """
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT boundary FROM field_meta")
            boundary = c.fetchone()[0]
            c.execute(f"SELECT COUNT(*) FROM {self.events_table} WHERE rowid > ?", (boundary,))
            if c.fetchone()[0]:
                c.execute(f"DELETE FROM {self.events_table} WHERE rowid > ?", (boundary,))
                c.execute("UPDATE field_meta SET needs_rebase = 1")
            c.executemany(
                f"INSERT INTO {self.events_table} "
                "(originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                rows,
            )
            c.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {self.events_table}")
            last = c.fetchone()[0]
            c.execute("UPDATE field_meta SET hq_position = ?, boundary = ?", (hq_position, last))

    def restart(self, scope: str | None) -> None:
        """Forget headquarters' events (the outbox stays): the next pull starts from the
        first event, for this scope; the waiting commands are applied again after it."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.events_table}")
            c.execute(
                "UPDATE field_meta SET hq_position = 0, boundary = 0, needs_rebase = 1, scope = ?",
                (scope,),
            )

    def local_events(self) -> int:
        """How many events after the boundary (the field's own, unconfirmed) are stored."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT boundary FROM field_meta")
            boundary = c.fetchone()[0]
            c.execute(f"SELECT COUNT(*) FROM {self.events_table} WHERE rowid > ?", (boundary,))
            count: int = c.fetchone()[0]
        return count

    def rebased(self) -> None:
        """The waiting commands were applied again on top of headquarters' events."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("UPDATE field_meta SET needs_rebase = 0")
