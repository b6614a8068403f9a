"""Turns domain events into view versions: the fold, diffed against the last versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.catalog import standards_for
from projections.readiness import ReadinessFold, ViewKey
from projections.store import (
    PostgresViewStore,
    SQLiteViewStore,
    StatusChange,
    ViewBatch,
    ViewVersion,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Camps first: plan views count camps by the status their views just got.
_KIND_ORDER = {"camp": 0, "3w": 1, "stockpile": 2, "plan": 3}
_STATE_TABLES = {"partner": "partners", "plan": "plans", "stockpile": "stockpiles", "camp": "camps"}
_ENTITY_OF_EVENT = {
    "Partner": "partner",
    "ResponsePlan": "plan",
    "Stockpile": "stockpile",
    "Camp": "camp",
}
_UNSTORED_STATE = ("standards",)  # recomputed from the profile and overrides on restore


def to_us(ts: datetime) -> int:
    """Microseconds since the Unix epoch (how view tables store times)."""
    return (ts - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    """The UTC datetime of a microsecond timestamp."""
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class EventRecord:
    """One event as the projector needs it."""

    position: int
    name: str  # e.g. "Camp.ArrivalsRegistered"
    oid: str
    ts: datetime
    fields: Mapping[str, Any]


def event_record(domain_event: DomainEventProtocol[Any], position: int) -> EventRecord:
    """Describe a domain event stored at a position of the notification log."""
    return EventRecord(
        position=position,
        name=type(domain_event).__qualname__,
        oid=str(domain_event.originator_id),
        ts=domain_event.timestamp,  # type: ignore[attr-defined]
        fields=domain_event.__dict__,
    )


class ReadinessProjector:
    """Folds events and emits a new view version whenever a view's document changes.

    Events with the same timestamp are folded together before views are computed, since no
    as-of query can tell them apart; an event at or below the last position is ignored.
    """

    def __init__(self) -> None:
        self._start_empty()

    def _start_empty(self) -> None:
        self.fold = ReadinessFold()
        self.position = 0
        self._docs: dict[ViewKey, bytes] = {}
        self._statuses: dict[ViewKey, str] = {}

    def restore(self, states: Iterable[tuple[str, str, Any]], position: int) -> None:
        """Resume from a saved fold state at a position."""
        self._start_empty()
        for kind, entity_id, state in states:
            if kind == "plan":
                state["standards"] = standards_for(
                    state["standards_profile"], state["standards_overrides"]
                )
            getattr(self.fold, _STATE_TABLES[kind])[entity_id] = state
        self.position = position
        for key in self.all_view_keys():
            doc = self.fold.view(*key)
            self._docs[key] = orjson.dumps(doc)
            if "status" in doc:
                self._statuses[key] = doc["status"]

    def all_view_keys(self) -> list[ViewKey]:
        """Every view the folded state defines, in computing order."""
        keys: list[ViewKey] = [("camp", c) for c in self.fold.camps]
        keys += [("3w", c) for c in self.fold.camps]
        keys += [("stockpile", s) for s in self.fold.stockpiles]
        keys += [("plan", p) for p in self.fold.plans]
        return keys

    def process(self, records: Iterable[EventRecord]) -> ViewBatch:
        """Fold a run of events (in position order) into one batch of view changes."""
        batch = ViewBatch(last_position=self.position)
        dirty: set[ViewKey] = set()
        dirty_state: set[tuple[str, str]] = set()
        group: EventRecord | None = None
        for record in records:
            if record.position <= self.position:
                continue  # delivered twice
            if not batch.first_position:
                batch.first_position = record.position
            if group is not None and record.ts != group.ts:
                self._emit(dirty, group, batch)
                dirty = set()
            touched = self.fold.apply(record.name, record.oid, record.ts, record.fields)
            dirty |= touched
            dirty_state.add((_ENTITY_OF_EVENT[record.name.split(".")[0]], record.oid))
            dirty_state.update(("camp" if k == "3w" else k, e) for k, e in touched)
            group = record
            self.position = record.position
        if group is not None:
            self._emit(dirty, group, batch)
        batch.last_position = self.position
        for kind, entity_id in dirty_state:
            state = getattr(self.fold, _STATE_TABLES[kind])[entity_id]
            stored = {k: v for k, v in state.items() if k not in _UNSTORED_STATE}
            batch.states[(kind, entity_id)] = orjson.dumps(stored)
        return batch

    def _emit(self, dirty: set[ViewKey], last: EventRecord, batch: ViewBatch) -> None:
        ts_us = to_us(last.ts)
        for key in sorted(dirty, key=lambda k: (_KIND_ORDER[k[0]], k[1])):
            doc = self.fold.view(*key)
            encoded = orjson.dumps(doc)
            if self._docs.get(key) == encoded:
                continue
            self._docs[key] = encoded
            kind, entity_id = key
            status: str | None = doc.get("status")
            batch.versions.append(
                ViewVersion(
                    kind=kind,
                    entity_id=entity_id,
                    slug=doc.get(kind, doc.get("camp", "")),
                    plan_id=doc.get("plan_id") if kind != "plan" else entity_id,
                    status=status,
                    location=doc.get("location"),
                    position=last.position,
                    ts_us=ts_us,
                    doc=encoded,
                )
            )
            if (
                kind in ("camp", "plan")
                and status is not None
                and status != self._statuses.get(key)
            ):
                batch.timeline.append(
                    StatusChange(
                        kind=kind,
                        entity_id=entity_id,
                        slug=doc[kind],
                        position=last.position,
                        ts_us=ts_us,
                        from_status=self._statuses.get(key),
                        to_status=status,
                    )
                )
                self._statuses[key] = status


class ReadinessProjection(Projection[SQLiteViewStore | PostgresViewStore]):
    """The library's Projection for the readiness views, for use with its ProjectionRunner."""

    name = "readiness"

    def __init__(self, view: SQLiteViewStore | PostgresViewStore) -> None:
        super().__init__(view)
        self.projector = ReadinessProjector()
        self.projector.restore(view.load_states(), view.position())

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        """Fold one event and store its view changes with its tracking record."""
        record = event_record(domain_event, tracking.notification_id)
        self.view.write(self.projector.process([record]))
