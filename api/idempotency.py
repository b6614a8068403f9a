"""Idempotency keys, kept in the table `rp_idempotency` next to the readiness views.

The table lives in the database of the views (the same SQLite file or PostgreSQL schema as the
events; for `memory:` stores, the private in-memory database of the views), so every server
process sharing a database shares the keys. A key is scoped to its caller (role and partner of
the token). A keyed command carries an `IdempotencyReceipt` (domain.ports.Receipt): the service
looks the key up under the store's writer lock before running the command, and writes the
command's response under the key in the transaction of its events, so a key costs no
transaction of its own and is stored if and only if its command is. A refused command stores
nothing, so only successful responses are replayed. A `pending` claim (`claim()`, a request
still running elsewhere) answers 409. Keys expire after a day.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson

from api.side_tables import SideTable
from domain.ports import Receipt

PENDING = 0
LEASE_SECONDS = 60.0
TTL_SECONDS = 24 * 3600.0
_PURGE_EVERY = 200


@dataclass(frozen=True)
class StoredResponse:
    """What a key holds: the request's fingerprint, and the response once there is one."""

    fingerprint: str
    status: int  # PENDING (0) while the first request runs
    body: bytes
    headers: dict[str, str]


class IdempotencyStore(SideTable):
    """The `rp_idempotency` table in a view store's database (SQLite or PostgreSQL)."""

    def __init__(
        self, datastore: object, *, postgres: bool, in_events_transaction: bool = False
    ) -> None:
        super().__init__(datastore, postgres=postgres, name="rp_idempotency")
        self.in_events_transaction = in_events_transaction  # the events' datastore is this one
        self._claims = 0

    def _create(self, cursor: Any) -> None:
        cursor.execute(
            self._sql(
                "CREATE TABLE IF NOT EXISTS {t} (scope TEXT NOT NULL, key TEXT NOT NULL, "
                f"fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body {self.blob}, "
                f"headers TEXT, created {self.big} NOT NULL, PRIMARY KEY (scope, key))"
            )
        )
        cursor.execute(
            self._sql("CREATE INDEX IF NOT EXISTS rp_idempotency_created ON {t} (created)")
        )

    def lookup(self, scope: str, key: str) -> StoredResponse | None:
        """The stored entry of a key, or None."""
        return self.lookup_many([(scope, key)]).get((scope, key))

    def lookup_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredResponse]:
        """The stored entries of these (scope, key) pairs that have one."""
        pairs = list(dict.fromkeys(keys))
        if not pairs:
            return {}
        statement = self._sql(
            "SELECT scope, key, fingerprint, status, body, headers FROM {t} WHERE (scope, key) "
            f"IN ({', '.join(['(?, ?)'] * len(pairs))})"
        )
        params = [part for pair in pairs for part in pair]
        if self.postgres:  # one autocommit statement: no BEGIN and ROLLBACK round trips
            with self.datastore.get_connection() as conn:
                rows = conn.execute(statement, params, prepare=len(pairs) == 1).fetchall()
        else:
            with self.datastore.transaction(commit=False) as c:
                c.execute(statement, params)
                rows = c.fetchall()
        return {
            (row["scope"], row["key"]): StoredResponse(
                fingerprint=row["fingerprint"],
                status=int(row["status"]),
                body=bytes(row["body"] or b""),
                headers=orjson.loads(row["headers"]) if row["headers"] else {},
            )
            for row in rows
        }

    def claim(self, scope: str, key: str, fingerprint: str) -> bool:
        """Claim a key for a first request; False if another request holds it."""
        now = time.time()
        self._claims += 1
        with self.datastore.transaction(commit=True) as c:
            if self._claims % _PURGE_EVERY == 0:
                c.execute(self._sql("DELETE FROM {t} WHERE created < ?"), (_us(now - TTL_SECONDS),))
            c.execute(
                self._sql(
                    "INSERT INTO {t} (scope, key, fingerprint, status, created) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING RETURNING key"
                ),
                (scope, key, fingerprint, PENDING, _us(now)),
            )
            if c.fetchall():
                return True
            c.execute(  # take over a claim abandoned by a process that died
                self._sql(
                    "UPDATE {t} SET created = ?, fingerprint = ? WHERE scope = ? AND key = ? "
                    "AND status = ? AND created < ? RETURNING key"
                ),
                (_us(now), fingerprint, scope, key, PENDING, _us(now - LEASE_SECONDS)),
            )
            return bool(c.fetchall())

    def receipt(
        self, scope: str, key: str, fingerprint: str, render: Callable[[Any], StoredResponse]
    ) -> IdempotencyReceipt:
        """The receipt a keyed command carries; `render` makes its response from its result."""
        return IdempotencyReceipt(self, scope, key, fingerprint, render)

    def insert(self, cursor: Any, scope: str, key: str, stored: StoredResponse) -> None:
        """Store a response under a key through `cursor` (the events' transaction), or in a
        transaction of its own (cursor None, or a store whose events are elsewhere)."""
        if cursor is not None and self.in_events_transaction:
            self._insert(cursor, scope, key, stored)
            return
        with self.datastore.transaction(commit=True) as own:
            self._insert(own, scope, key, stored)

    def _insert(self, cursor: Any, scope: str, key: str, stored: StoredResponse) -> None:
        now = time.time()
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            cursor.execute(
                self._sql("DELETE FROM {t} WHERE created < ?"), (_us(now - TTL_SECONDS),)
            )
        cursor.execute(
            self._sql(
                "INSERT INTO {t} (scope, key, fingerprint, status, body, headers, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            (
                scope,
                key,
                stored.fingerprint,
                stored.status,
                stored.body,
                orjson.dumps(stored.headers).decode(),
                _us(now),
            ),
        )


@dataclass
class IdempotencyReceipt:
    """A keyed command's record (domain.ports.Receipt): its response under its key."""

    store: IdempotencyStore
    scope: str
    name: str
    fingerprint: str
    render: Callable[[Any], StoredResponse]
    recorded: StoredResponse | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The caller's scope and key."""
        return (self.scope, self.name)

    def earlier(self, group: Sequence[Receipt]) -> dict[tuple[str, str], StoredResponse]:
        """What is stored under the keys of a group's receipts (first responses, or running
        requests' claims), by scope and key: one statement."""
        return self.store.lookup_many([_pair(receipt.key) for receipt in group])

    def write(self, cursor: object, result: object) -> None:
        """Store the command's response under the key, in the events' transaction."""
        stored = self.render(result)
        self.store.insert(cursor, self.scope, self.name, stored)
        self.recorded = stored


def _us(seconds: float) -> int:
    return int(seconds * 1_000_000)


def _pair(key: object) -> tuple[str, str]:
    scope, name = cast(tuple[str, str], key)
    return scope, name
