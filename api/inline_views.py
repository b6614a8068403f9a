"""One-view reads with the least work: the stored JSON, served without a decode.

`GET /camps/{camp}` and its siblings answer one readiness view. Through the planner that is a
pooled-connection transaction, an orjson decode, two fields added and an encode (about 100 µs
here); with a private connection and the stored document's bytes spliced it is a primary-key
SELECT and a bytes concatenation (about 10 µs on SQLite), cheap enough to run on the event loop
instead of paying for the trip through the thread pool.

The documents are those `projections.store.ViewStoreMixin.get()` reads (same table, same
query); the answer is byte for byte `orjson.dumps(ReadinessQueries.view(...))`: the stored
document with `position` and `updated_at` appended. `InlineViews`: views in a SQLite file (WAL
mode: a reader never waits for the writer), read on the event loop. `PostgresInlineViews`: views
in PostgreSQL (the primary's or a streaming replica's), read in the thread pool over a private
autocommit connection (a few, shared by the threads): one round trip (a prepared SELECT) instead
of the planner pool's checkout, BEGIN, SELECT and ROLLBACK. In-memory views take the planner's path.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from typing import Any

import psycopg

from projections.projector import from_us

_CURRENT = "SELECT doc, position, ts FROM rp_current WHERE kind = ? AND entity_id = ?"


class InlineViews:
    """Read-only connections (one per thread) to the SQLite file holding the views."""

    def __init__(self, path: str, timeout: float = 1.0) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._connections: list[Any] = []  # sqlite3 or psycopg connections
        self._lock = threading.Lock()

    on_event_loop = True

    @classmethod
    def for_store(cls, views: Any) -> InlineViews | PostgresInlineViews | None:
        """Inline reads for a view store in a SQLite file or PostgreSQL; None for in-memory."""
        if getattr(views, "postgres", False):
            return PostgresInlineViews.for_store(views)
        pool = getattr(getattr(views, "datastore", None), "pool", None)
        path = getattr(pool, "db_name", None)
        if not isinstance(path, str) or getattr(pool, "is_sqlite_memory_mode", True):
            return None
        return cls(path)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, kind: str, entity_id: str) -> bytes | None:
        """The JSON of one current view, or None (as-of views take the planner's path)."""
        return _spliced(self._connection().execute(_CURRENT, (kind, entity_id)).fetchone())

    def close(self) -> None:
        """Close every connection opened so far."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


class PostgresInlineViews(InlineViews):
    """At most `size` autocommit connections to the PostgreSQL database of the views, shared
    by the thread pool's threads (a thread per connection would open one per pool thread)."""

    on_event_loop = False  # a network round trip: read in the thread pool
    size = 4

    def __init__(self, conninfo: str, kwargs: dict[str, Any], prefix: str) -> None:
        super().__init__("")
        self.conninfo = conninfo
        self.kwargs = kwargs
        self.statement = _CURRENT.replace("rp_current", f"{prefix}rp_current").replace("?", "%s")
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(self.size)

    @classmethod
    def for_store(cls, views: Any) -> PostgresInlineViews | None:  # type: ignore[override]
        """Inline reads of a PostgreSQL view store (its datastore's connection settings)."""
        pool = getattr(getattr(views, "datastore", None), "pool", None)
        if pool is None or getattr(pool, "get_password_func", None) is not None:
            return None
        kwargs = {k: v for k, v in dict(pool.kwargs or {}).items() if k != "row_factory"}
        schema = getattr(views.datastore, "schema", "") or "public"
        return cls(str(pool.conninfo or ""), kwargs, f'"{schema}".')

    def get(self, kind: str, entity_id: str) -> bytes | None:
        """The JSON of one current view, or None."""
        with self._slots:  # at most `size` reads at once: at most `size` connections
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.conninfo, autocommit=True, **self.kwargs)
                with self._lock:
                    self._connections.append(conn)
            try:
                row = conn.execute(self.statement, (kind, entity_id), prepare=True).fetchone()
            except psycopg.Error:  # a dropped connection, say: the next read opens another
                with self._lock:
                    self._connections.remove(conn)
                conn.close()
                raise
            self._idle.put(conn)
        return _spliced(row)

    def close(self) -> None:
        """Close every connection opened so far."""
        super().close()
        self._idle = queue.SimpleQueue()


def _spliced(row: Any) -> bytes | None:
    if row is None:
        return None
    doc, position, ts = bytes(row[0]), int(row[1]), int(row[2])
    separator = b"," if doc != b"{}" else b""
    return b'%s%s"position":%d,"updated_at":"%s"}' % (
        doc[:-1],
        separator,
        position,
        from_us(ts).isoformat().encode(),
    )
