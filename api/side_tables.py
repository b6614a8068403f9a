"""A table the API keeps next to the readiness views (sessions, idempotency keys).

The table lives in the views' database (the same SQLite file or PostgreSQL schema), so every
server process on one database shares it. Subclasses say how the table is created and use
`_sql` for statements written with `{t}` for the table and `?` for parameters.
"""

from __future__ import annotations

import random
import time
from typing import Any

from eventsourcing.persistence import PersistenceError


class SideTable:
    """One API-side table in a view store's database (SQLite or PostgreSQL)."""

    def __init__(self, datastore: Any, *, postgres: bool, name: str) -> None:
        self.datastore = datastore
        self.postgres = postgres
        self._table = name
        if postgres:
            schema = getattr(datastore, "schema", "") or "public"
            self._table = f'"{schema}".{name}'
        self.blob = "BYTEA" if postgres else "BLOB"
        self.big = "BIGINT" if postgres else "INTEGER"

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{t}", self._table)
        return statement.replace("?", "%s") if self.postgres else statement

    def create_table(self, attempts: int = 5) -> None:
        """Create the table if it does not exist (retried: servers starting together race)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.datastore.transaction(commit=True) as cursor:
                    self._create(cursor)
                return
            except PersistenceError:
                if attempt == attempts:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * attempt)

    def _create(self, cursor: object) -> None:
        """Run the CREATE statements of this table (IF NOT EXISTS)."""
        raise NotImplementedError
