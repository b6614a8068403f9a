"""Dashboard sessions: a random id in the cookie, kept server-side in `rp_sessions`.

The cookie holds only a random session id (never the API token); the table keeps the id's
SHA-256, the SHA-256 of the token the person signed in with, the session's CSRF token and its
expiry. Every request looks the token up again in the registry, so a token revoked or expired
(in the token file, reloaded on SIGHUP) ends its sessions at once. Signing out deletes the row.
The table lives next to the views (shared by every server process on one database).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

from api.side_tables import SideTable

SESSION_TTL_SECONDS: Final = 8 * 3600
_PURGE_EVERY: Final = 100


@dataclass(frozen=True)
class Session:
    """A signed-in session: the token's digest and the CSRF token its forms carry."""

    token_digest: bytes
    csrf: str


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore(SideTable):
    """The `rp_sessions` table in a view store's database (SQLite or PostgreSQL)."""

    def __init__(self, datastore: object, *, postgres: bool) -> None:
        super().__init__(datastore, postgres=postgres, name="rp_sessions")
        self._created = 0

    def _create(self, cursor: Any) -> None:
        cursor.execute(
            self._sql(
                "CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, "
                f"token {self.blob} NOT NULL, csrf TEXT NOT NULL, expires {self.big} NOT NULL)"
            )
        )

    def create(self, token_digest: bytes, ttl: float = SESSION_TTL_SECONDS) -> tuple[str, str]:
        """Start a session; (session id for the cookie, CSRF token for its forms)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        self._created += 1
        with self.datastore.transaction(commit=True) as c:
            if self._created % _PURGE_EVERY == 0:
                c.execute(self._sql("DELETE FROM {t} WHERE expires < ?"), (int(now),))
            c.execute(
                self._sql("INSERT INTO {t} (id, token, csrf, expires) VALUES (?, ?, ?, ?)"),
                (_key(session_id), token_digest, csrf, int(now + ttl)),
            )
        return session_id, csrf

    def get(self, session_id: str) -> Session | None:
        """The live session of this id, or None (unknown, signed out or expired)."""
        if not session_id or len(session_id) > 100:
            return None
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql("SELECT token, csrf, expires FROM {t} WHERE id = ?"), (_key(session_id),)
            )
            row = c.fetchone()
        if row is None or row["expires"] < time.time():
            return None
        return Session(bytes(row["token"]), row["csrf"])

    def revoke(self, session_id: str) -> None:
        """End a session (sign out)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._sql("DELETE FROM {t} WHERE id = ?"), (_key(session_id),))
