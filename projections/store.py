"""Materialised readiness views in SQLite or PostgreSQL, written with tracking records.

Tables (all prefixed `rp_`): `rp_current` keeps the latest version of every view with columns
to filter on and the position and time of the last event that touched it; `rp_timeline` keeps
status changes; `rp_state` keeps the fold's state per entity so a projection resumes where it
stopped; `rp_checkpoints` keeps the whole fold every so many events, where time travel starts
(`projections.time_travel`). Each batch is written in the same transaction as the library's
tracking record, so an event is applied exactly once. The queries are in
projections/view_queries.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from eventsourcing.persistence import DataError, IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.area_rollup import AreaRow
from projections.areas import AreaKey
from projections.view_queries import ViewQueries

# Errors of the data, not of the database: storing the same views again fails the same way.
DATA_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    OverflowError,
    sqlite3.DataError,
    DataError,
)

VIEW_TABLES = (
    "rp_current",
    "rp_timeline",
    "rp_state",
    "rp_checkpoints",
    "rp_quarantine",
    "rp_areas",
)
RETIRED_TABLES = ("rp_versions",)  # an earlier layout: its views are rebuilt


class ViewVersion(NamedTuple):
    """The current version of one view, last touched by the event at `position` (time `ts_us`,
    µs since the epoch). A tuple in `rp_current`'s column order: written as it is, and made
    for every view a batch touches (a frozen dataclass cost 2 µs each)."""

    kind: str
    entity_id: str
    slug: str
    plan_id: str | None
    status: str | None
    location: str | None
    position: int
    ts_us: int
    doc: bytes
    adm1: str | None = None  # a camp's administrative areas, to read an area's camps only
    adm2: str | None = None


class StatusChange(NamedTuple):
    """A camp or plan changed readiness or lifecycle status (in `rp_timeline`'s column order)."""

    kind: str
    entity_id: str
    slug: str
    position: int
    ts_us: int
    from_status: str | None
    to_status: str


@dataclass
class ViewBatch:
    """Everything one batch of events changes in the views, and the last position it covers."""

    last_position: int = 0
    first_position: int = 0  # 0: nothing folded (an empty batch)
    current: list[ViewVersion] = field(default_factory=list)
    timeline: list[StatusChange] = field(default_factory=list)
    states: dict[tuple[str, str], bytes] = field(default_factory=dict)
    checkpoints: list[tuple[int, int, bytes]] = field(default_factory=list)  # position, µs, fold
    # events that could not be projected: (position, originator id, topic, error)
    quarantined: list[tuple[int, str, str, str]] = field(default_factory=list)
    areas: list[AreaRow] = field(default_factory=list)  # the area views the batch changed
    areas_gone: list[AreaKey] = field(default_factory=list)  # areas no camp carries any more


class ViewStoreMixin(ViewQueries):
    """The readiness views of one application, next to (or inside) its event store.

    Mixed into the library's tracking recorders, so that the views live in the same database
    and the same transactions as the tracking records.
    """

    if TYPE_CHECKING:  # provided by the library's tracking recorder this is mixed into

        def _insert_tracking(self, c: object, tracking: Tracking) -> None: ...

    # -- schema --------------------------------------------------------------------------------

    def create_table(self) -> None:
        """Create the tracking table and the view tables if they do not exist."""
        super().create_table()  # type: ignore[misc]
        blob = "BYTEA" if self.postgres else "BLOB"
        big = "BIGINT" if self.postgres else "INTEGER"
        p = self._prefix
        tables = self._tables()
        retired = self._retired_layout(tables)
        # Views stored before the areas' roll-ups were kept: rebuilt, so that every area has one.
        no_areas = "rp_areas" not in tables and "rp_current" in tables and self.position() > 0
        statements = [
            f"CREATE TABLE IF NOT EXISTS {p}rp_current (kind TEXT NOT NULL, entity_id TEXT NOT "
            f"NULL, slug TEXT NOT NULL, plan_id TEXT, status TEXT, location TEXT, position {big} "
            f"NOT NULL, ts {big} NOT NULL, doc {blob} NOT NULL, adm1 TEXT, adm2 TEXT, "
            "PRIMARY KEY (kind, entity_id))",
            # Lists are in slug order: a page deep in a list steps over index entries only.
            f"CREATE INDEX IF NOT EXISTS rp_current_order ON {p}rp_current (kind, slug, entity_id)",
            f"DROP INDEX IF EXISTS {p}rp_current_slug",  # an earlier index, a prefix of that one
            f"CREATE TABLE IF NOT EXISTS {p}rp_timeline (kind TEXT NOT NULL, entity_id TEXT NOT "
            f"NULL, slug TEXT NOT NULL, position {big} NOT NULL, ts {big} NOT NULL, "
            "from_status TEXT, to_status TEXT NOT NULL, PRIMARY KEY (kind, entity_id, position))",
            f"CREATE INDEX IF NOT EXISTS rp_timeline_ts ON {p}rp_timeline (ts)",
            f"CREATE TABLE IF NOT EXISTS {p}rp_state (kind TEXT NOT NULL, entity_id TEXT NOT "
            f"NULL, state {blob} NOT NULL, PRIMARY KEY (kind, entity_id))",
            f"CREATE TABLE IF NOT EXISTS {p}rp_checkpoints (position {big} PRIMARY KEY, "
            f"ts {big} NOT NULL, state {blob} NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS rp_checkpoints_ts ON {p}rp_checkpoints (ts, position)",
            f"CREATE TABLE IF NOT EXISTS {p}rp_quarantine (position {big} PRIMARY KEY, "
            "originator_id TEXT NOT NULL, topic TEXT NOT NULL, error TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {p}rp_areas (level TEXT NOT NULL, code TEXT NOT NULL, "
            f"adm1 TEXT, position {big} NOT NULL, ts {big} NOT NULL, doc {blob} NOT NULL, "
            "PRIMARY KEY (level, code))",
        ]
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)
        if self._add_area_columns() or no_areas:
            self.drop_all()  # the stored camp views' areas are unknown to the new columns
        if retired:
            self.drop_all()  # views of the earlier layout have no checkpoints: rebuild them
            with self.datastore.transaction(commit=True) as c:
                for table in retired:
                    c.execute(self._sql(f"DROP TABLE {{p}}{table}"))

    def _add_area_columns(self) -> bool:
        """Give an `rp_current` made before the views stored areas its `adm1`/`adm2` columns
        and their indexes; True if they were added (the views are then rebuilt)."""
        if self.postgres:
            sql = (
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = 'rp_current'"
            )
            params: tuple[object, ...] = (getattr(self.datastore, "schema", "") or "public",)
        else:
            sql, params = "SELECT name FROM pragma_table_info('rp_current')", ()
        columns = {row["name"] for row in self._query(sql, params)}
        missing = [column for column in ("adm1", "adm2") if column not in columns]
        p = self._prefix
        with self.datastore.transaction(commit=True) as c:
            for column in missing:
                c.execute(f"ALTER TABLE {p}rp_current ADD COLUMN {column} TEXT")
            for column in ("adm1", "adm2"):
                c.execute(
                    f"CREATE INDEX IF NOT EXISTS rp_current_{column} "
                    f"ON {p}rp_current (kind, {column})"
                )
        return bool(missing)

    def _retired_layout(self, tables: set[str] | None = None) -> list[str]:
        """Tables of an earlier layout present in this database."""
        present = self._tables() if tables is None else tables
        return [table for table in RETIRED_TABLES if table in present]

    def _tables(self) -> set[str]:
        """The tables in this database (or schema)."""
        if self.postgres:
            sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = ?"
            params: tuple[object, ...] = (getattr(self.datastore, "schema", "") or "public",)
        else:
            sql, params = "SELECT name FROM sqlite_master WHERE type = 'table'", ()
        return {row["name"] for row in self._query(sql, params)}

    # -- writing -------------------------------------------------------------------------------

    def write(self, batch: ViewBatch) -> None:
        """Store a batch of view changes and its tracking record in one transaction.

        Raises the library's IntegrityError if the batch's position was already recorded.
        """
        with self.datastore.transaction(commit=True) as c:
            if batch.first_position:
                # A follower with an older state must not overwrite newer views.
                stored = self._max_tracking_id(self.application_name, c) or 0
                if batch.first_position <= stored:
                    raise IntegrityError(
                        f"views already include position {stored}; this batch starts at "
                        f"{batch.first_position}"
                    )
            self._insert_tracking(c, Tracking(self.application_name, batch.last_position))
            if batch.current:
                c.executemany(
                    self._sql(
                        "INSERT INTO {p}rp_current (kind, entity_id, slug, plan_id, status, "
                        "location, position, ts, doc, adm1, adm2) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (kind, entity_id) DO UPDATE SET slug = excluded.slug, "
                        "plan_id = excluded.plan_id, status = excluded.status, "
                        "location = excluded.location, position = excluded.position, "
                        "ts = excluded.ts, doc = excluded.doc, adm1 = excluded.adm1, "
                        "adm2 = excluded.adm2"
                    ),
                    batch.current,
                )
            if batch.timeline:
                c.executemany(
                    self._sql("INSERT INTO {p}rp_timeline VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    batch.timeline,
                )
            if batch.states:
                c.executemany(
                    self._sql(
                        "INSERT INTO {p}rp_state VALUES (?, ?, ?) ON CONFLICT (kind, entity_id) "
                        "DO UPDATE SET state = excluded.state"
                    ),
                    # in key order: each insert lands next to the last in the table's index
                    sorted((kind, eid, state) for (kind, eid), state in batch.states.items()),
                )
            if batch.checkpoints:
                c.executemany(
                    self._sql("INSERT INTO {p}rp_checkpoints VALUES (?, ?, ?)"), batch.checkpoints
                )
            if batch.areas or batch.areas_gone:
                self._write_areas(c, batch)
            if batch.quarantined:
                c.executemany(
                    self._sql(
                        "INSERT INTO {p}rp_quarantine VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (position) DO NOTHING"
                    ),
                    batch.quarantined,
                )

    def _write_areas(self, c: Any, batch: ViewBatch) -> None:
        """Store the area views a batch changed; delete those no camp carries any more."""
        if batch.areas:
            c.executemany(
                self._sql(
                    "INSERT INTO {p}rp_areas (level, code, adm1, position, ts, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (level, code) DO UPDATE SET "
                    "adm1 = excluded.adm1, position = excluded.position, ts = excluded.ts, "
                    "doc = excluded.doc"
                ),
                [(a.level, a.code, a.adm1, a.position, a.ts_us, a.doc) for a in batch.areas],
            )
        if batch.areas_gone:
            c.executemany(
                self._sql("DELETE FROM {p}rp_areas WHERE level = ? AND code = ?"),
                batch.areas_gone,
            )

    def drop_all(self) -> None:
        """Empty every view table and forget the tracking position (before a rebuild)."""
        with self.datastore.transaction(commit=True) as c:
            for table in VIEW_TABLES:
                c.execute(self._sql(f"DELETE FROM {{p}}{table}"))
            c.execute(
                self._sql(f"DELETE FROM {self._tracking_table()} WHERE application_name = ?"),
                (self.application_name,),
            )


class SQLiteViewStore(ViewStoreMixin, SQLiteTrackingRecorder):
    """Readiness views in a SQLite database (the embedded default)."""


class PostgresViewStore(ViewStoreMixin, PostgresTrackingRecorder):
    """Readiness views in PostgreSQL (scale-out), in the application's schema."""

    postgres = True


ViewStore = SQLiteViewStore | PostgresViewStore


def memory_view_store() -> SQLiteViewStore:
    """Views in a private in-memory SQLite database (for in-memory event stores)."""
    from uuid import uuid4

    store = SQLiteViewStore(SQLiteDatastore(f"file:rp-{uuid4().hex}?mode=memory&cache=shared"))
    store.create_table()
    return store
