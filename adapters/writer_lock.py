"""One writer at a time per store, across processes: the lock a group commit runs under.

Several API processes on one store would otherwise load the same aggregates, validate their
groups side by side and collide when storing (one group fails and runs again). Under this
lock a group loads, validates and stores while no other planner process writes: there are no
collisions between planner processes, and a right revoked in one process is seen by every
command another process runs after it. PostgreSQL: a transaction-scoped advisory lock keyed by
the events table (released by the commit, or by the server if the process dies). SQLite: an
advisory file lock next to the database file (released by the kernel if the process dies).
The events table's own lock still orders the inserts; this one only widens the critical section.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder


def writer_lock(recorder: ApplicationRecorder) -> AbstractContextManager[None]:
    """The cross-process writer lock of the store behind `recorder` (none in memory)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_lock(recorder)
    if isinstance(recorder, SQLiteApplicationRecorder):
        pool = recorder.datastore.pool
        db_name = pool.db_name
        if not pool.is_sqlite_memory_mode and db_name:
            return _file_lock(f"{db_name}.writer-lock")
    return contextlib.nullcontext()


@contextlib.contextmanager
def _postgres_lock(recorder: PostgresApplicationRecorder) -> Iterator[None]:
    datastore = recorder.datastore
    name = f"planner-writer:{datastore.schema}.{recorder.events_table_name}"
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with datastore.get_connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,), prepare=True)
        yield


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
