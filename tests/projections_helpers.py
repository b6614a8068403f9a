"""Helpers shared by the readiness projection tests (issue 4).

Not a conftest: import what you need. Views are compared without the keys the store adds
(`position`, `updated_at`), and fold documents are passed through orjson so that they compare
equal to documents read back from a view store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from domain.service import PlannerService
from planner.wiring import Planner, open_planner
from projections.events import EventRecord, event_record
from projections.queries import ReadinessQueries
from projections.readiness import VIEW_KINDS, ReadinessFold
from projections.store import VIEW_TABLES, PostgresViewStore, SQLiteViewStore

START = datetime(1999, 4, 1, tzinfo=UTC)
STORE_KEYS = ("position", "updated_at", "_position", "_ts_us")
ViewDocs = dict[tuple[str, str], dict[str, Any]]


class TickClock:
    """A settable simulated clock (usable inside hypothesis tests, unlike a fixture)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def strip(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A view document without the keys the store adds."""
    if doc is None:
        return None
    return {key: value for key, value in doc.items() if key not in STORE_KEYS}


def normalise(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A fold document as it reads back from a view store (JSON types)."""
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(doc))
    return loaded


def stored_records(service: PlannerService) -> list[EventRecord]:
    """Every stored event of a service, in notification order, as projector records."""
    records: list[EventRecord] = []
    start = 1
    while True:
        notifications = service.recorder.select_notifications(start=start, limit=1000)
        if not notifications:
            return records
        records += [event_record(service.mapper.to_domain_event(n), n.id) for n in notifications]
        start = notifications[-1].id + 1


def fold_of(records: Iterable[EventRecord]) -> ReadinessFold:
    """A pure fold over a run of events."""
    fold = ReadinessFold()
    for record in records:
        fold.apply(record.name, record.oid, record.ts, record.fields)
    return fold


def fold_views(records: Iterable[EventRecord], at_us: int | None = None) -> ViewDocs:
    """Every view the pure fold defines after these events (camps first, like the projector);
    offers and shipments as of `at_us` if given."""
    fold = fold_of(records)
    return {key: normalise(fold.view(*key, at_us)) for key in fold.view_keys()}


def store_views(queries: ReadinessQueries, as_of: datetime | None = None) -> ViewDocs:
    """Every view in a store (now or as of a time), keyed by (kind, id), store keys stripped."""
    docs: ViewDocs = {}
    for kind in VIEW_KINDS:
        for doc in queries.views(kind, as_of=as_of):
            stripped = strip(doc)
            assert stripped is not None
            docs[(kind, doc["id"])] = stripped
    return docs


def table_rows(store: SQLiteViewStore | PostgresViewStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view table and of the tracking table, sorted (for exact equality)."""
    tables = [f"{{p}}{table}" for table in VIEW_TABLES]
    tables.append(store._tracking_table())
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        result = store._query(f"SELECT * FROM {table}", ())
        rows[table] = sorted(
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in dict(row).values())
            for row in result
        )
    return rows


def memory_planner(clock: TickClock | None = None) -> Planner:
    """A planner with its events in memory and its views in a private in-memory SQLite."""
    return open_planner("memory:", clock_fn=clock or TickClock())


def view_of(planner: Planner, kind: str, slug: str, as_of: datetime | None = None) -> Any:
    """Catch up, then one view by slug (3W views are keyed by camp), store keys stripped."""
    planner.catch_up()
    entity = "camp" if kind == "3w" else kind
    entity_id = str(planner.service.id_of(entity, slug))
    return strip(planner.queries.view(kind, entity_id, as_of=as_of))
