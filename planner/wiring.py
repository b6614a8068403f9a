"""The one bootstrap: the service with its storage adapters, the projections and the views."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from adapters.storage import PLANNER_STORAGE
from domain import clock
from domain.base import PLANNER_NAMESPACE
from domain.service import PlannerService
from planner.config import ConfigError, database_url, is_postgres, persistence_env
from projections.events import EventRows
from projections.follower import ProjectionFollower
from projections.queries import ReadinessQueries
from projections.store import (
    RETIRED_TABLES,
    VIEW_TABLES,
    PostgresViewStore,
    SQLiteViewStore,
    memory_view_store,
)
from projections.time_travel import TimeTraveller

if TYPE_CHECKING:
    from planner.field.usecases import SyncUseCases
    from planner.site_import import SiteLists
    from planner.usecases import ScenarioFiles


@dataclass
class Planner:
    """A planner service with its readiness views and the follower that keeps them current."""

    url: str
    service: PlannerService
    views: SQLiteViewStore | PostgresViewStore
    follower: ProjectionFollower
    queries: ReadinessQueries
    read_views: SQLiteViewStore | PostgresViewStore | None = None  # a replica's, if reads go there

    @property
    def served_views(self) -> SQLiteViewStore | PostgresViewStore:
        """The views queries read: a streaming replica's (`read_url`), else `views`."""
        return self.read_views or self.views

    def catch_up(self) -> int:
        """Bring the views up to the last stored event; return that position."""
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the views and fold them again from the first stored event; return the position."""
        self.views.drop_all()
        self.follower.projector.restore([], 0)
        return self.follower.catch_up()

    @property
    def scenarios(self) -> ScenarioFiles:
        """The scenario use cases (check, replay in a scratch store) the HTTP API offers."""
        from planner.usecases import SCENARIO_FILES  # late: a replay opens planners here

        return SCENARIO_FILES

    @property
    def sites(self) -> SiteLists:
        """The site-list use case (import an HXL-tagged CSV) the HTTP API offers."""
        from planner.site_import import SITE_LISTS  # late, like the scenario use cases

        return SITE_LISTS

    @property
    def sync(self) -> SyncUseCases:
        """The sync use cases (field instances and headquarters) the HTTP API offers."""
        from planner.field.usecases import SyncUseCases  # late, like the scenario use cases

        return SyncUseCases(self)

    def close(self) -> None:
        """Stop following and release database connections."""
        self.follower.stop()
        self.service.close()
        if self.read_views is not None:
            self.read_views.datastore.close()
        if isinstance(self.views, SQLiteViewStore) and self.views.datastore is not getattr(
            self.service.recorder, "datastore", None
        ):
            self.views.datastore.close()


def open_planner(
    url: str | None = None,
    *,
    namespace: UUID = PLANNER_NAMESPACE,
    clock_fn: clock.Clock | None = None,
    read_url: str | None = None,
) -> Planner:
    """Open (creating if need be) the store at `url` with its views, caught up.

    With `read_url` (a PostgreSQL streaming replica of `url`'s server), queries read the views
    there; commands and the follower still write to `url`.
    """
    url = database_url(url)
    env = persistence_env(url) | {"CREATE_TABLE": "y"}
    if env.get("POSTGRES_SCHEMA"):
        _create_schema(env)
    service = new_service(env, namespace=namespace, clock_fn=clock_fn, field=is_field_store(env))
    views = _view_store(service, env)
    follower = ProjectionFollower(service, views)
    follower.catch_up()
    read_views = _replica_views(env, read_url) if read_url else None
    served = read_views or views
    queries = ReadinessQueries(
        served, TimeTraveller(served, EventRows(service.recorder)), clock=lambda: service.clock_fn()
    )
    return Planner(url, service, views, follower, queries, read_views)


def _replica_views(env: dict[str, str], read_url: str) -> PostgresViewStore:
    """The views of the same schema on a read-only streaming replica."""
    from eventsourcing.postgres import PostgresDatastore

    replica = persistence_env(read_url)
    if not is_postgres(env) or not is_postgres(replica):
        raise ConfigError("a read URL (replica) needs PostgreSQL for both the store and the reads")
    datastore = PostgresDatastore(
        replica["POSTGRES_DBNAME"],
        replica["POSTGRES_HOST"],
        replica["POSTGRES_PORT"],
        replica["POSTGRES_USER"],
        replica["POSTGRES_PASSWORD"],
        connect_timeout=float(replica["POSTGRES_CONNECT_TIMEOUT"]),
        pool_size=int(replica["POSTGRES_POOL_SIZE"]),
        max_overflow=int(replica["POSTGRES_MAX_OVERFLOW"]),
        schema=env.get("POSTGRES_SCHEMA", ""),
    )
    return PostgresViewStore(datastore, tracking_table_name="planner_readiness_tracking")


def new_service(
    env: dict[str, str],
    *,
    namespace: UUID = PLANNER_NAMESPACE,
    clock_fn: clock.Clock | None = None,
    field: bool = False,
) -> PlannerService:
    """A PlannerService on the store `env` names, storing through the planner's adapters
    (a field instance's, queuing its commands for headquarters, with `field`)."""
    if field:
        from planner.field.service import FieldService

        return FieldService(env, namespace=namespace, clock_fn=clock_fn, storage=PLANNER_STORAGE)
    return PlannerService(env, namespace=namespace, clock_fn=clock_fn, storage=PLANNER_STORAGE)


def is_field_store(env: dict[str, str]) -> bool:
    """True if `env` names a SQLite store made by `planner field init` (docs/field.md)."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.sqlite":
        return False
    path = Path(env.get("SQLITE_DBNAME", ""))
    if not path.is_file():
        return False
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_meta'").fetchone()
    return found is not None


def _create_schema(env: dict[str, str]) -> None:
    """Create the PostgreSQL schema named in the URL (`?schema=`) if it does not exist yet."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        autocommit=True,
    ) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(env["POSTGRES_SCHEMA"]))
        )


def _view_store(
    service: PlannerService, env: dict[str, str]
) -> SQLiteViewStore | PostgresViewStore:
    datastore = getattr(service.recorder, "datastore", None)
    if datastore is None:
        return memory_view_store()
    if is_postgres(env):
        store: SQLiteViewStore | PostgresViewStore = PostgresViewStore(
            datastore, tracking_table_name="planner_readiness_tracking"
        )
    else:
        store = SQLiteViewStore(datastore)
    store.create_table()
    return store


def reset_store(url: str | None = None) -> None:
    """Erase every event and view in the store at `url` (replay --reset)."""
    url = database_url(url)
    env = persistence_env(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        path = Path(env["SQLITE_DBNAME"])
        for suffix in ("", "-wal", "-shm"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
        return
    if is_postgres(env):
        planner = open_planner(url)
        try:
            prefix = planner.views._prefix
            with planner.views.datastore.transaction(commit=True) as c:
                for table in (
                    "planner_events",
                    "planner_readiness_tracking",
                    *RETIRED_TABLES,  # an earlier layout's
                    *VIEW_TABLES,
                ):
                    c.execute(f"DROP TABLE IF EXISTS {prefix}{table} CASCADE")
        finally:
            planner.close()


def remove_tree(path: Path) -> None:
    """Remove a folder of scratch stores."""
    shutil.rmtree(path, ignore_errors=True)
