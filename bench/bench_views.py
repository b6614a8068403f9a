"""Readiness views: catch-up rate, query cost at 1,000 vs 1,000,000 events, read-your-writes.

Prints, all measured in this one run on the same machine:
1. rebuilding the views over N stored events (events/s) next to reading the raw events back from
   the same SQLite file with plain sqlite3 (rows/s), measured back to back in several pairs,
   and the median pair's ratio (target >= 25 %);
2. the median latency of a camp readiness query, with its needs (now, and as of past times
   spread over the history), with 1,000 events in the store and with N, and the ratio
   (target <= 1.5);
3. the same for an offer view (expiry applied as of the time asked) and the plan view (its
   needs summed over the camps): the as-of offer and needs queries of issue 16;
4. the median delay from a saved command to its effect being visible in the views, embedded
   setup (target < 20 ms).

    python bench/bench_views.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import START, busy_steps, setup_steps
from planner.wiring import Planner, open_planner
from projections.follower import collector_paused
from projections.projector import ReadinessProjector


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def fill(path: Path, events: int) -> tuple[Planner, _Clock]:
    """Store at least `events` events (a busy response, one command a minute)."""
    clock = _Clock()
    planner = open_planner(str(path), clock_fn=clock)
    service = planner.service
    steps = setup_steps() + busy_steps(events)
    with service.batch():
        for index, (command, args) in enumerate(steps, start=1):
            clock.now = START + timedelta(minutes=index)
            service.execute(command, args)
            if index % 5000 == 0:
                service.flush()
                if (service.recorder.max_notification_id() or 0) >= events:
                    break
    return planner, clock


RAW_READ = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1])
started = time.perf_counter()
rows = 0
cursor = conn.execute(
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "ORDER BY rowid"
)
while batch := cursor.fetchmany(10_000):
    rows += len(batch)
print(rows, rows / (time.perf_counter() - started))
"""


def raw_read_rate(path: Path) -> tuple[int, float]:
    """Rows/s of reading every stored event back in order with plain sqlite3.

    In a process of its own: in this one, the planner's objects make every collection of the
    cyclic garbage collector slower, and the read-back slowed down pair after pair."""
    done = subprocess.run(
        [sys.executable, "-c", RAW_READ, str(path)], capture_output=True, text=True, check=True
    )
    rows, rate = done.stdout.split()
    return int(rows), float(rate)


def rebuild_rate(planner: Planner) -> float:
    """Events/s of dropping the views and rebuilding them from the event store."""
    started = time.perf_counter()
    position = planner.rebuild()
    return position / (time.perf_counter() - started)


def rebuild_against_raw(planner: Planner, path: Path, pairs: int) -> list[tuple[float, float]]:
    """(raw read rows/s, rebuild events/s) measured back to back, `pairs` times.

    The machine is shared and its speed drifts by tens of percent within a minute: each ratio
    compares two runs made under the same conditions, and the median pair is reported. Each run
    starts from a checkpointed, truncated write-ahead log: a rebuild leaves hundreds of megabytes
    of view pages in it, which slow down every read after it (the raw read-back by 2-3x).
    """
    measured = []
    for _ in range(pairs):
        checkpoint_wal(path)
        raw = raw_read_rate(path)[1]
        checkpoint_wal(path)
        measured.append((raw, rebuild_rate(planner)))
    return measured


