"""Turns events into view changes: the fold, moment by moment, with timeline and checkpoints.

Per moment (the events sharing one timestamp, folded together since no as-of query can tell
them apart) the projector only folds and asks the touched camps' and plans' status, for the
timeline. View documents are computed once per batch, for the views the batch touched (the
current rows). Every `checkpoint_every` events it stores a checkpoint of the whole fold, which is
what time travel starts from (`projections.time_travel`): a past view is the checkpoint before
that time plus at most `checkpoint_every` events folded again, however long the log. A fold of
more than `CHECKPOINT_UNIT` entities (thousands of sites) is checkpointed that many times less
often: storing it costs in proportion to its size, so this keeps its cost per event bounded, and
folding the events after it costs about as much as reading the checkpoint itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.area_rollup import AreaRollup
from projections.events import Record, event_record, iso_to_datetime
from projections.logistics import TIMED_KINDS
from projections.readiness import Moment, ReadinessFold, ViewKey, camp_status
from projections.store import (
    PostgresViewStore,
    SQLiteViewStore,
    StatusChange,
    ViewBatch,
    ViewVersion,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Camps first: plan views count camps by the status their views just got.
_KIND_ORDER = {"camp": 0, "3w": 1, "stockpile": 2, "plan": 3, "shipment": 4, "offer": 5}
# Event times converted to µs, kept: a checkpoint converts the last-touch time of every view
# (three per camp), so with thousands of sites a smaller cache missed on nearly every one.
US_CACHE = 65_536
_TABLE_OF_KIND = {
    "partner": "partners",
    "plan": "plans",
    "stockpile": "stockpiles",
    "camp": "camps",
    "shipment": "shipments",
    "offer": "offers",
}
_ENTITY_TABLES = tuple(_TABLE_OF_KIND.values())
CHECKPOINT_EVERY = 500
CHECKPOINT_COMPRESSION = 1  # zlib's fastest level: most of the size gone, at ~250 MB/s
# Smaller checkpoints stay plain JSON: compressing 30 KB saved no time and cost each as-of read.
COMPRESS_FROM = 256 * 1024
CHECKPOINT_UNIT = 100  # entities (partners, plans, stockpiles, camps) per `checkpoint_every`


def encode_view(doc: object) -> bytes:
    """A view document as JSON. Sums across entities (a plan's population over its camps) may
    pass 64 bits although each entity stays within the domain's bound: such whole numbers are
    written as floating-point numbers instead of failing the batch."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        return orjson.dumps(_widened(doc))


def _widened(value: object) -> Any:
    if isinstance(value, dict):
        return {key: _widened(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_widened(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)
    return value


def to_us(ts: datetime) -> int:
    """Microseconds since the Unix epoch (how view tables store times)."""
    return (ts - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    """The UTC datetime of a microsecond timestamp."""
    return _EPOCH + timedelta(microseconds=us)


class ReadinessProjector:
    """Folds events into view changes: timeline entries per moment, views and state per batch.

    An event at or below the last position is ignored (delivered twice).
    """

    def __init__(self, checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self.checkpoint_every = checkpoint_every
        self._start_empty()

    def _start_empty(self) -> None:
        self.fold = ReadinessFold()
        self.position = 0
        self.checkpoint_position = 0
        self._spacing_floor = self.checkpoint_every  # at most the spacing of checkpoints now
        # view → (position, time) of the last moment that touched it; the time as the event
        # gave it (datetime or ISO form), or in µs when restored
        self.touches: dict[ViewKey, tuple[int, Moment]] = {}
        # Offers' and shipments' touches apart: checkpoints leave them out, and there are many.
        self.timed_touches: dict[ViewKey, tuple[int, Moment]] = {}
        # What the moments folded since `process()` began touched: camps and stockpiles by id,
        # other views by key (cheaper than scanning every view's touch after each batch).
        self._batch_camps: set[str] = set()
        self._batch_stockpiles: set[str] = set()
        self._batch_keys: set[ViewKey] = set()
        self._statuses: dict[ViewKey, str] = {}
        self._statuses_known = True
        self._us_of: dict[Moment, int] = {}  # event time → µs, for the times asked lately
        # The areas' roll-ups: summed from the fold by the first batch that touches a camp.
        self.areas: AreaRollup | None = None

    # -- resuming ------------------------------------------------------------------------------

    def restore(
        self,
        states: Iterable[tuple[str, str, Any]],
        position: int,
        touches: Iterable[tuple[str, str, int, int]] = (),
        checkpoint_position: int = 0,
    ) -> None:
        """Resume from a saved fold state (per entity) at a position."""
        self._start_empty()
        for kind, entity_id, state in states:
            self.fold.load_entity(_TABLE_OF_KIND[kind], entity_id, state)
        self._resume(position, touches, checkpoint_position)

    def restore_checkpoint(self, checkpoint: bytes, position: int) -> None:
        """Resume from a checkpoint (the whole fold) stored at a position."""
        self._start_empty()
        data = orjson.loads(checkpoint if checkpoint[:1] == b"{" else zlib.decompress(checkpoint))
        self.fold = ReadinessFold.from_state(data["state"])
        self._resume(position, data["touches"], position)

    def _resume(self, position: int, touches: Iterable[Any], checkpoint_position: int) -> None:
        self.position = position
        self.checkpoint_position = checkpoint_position
        self.touches, self.timed_touches = {}, {}
        for kind, eid, pos, ts in touches:
            (self.timed_touches if kind in TIMED_KINDS else self.touches)[(kind, eid)] = (pos, ts)
        self._statuses_known = False  # until a batch needs them: time travel never does

    def _know_statuses(self) -> None:
        """The resumed views' statuses, which a batch's timeline entries start from."""
        for camp_id in self.fold.camps:
            self._statuses[("camp", camp_id)] = self.fold.status_of(camp_id)
        for plan_id, plan in self.fold.plans.items():
            self._statuses[("plan", plan_id)] = plan["status"]
        self._statuses_known = True

    def checkpoint(self) -> bytes:
        """The whole fold and the views' last-touched positions, as stored in a checkpoint:
        JSON, compressed from `COMPRESS_FROM` bytes (thousands of sites: a seventh of the
        size, for about what writing the saved bytes would cost)."""
        us_of = self.ts_us_of
        touches = [
            [kind, eid, pos, us_of(ts)] for (kind, eid), (pos, ts) in sorted(self.touches.items())
        ]
        data = orjson.dumps({"state": self.fold.export_state(ledger=False), "touches": touches})
        return data if len(data) < COMPRESS_FROM else zlib.compress(data, CHECKPOINT_COMPRESSION)

    # -- folding -------------------------------------------------------------------------------

    def advance(self, records: Iterable[Record], batch: ViewBatch | None = None) -> None:
        """Fold events moment by moment; record timeline entries and checkpoints in `batch`
        (without one, as for time travel, only the fold and the views' touches move)."""
        handlers = self.fold.handlers
        moment_ts: Any = None  # a Moment once the first event is read
        start = moment_position = self.position
        first = 0
        for position, name, oid, ts, fields in records:
            if position <= moment_position:
                continue  # delivered twice
            if ts != moment_ts:
                if moment_position > start:
                    self._close_moment(moment_position, moment_ts, batch)
                moment_ts = ts
            try:
                handlers[name](oid, ts, fields)
            except KeyError:
                if name in handlers:
                    raise
            if not first:
                first = position
            moment_position = position
        if moment_position > start:
            self._close_moment(moment_position, moment_ts, batch)
        if batch is not None and first and not batch.first_position:
            batch.first_position = first

    def ts_us_of(self, ts: Moment | int) -> int:
        """An event time (datetime, ISO form or µs) in µs since the epoch."""
        if isinstance(ts, int):
            return ts
        us = self._us_of.get(ts)
        if us is None:
            if len(self._us_of) > US_CACHE:
                self._us_of.clear()
            us = self._us_of[ts] = to_us(iso_to_datetime(ts))
        return us

    def touched_at(self, key: ViewKey) -> tuple[int, int]:
        """(position, µs) of the last moment that touched a view."""
        mark = self.touches.get(key)
        position, ts = self.timed_touches[key] if mark is None else mark
        return position, self.ts_us_of(ts)

    def _close_moment(self, position: int, ts: Moment, batch: ViewBatch | None) -> None:
        self.position = position
        fold = self.fold
        mark = (position, ts)
        touches = self.touches
        if fold.touched_camps:
            self._batch_camps.update(fold.touched_camps)
            statuses, camp_statuses = self._statuses, fold.camp_status
            for camp_id in fold.touched_camps:
                camp_key, plan_key = fold.camp_keys(camp_id)
                touches[camp_key] = touches[plan_key] = mark
                if batch is None:
                    camp_statuses.pop(camp_id, None)
                    continue
                status = camp_statuses[camp_id] = camp_status(fold, camp_id)
                if status != statuses.get(camp_key):
                    self._status_changed(camp_key, status, position, ts, batch)
            fold.touched_camps.clear()
        if fold.touched_stockpiles:
            self._batch_stockpiles.update(fold.touched_stockpiles)
            for stockpile_id in fold.touched_stockpiles:
                for key in fold.stockpile_keys(stockpile_id):
                    touches[key] = mark
            fold.touched_stockpiles.clear()
        if fold.touched:
            self._batch_keys.update(fold.touched)
            timed = self.timed_touches
            for key in fold.touched:
                if key[0] in TIMED_KINDS:
                    timed[key] = mark
                else:
                    touches[key] = mark
            fold.touched.clear()
        if fold.lifecycle_changed:
            if batch is not None:
                for plan_id in fold.lifecycle_changed:  # a plan's status is its lifecycle
                    status = fold.plans[plan_id]["status"]
                    if status != self._statuses.get(("plan", plan_id)):
                        self._status_changed(("plan", plan_id), status, position, ts, batch)
            fold.lifecycle_changed.clear()
        since = position - self.checkpoint_position
        if batch is not None and since >= self._spacing_floor:
            # The fold never forgets an entity, so the spacing only grows: below the last
            # spacing computed, no need to count the fold again.
            self._spacing_floor = self._spacing()
            if since >= self._spacing_floor:
                self.checkpoint_position = position
                batch.checkpoints.append((position, self.ts_us_of(ts), self.checkpoint()))

    def _spacing(self) -> int:
        """Events between checkpoints: `checkpoint_every`, times the fold's size in units."""
        fold = self.fold
        size = len(fold.camps) + len(fold.stockpiles) + len(fold.plans) + len(fold.partners)
        return self.checkpoint_every * max(1, size // CHECKPOINT_UNIT)

    def _status_changed(
        self, key: ViewKey, status: str, position: int, ts: Moment, batch: ViewBatch
    ) -> None:
        kind, entity_id = key
        batch.timeline.append(
            StatusChange(
                kind=kind,
                entity_id=entity_id,
                slug=self.fold.slug_of(kind, entity_id),
                position=position,
                ts_us=self.ts_us_of(ts),
                from_status=self._statuses.get(key),
                to_status=status,
            )
        )
        self._statuses[key] = status

    def process(self, records: Iterable[Record]) -> ViewBatch:
        """Fold a run of events (in position order) into one batch of view changes."""
        batch = self.begin()
        self.advance(records, batch)
        self.finish(batch)
        return batch

    def begin(self) -> ViewBatch:
        """Start a batch: fold runs of events into it with `advance()`, then `finish()` it."""
        if not self._statuses_known:
            self._know_statuses()
        self._batch_camps.clear()
        self._batch_stockpiles.clear()
        self._batch_keys.clear()
        return ViewBatch(last_position=self.position)

    def touched_so_far(self) -> int:
        """How many entities the batch begun last has touched (what its views will hold)."""
        return len(self._batch_keys) + len(self._batch_camps) + len(self._batch_stockpiles)

    def finish(self, batch: ViewBatch) -> None:
        """Add the current views and entity states of what the batch's events touched."""
        batch.last_position = self.position
        touched = self._batch_touched()
        camps: dict[str, tuple[dict[str, Any], int, int]] = {}
        for key in sorted(touched, key=lambda k: (_KIND_ORDER[k[0]], k[1])):
            row, doc = self._current(key)
            batch.current.append(row)
            if key[0] == "camp":
                camps[key[1]] = (doc, row.position, row.ts_us)
        if camps:
            self._roll_up(camps, batch)
        self._changed_states(touched, batch)

    def _batch_touched(self) -> list[ViewKey]:
        """The views the moments folded since `process()` began touched."""
        fold = self.fold
        keys = set(self._batch_keys)
        for camp_id in self._batch_camps:
            keys.update(fold.camp_keys(camp_id))
        for stockpile_id in self._batch_stockpiles:
            keys.update(fold.stockpile_keys(stockpile_id))
        return list(keys)

    def _roll_up(self, camps: dict[str, tuple[dict[str, Any], int, int]], batch: ViewBatch) -> None:
        """Count the batch's camp views in their areas; the areas they touched into `batch`."""
        if self.areas is None:
            self.areas = AreaRollup.of(self.fold, leave_out=camps)
        for doc, position, ts_us in camps.values():
            self.areas.update(doc, position, ts_us)
        batch.areas, batch.areas_gone = self.areas.take_rows(encode_view)

    def _current(self, key: ViewKey) -> tuple[ViewVersion, dict[str, Any]]:
        """The view of `key` as folded so far: its current-view row, and the document."""
        kind, entity_id = key
        doc = self.fold.view(kind, entity_id)
        position, ts_us = self.touched_at(key)
        row = ViewVersion(
            kind=kind,
            entity_id=entity_id,
            slug=doc[kind] if kind in doc else doc.get("camp", ""),
            plan_id=doc.get("plan_id") if kind != "plan" else entity_id,
            status=doc.get("status"),
            location=doc.get("location"),
            position=position,
            ts_us=ts_us,
            doc=encode_view(doc),
            adm1=doc.get("adm1") if kind == "camp" else None,
            adm2=doc.get("adm2") if kind == "camp" else None,
        )
        return row, doc

    def _changed_states(self, touched: list[ViewKey], batch: ViewBatch) -> None:
        """The states of the entities the batch changed: each event touches its own entity's
        views, except a partner's, which has none."""
        fold = self.fold
        ids = {entity_id for _, entity_id in touched} | fold.partners_changed
        fold.partners_changed.clear()
        for table in _ENTITY_TABLES:
            # the ids looked up in the table: a set's intersection with a dict walks the dict,
            # and the tables of offers and shipments grow with every one ever made
            entities = getattr(fold, table)
            for entity_id in [entity_id for entity_id in ids if entity_id in entities]:
                state = fold.entity_state(table, entity_id)
                batch.states[(table[:-1], entity_id)] = orjson.dumps(state)


class ReadinessProjection(Projection[SQLiteViewStore | PostgresViewStore]):
    """The library's Projection for the readiness views, for use with its ProjectionRunner."""

    name = "readiness"

    def __init__(self, view: SQLiteViewStore | PostgresViewStore) -> None:
        super().__init__(view)
        self.projector = ReadinessProjector()
        self.projector.restore(*view.saved_state())

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Fold one event and store its view changes with its tracking record."""
        record = event_record(domain_event, tracking.notification_id)
        self.view.write(self.projector.process([record]))
