"""Views as of a past time: the last checkpoint before it, plus the events after, folded again.

A checkpoint holds the whole fold every `checkpoint_every` events (`projections.projector`), so
an as-of answer reads one checkpoint and at most that many events, however long the log is. The
as-of state at T is the longest run of the log whose events all have times at or before T
(events are stored in time order; a moment's events are folded together), and never goes past
what the views have caught up to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from projections.events import EventDecoder, EventRows, Record, Row
from projections.logistics import TIMED_KINDS, time_us
from projections.projector import ReadinessProjector, from_us
from projections.readiness import Moment, ReadinessFold, ViewKey
from projections.shapes import ViewDoc
from projections.store import PostgresViewStore, SQLiteViewStore

READ_BATCH = 250  # rows read at a time while folding towards a past time


class TimeTraveller:
    """Folds the readiness state as of past times from checkpoints and stored events."""

    def __init__(self, store: SQLiteViewStore | PostgresViewStore, rows: EventRows) -> None:
        self.store = store
        self.rows = rows

    def projector_at(self, as_of_us: int) -> ReadinessProjector:
        """A projector whose fold holds the state as of a time (µs since the epoch)."""
        return next(self._walk([as_of_us]))

    def views_at(
        self, as_of_us: int, keys: list[ViewKey] | None = None, kind: str | None = None
    ) -> list[ViewDoc]:
        """View documents as of a time: of `keys` (those that existed then), or else of every
        entity of `kind`, or else every view."""
        projector = self.projector_at(as_of_us)
        if keys is None:
            keys = [key for key in projector.fold.view_keys() if kind in (None, key[0])]
            for timed in TIMED_KINDS:  # those a checkpoint left out, as the store knows them
                if kind in (None, timed):
                    known = set(keys)
                    keys += [
                        (timed, doc["id"])
                        for doc in self.store.list_views(timed)
                        if (timed, doc["id"]) not in known
                    ]
        return self._documents(projector, keys, as_of_us)

    def view_series(self, key: ViewKey, times_us: list[int]) -> list[ViewDoc | None]:
        """One view at each of several times (in increasing order), folding forward from one
        time to the next unless a later checkpoint is closer."""
        if times_us != sorted(times_us):
            raise ValueError("times must be in increasing order")
        documents = []
        for projector, at_us in zip(self._walk(times_us), times_us, strict=True):
            docs = self._documents(projector, [key], at_us)
            documents.append(docs[0] if docs else None)
        return documents

    def _documents(
        self, projector: ReadinessProjector, keys: list[ViewKey], at_us: int
    ) -> list[ViewDoc]:
        """The views of `keys` that existed at `at_us`, offers and shipments as of then."""
        fold = projector.fold
        docs = []
        for kind, entity_id in keys:
            if entity_id in fold.table_of(kind):
                doc = fold.view(kind, entity_id, at_us)
                doc["_position"], doc["_ts_us"] = projector.touched_at((kind, entity_id))
            elif kind in TIMED_KINDS:
                found = self._ledger_view(fold, kind, entity_id, at_us)
                if found is None:
                    continue
                doc = found
            else:
                continue
            docs.append(doc)
        return docs

    def _ledger_view(
        self, fold: ReadinessFold, kind: str, entity_id: str, at_us: int
    ) -> ViewDoc | None:
        """An offer's or shipment's view as of a time from its own events (checkpoints keep
        no offers and shipments): a few rows, however long the log."""
        scratch = ReadinessFold()
        scratch.ledger_only = True
        scratch.partners, scratch.plans = fold.partners, fold.plans
        scratch.camps, scratch.stockpiles = fold.camps, fold.stockpiles
        last = None
        for record in EventDecoder().stream(self.rows.of_entity(entity_id)):
            position, name, oid, ts, fields = record
            if time_us(ts) > at_us:
                break
            scratch.apply(name, oid, ts, fields)
            last = (position, time_us(ts))
        if last is None or entity_id not in scratch.table_of(kind):
            return None
        doc = scratch.view(kind, entity_id, at_us)
        doc["_position"], doc["_ts_us"] = last
        return doc

    def _walk(self, times_us: list[int]) -> Iterator[ReadinessProjector]:
        views_position = self.store.position()
        projector: ReadinessProjector | None = None
        pending: list[Row] = []
        for as_of_us in times_us:
            checkpoint = self.store.checkpoint_before(as_of_us)
            start = checkpoint[0] if checkpoint else 0
            if projector is None or start > projector.position:
                projector, pending = _from_checkpoint(checkpoint), []
            yield self._fold_until(projector, pending, as_of_us, views_position)

    def _fold_until(
        self,
        projector: ReadinessProjector,
        pending: list[Row],
        as_of_us: int,
        views_position: int,
    ) -> ReadinessProjector:
        """Fold stored events (those read before first) up to the last one at or before
        `as_of_us`; the rows read but not folded stay in `pending` for a later time."""
        decoder = EventDecoder()
        not_after = time_test(projector, as_of_us)
        quarantined = self.store.quarantined_positions()
        while True:
            if not pending:
                after = projector.position
                if after >= views_position:
                    return projector
                rows = self.rows.read(after, READ_BATCH, views_position)
                if not rows:
                    return projector
                pending.extend(row for row in rows if row[0] not in quarantined)
                if not pending:  # only quarantined events: step over them
                    projector.position = rows[-1][0]
                    continue
            folded = 0

            def until_then() -> Iterator[Record]:
                nonlocal folded
                for record in decoder.stream(pending):
                    if not not_after(record[3]):
                        return
                    folded += 1
                    yield record

            projector.advance(until_then())
            del pending[:folded]
            if pending:
                return projector


_UTC_SUFFIX = "+00:00"


def time_test(projector: ReadinessProjector, as_of_us: int) -> Callable[[Moment], bool]:
    """A test: is an event time at or before `as_of_us`?

    Stored times are `isoformat()` of UTC datetimes, and those sort as text in time order (a
    time without microseconds has "+" where another has ".", and "+" sorts first): comparing
    text spares a parse per event. Any other form of time is parsed.
    """
    bound = from_us(as_of_us).isoformat()

    def not_after(ts: Moment) -> bool:
        if type(ts) is str and ts.endswith(_UTC_SUFFIX) and len(ts) in (25, 32):
            return ts <= bound
        return projector.ts_us_of(ts) <= as_of_us

    return not_after


def _from_checkpoint(checkpoint: tuple[int, bytes] | None) -> ReadinessProjector:
    projector = ReadinessProjector()
    if checkpoint is not None:
        projector.restore_checkpoint(checkpoint[1], checkpoint[0])
    return projector
