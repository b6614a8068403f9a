"""Keeps the views caught up with the notification log, in batches, by polling.

The library's SQLite recorder has no `subscribe()`, so this follower reads the stored events
after the tracked position (`projections.events`: plain SQL and orjson, the hot path of a
rebuild), folds a batch, and writes the batch with its tracking record in one transaction. It
serves SQLite and PostgreSQL alike, in a background thread or called directly (in-process
read-your-writes).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.persistence import IntegrityError

from projections.events import EventDecoder, EventRows, Row, row_time
from projections.projector import ReadinessProjector
from projections.store import DATA_ERRORS, PostgresViewStore, SQLiteViewStore, ViewBatch

# A batch of a long catch-up stops early once its checkpoints (thousands of sites: about 1 KB
# per site each) hold this much: what a batch keeps in memory until it is written ...
BATCH_CHECKPOINT_BYTES = 64 * 2**20
# ... or once it has touched this many views (2,000 sites touch about 4,000 per batch).
BATCH_VIEWS = 10_000


class ProjectionFollower:
    """Follows one application's notification log into its readiness views."""

    def __init__(
        self,
        app: Any,
        store: SQLiteViewStore | PostgresViewStore,
        *,
        batch_size: int = 250_000,
        read_size: int = 50_000,
        poll_interval: float = 0.05,
        checkpoint_every: int | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.rows = EventRows(app.recorder)
        self.decoder = EventDecoder()
        self.batch_size = batch_size
        self.read_size = read_size
        self.poll_interval = poll_interval
        self.projector = (
            ReadinessProjector()
            if checkpoint_every is None
            else ReadinessProjector(checkpoint_every)
        )
        self._lock = threading.Lock()
        self._caught_up = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._stale = False  # True when the fold may be ahead of the stored views
        self.quarantined = 0  # events this follower quarantined
        self._restore()

    def _restore(self) -> None:
        self._stale = True  # until the restore is complete
        self.projector.restore(*self.store.saved_state())
        self._stale = False

    @property
    def position(self) -> int:
        """The last event position folded into the views by this follower."""
        return self.projector.position

    def catch_up(self, max_batches: int | None = None) -> int:
        """Fold and store every notification not yet in the views; return the new position.

        An event that cannot be projected (the fold or its view fails on it, or the database
        refuses its data) is quarantined with its error (`rp_quarantine`) and the views move on
        past it; a database that does not answer is an error (the batch is tried again)."""
        with self._lock, collector_paused():
            if self._stale:
                self._restore()
            batches = 0
            while (max_batches is None or batches < max_batches) and self._next_batch():
                batches += 1
            position = self.projector.position
        with self._caught_up:
            self._caught_up.notify_all()
        return position

    def _next_batch(self) -> bool:
        """Fold and store the next batch of up to `batch_size` events, read `read_size` at a
        time; False if there were none.

        Views and entity states are computed and written once per batch, so a long catch-up
        (a rebuild) pays for each view once per `batch_size` events however often its entity
        changed; only the rows of one read are held at a time, and a batch stops early once its
        checkpoints hold `BATCH_CHECKPOINT_BYTES`."""
        chunk = min(self.read_size, self.batch_size)
        rows, full = self._read(chunk)
        if not rows:
            return False
        try:
            batch = self._fold_reads(rows, full, chunk)
        except Exception:
            self._back_to_stored_state()
            self._project(self._read(chunk)[0])  # one read, isolating what cannot be folded
            return True
        self._store(batch, lambda: self._project(self._read(chunk)[0]))
        return True

    def _read(self, limit: int) -> tuple[list[Row], bool]:
        """The next rows (whole moments if the read was full), and whether it was full."""
        rows = self.rows.read(self.projector.position, limit)
        full = len(rows) == limit
        return (_whole_moments(rows) if full else rows), full

    def _fold_reads(self, rows: list[Row], full: bool, chunk: int) -> ViewBatch:
        """Fold reads into one batch until it would pass `batch_size` or the log ends."""
        projector, batch = self.projector, self.projector.begin()
        folded = 0
        while rows:
            projector.advance(self.decoder.stream(rows), batch)
            folded += len(rows)
            if not full or folded + chunk > self.batch_size or _heavy(batch, projector):
                break
            rows, full = self._read(chunk)
        projector.finish(batch)
        return batch

    def _project(self, rows: list[Row]) -> None:
        """Fold and store one batch; on an event that cannot be projected, go event by event."""
        try:
            batch = self.projector.process(self.decoder.stream(rows))
        except Exception:
            self._back_to_stored_state()
            self._isolate(rows)
            return
        self._store(batch, lambda: self._isolate(rows))

    def _store(self, batch: ViewBatch, isolate: Callable[[], None]) -> None:
        """Write a folded batch; on data the database refuses, go back and `isolate`."""
        try:
            self.store.write(batch)
        except IntegrityError:
            # Another follower stored this position first: take its state and go on.
            self._restore()
        except DATA_ERRORS:
            self._back_to_stored_state()
            isolate()
        except Exception:
            # Nothing of this batch was stored, but the fold has moved past it: go back to the
            # stored state, so that the next catch-up folds the batch again.
            self._back_to_stored_state()
            raise

    def _back_to_stored_state(self) -> None:
        self._stale = True
        with contextlib.suppress(Exception):
            self._restore()

    def _isolate(self, rows: list[Row]) -> None:
        """Project a failed batch one event at a time, quarantining the events that fail."""
        if self._stale:
            self._restore()
        for row in rows:
            if row[0] <= self.projector.position:
                continue
            failure: Exception | None = None
            try:
                batch = self.projector.process(self.decoder.stream([row]))
            except Exception as error:
                failure = error
            else:
                try:
                    self.store.write(batch)
                except IntegrityError:
                    self._restore()
                    return
                except DATA_ERRORS as error:
                    failure = error
                except Exception:
                    self._back_to_stored_state()
                    raise
            if failure is not None:
                self._quarantine(row, failure)

    def _quarantine(self, row: Row, error: Exception) -> None:
        """Store the event's error and move the views past it, in one transaction."""
        self._restore()  # the fold may hold half of the failed event
        position, originator, topic, _ = row
        message = f"{type(error).__name__}: {error}"[:2000]
        self.store.write(
            ViewBatch(
                last_position=position,
                quarantined=[(position, str(originator), str(topic), message)],
            )
        )
        self.projector.position = position
        self.quarantined += 1

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until the views include `position` (or the timeout passes); True if they do."""
        deadline = time.monotonic() + timeout
        while self.projector.position < position:
            if self._thread is None:
                self.catch_up()
                if self.projector.position >= position:
                    break
                stored = self.store.position()
                if stored >= position:
                    with self._lock:
                        self._restore()
                    continue
            else:
                self._wake.set()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._caught_up:
                self._caught_up.wait(min(remaining, self.poll_interval))
        return True

    def poke(self) -> None:
        """Tell the background thread that new events were stored."""
        self._wake.set()

    def start(self) -> None:
        """Follow in a background thread until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="readiness-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread (after its current batch)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception as error:  # keep following; the error is visible on /readyz
                self.error = error
            self._wake.wait(self.poll_interval)
            self._wake.clear()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (catching up, replaying a scenario).

    Both allocate hundreds of thousands of objects that live on (the fold's dicts, a replay's
    aggregates), and the collector, triggered by allocations, keeps walking them all: about a
    tenth of the time of a rebuild or a replay. Neither makes many reference cycles (a replay of
    50,000 steps leaves about 35,000 objects to the first collection after it). Nothing is done
    if the collector is already off (another catch-up or replay in another thread).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _heavy(batch: ViewBatch, projector: ReadinessProjector) -> bool:
    """Whether a batch holds as much as one batch should keep in memory: checkpoints, or views
    to compute (each offer and shipment is a view of its own: a batch of offers gains nothing
    from growing, since each is computed once anyway)."""
    return (
        projector.touched_so_far() >= BATCH_VIEWS
        or sum(len(fold) for _, _, fold in batch.checkpoints) >= BATCH_CHECKPOINT_BYTES
    )


def _whole_moments(rows: list[Row]) -> list[Row]:
    """Leave out the trailing events that share the last one's time: the next batch may hold
    more events of that moment, and a moment's events are folded together (so that no
    timeline entry shows a state in the middle of a moment)."""
    try:
        last = row_time(rows[-1])
        cut = len(rows) - 1
        while cut > 0 and row_time(rows[cut - 1]) == last:
            cut -= 1
    except Exception:  # an unreadable event: the batch is isolated event by event anyway
        return rows
    return rows[:cut] if cut else rows