def checkpoint_wal(path: Path) -> None:
    """Copy the write-ahead log into the database file and truncate it."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def fold_only_rate(planner: Planner) -> float:
    """Events/s of reading, decoding and folding every event, no view computed or written: the
    floor under any views rebuild of this fold."""
    follower = planner.follower
    projector = ReadinessProjector()
    started = time.perf_counter()
    with collector_paused():
        while rows := follower.rows.read(projector.position, follower.read_size):
            projector.advance(follower.decoder.stream(rows))
    return projector.position / (time.perf_counter() - started)


# The views queried at both sizes: a camp (with its needs), an offer (expiry applied as of the
# time asked), the plan (its needs summed over the camps).
QUERIED = (("camp", "camp-3"), ("offer", "of-1"), ("plan", "bench"))


def query_latency(
    stores: list[tuple[Planner, _Clock]], kind: str, slug: str, samples: int = 300
) -> list[tuple[float, float]]:
    """Median seconds of one view query in each store: now, and as of past times spread
    evenly over its history (an as-of view folds the events after the checkpoint before that
    time, so its cost depends on where the time falls between two checkpoints, not on the
    history's length). The stores are queried in turn, sample by sample, so that a change in
    the machine's speed falls on all of them alike."""
    ids = [str(planner.service.id_of(kind, slug)) for planner, _ in stores]
    now_times: list[list[float]] = [[] for _ in stores]
    past_times: list[list[float]] = [[] for _ in stores]
    for i in range(samples):
        for n, (planner, clock) in enumerate(stores):
            moment = START + (clock.now - START) * (i + 0.5) / samples
            started = time.perf_counter()
            planner.queries.view(kind, ids[n])
            now_times[n].append(time.perf_counter() - started)
            started = time.perf_counter()
            planner.queries.view(kind, ids[n], as_of=moment)
            past_times[n].append(time.perf_counter() - started)
    return [
        (statistics.median(now), statistics.median(past))
        for now, past in zip(now_times, past_times, strict=True)
    ]


def read_your_writes(planner: Planner, clock: _Clock, samples: int = 100) -> float:
    """Median seconds from a saved command to its effect in the views (background follower)."""
    planner.follower.start()
    delays = []
    camp_id = str(planner.service.id_of("camp", "camp-1"))
    try:
        for _ in range(samples):
            clock.now += timedelta(minutes=1)
            result = planner.service.register_arrivals(camp="camp-1", people=1)
            started = time.perf_counter()
            planner.follower.poke()
            assert result.position is not None
            if not planner.follower.wait_for(result.position, timeout=5):
                raise RuntimeError("views did not catch up within 5 s")
            delays.append(time.perf_counter() - started)
            assert planner.queries.view("camp", camp_id) is not None
    finally:
        planner.follower.stop()
    return statistics.median(delays)


def main() -> None:
    """Run the three measurements and print them with their ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=5, help="raw read + rebuild pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, small_clock = fill(Path(tmp) / "small.db", 1_000)
        small.catch_up()
        delay = read_your_writes(small, small_clock)

        big, big_clock = fill(Path(tmp) / "big.db", args.events)
        rows, _ = raw_read_rate(Path(tmp) / "big.db")  # warms the page cache
        measured = rebuild_against_raw(big, Path(tmp) / "big.db", args.pairs)
        checkpoint_wal(Path(tmp) / "big.db")
        floor = [(raw_read_rate(Path(tmp) / "big.db")[1], fold_only_rate(big)) for _ in range(3)]
        pair = [(small, small_clock), (big, big_clock)]
        latencies = {kind: query_latency(pair, kind, slug) for kind, slug in QUERIED}
        small.close()
        big.close()

    print(f"stored events                         {rows:>12,}")
    for raw, rebuild in measured:
        print(
            f"raw sqlite3 read-back {raw:>9,.0f} rows/s, views rebuild (catch-up) "
            f"{rebuild:>9,.0f} events/s: {rebuild / raw:6.1%}"
        )
    raw, rebuild = sorted(measured, key=lambda pair: pair[1] / pair[0])[len(measured) // 2]
    print(f"raw sqlite3 read-back (median pair)   {raw:>12,.0f} rows/s")
    print(
        f"views rebuild (catch-up)              {rebuild:>12,.0f} events/s  "
        f"ratio {rebuild / raw:6.1%}  (target >= 25%)"
    )
    raw, fold = sorted(floor, key=lambda pair: pair[1] / pair[0])[len(floor) // 2]
    print(
        f"read, decode and fold only (no view)  {fold:>12,.0f} events/s  ratio {fold / raw:6.1%}"
        f"  (raw {raw:,.0f} rows/s; the floor under the rebuild)"
    )
    for kind, ((small_now, small_past), (big_now, big_past)) in latencies.items():
        print(f"{kind} query, 1,000 events {small_now * 1e6:>24,.0f} µs")
        print(
            f"{kind} query, {rows:,} events {big_now * 1e6:>16,.0f} µs  "
            f"ratio {big_now / small_now:5.2f}  (target <= 1.5)"
        )
        print(f"{kind} query as of past times, 1,000 {small_past * 1e6:>12,.0f} µs")
        print(
            f"{kind} query as of past times, {rows:,} {big_past * 1e6:>6,.0f} µs  "
            f"ratio {big_past / small_past:5.2f}  (target <= 1.5)"
        )
    print(f"read-your-writes median delay         {delay * 1e3:>12.1f} ms  (target < 20 ms)")


if __name__ == "__main__":
    main()
