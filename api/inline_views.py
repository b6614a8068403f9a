"""One-view reads fast enough for the event loop: the stored JSON, served without a decode.

`GET /camps/{camp}` and its siblings answer one readiness view. Through the planner that is a
pooled-connection transaction, an orjson decode, two fields added and an encode (about 100 µs
here); with a private connection and the stored document's bytes spliced it is a primary-key
SELECT and a bytes concatenation (about 10 µs), cheap enough to run on the event loop instead of
paying for the trip through the thread pool.

The documents are those `projections.store.ViewStoreMixin.get()` reads (same table, same
query); the answer is byte for byte `orjson.dumps(ReadinessQueries.view(...))`: the stored
document with `position` and `updated_at` appended. Used only for views in a SQLite file (WAL
mode: a reader never waits for the writer); in-memory and PostgreSQL views take the planner's
path.
"""

from __future__ import annotations

import sqlite3
import threading

from projections.projector import from_us

_CURRENT = "SELECT doc, position, ts FROM rp_current WHERE kind = ? AND entity_id = ?"


class InlineViews:
    """Read-only connections (one per thread) to the SQLite file holding the views."""

    def __init__(self, path: str, timeout: float = 1.0) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def for_store(cls, views: object) -> InlineViews | None:
        """Inline reads for a view store in a SQLite file; None for any other store."""
        if getattr(views, "postgres", True):
            return None
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
        row = self._connection().execute(_CURRENT, (kind, entity_id)).fetchone()
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

    def close(self) -> None:
        """Close every connection opened so far."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
