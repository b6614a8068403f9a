"""HTTP API under load: real `planner serve` processes, load from separate processes on 127.0.0.1.

Prints, all measured in this one run:
1. requests/s and p50/p99 of a readiness query (`GET /camps/{camp}`, viewer token) next to a
   trivial endpoint of the same server (`GET /healthz`), and the ratio (target >= 60 %);
2. per store (SQLite; PostgreSQL in a schema created and dropped by the benchmark): the
   database's own rates, measured first (one transaction per row; executemany in one
   transaction), then for 1 and 2 uvicorn workers: read-your-writes (a command's answer to its
   view with `?after=`, median target < 20 ms) and, at 8 and 32 clients, sustained commands
   (`POST /camps/{camp}/arrivals` over four camps): commands/s, p50/p99 (target p99 < 100 ms
   at 8 clients), the ratios to the raw rates (target on PostgreSQL with 2 workers at 32
   clients: >= 40 % of one transaction per row), and the final state checked: every camp's
   population grew by exactly the people of the arrivals answered with success, in the views
   and in the event store (nothing lost, nothing counted twice); with 1 worker at 8 clients,
   also with an Idempotency-Key of its own on every command (the key's cost, as a ratio).

Reads are loaded with `wrk` when it is installed (else the Python generator); commands always
with the Python generator (threads over a few processes, http.client with keep-alive), because
it knows exactly which requests were answered. Each command run is warmed up first (unmeasured).
Every phase is bounded by its duration; the servers are stopped at the end. The machine is
shared and noisy: compare the ratios, not the absolute figures.

    python bench/bench_api.py [--duration 5] [--command-duration 5] [--clients 8 32]
                              [--workers 1 2] [--postgres-url postgresql://...] [--no-postgres]
                              [--python-load]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_server import ADMIN_TOKEN, VIEWER_TOKEN, seed, server  # noqa: E402
from bench.http_load import (  # noqa: E402
    COMMAND_CAMPS,
    Load,
    python_load,
    request,
    show_load,
    wrk_load,
)
from bench.raw_rates import raw_postgres, raw_sqlite  # noqa: E402
from domain.camp import Camp  # noqa: E402
from planner.wiring import open_planner  # noqa: E402

READ_CAMP = "camp-3"
PEOPLE = 1
TARGET_RATIO = 0.60
RYW_TARGET_MS = 20.0
PER_ROW_TARGET = 0.40  # PostgreSQL, 2 workers, 32 clients: of the raw one-transaction-per-row
P99_TARGET_MS = 100.0  # at 8 clients
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


# -- the phases --------------------------------------------------------------------------------


def read_phase(base: str, args: argparse.Namespace) -> tuple[Load, Load]:
    """The trivial endpoint and the readiness query, one after the other, same settings."""
    status, doc = request(base, "GET", f"/camps/{READ_CAMP}", token=VIEWER_TOKEN)
    if status != 200 or doc.get("camp") != READ_CAMP:
        raise RuntimeError(f"GET /camps/{READ_CAMP} answered {status}: {doc}")
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    results = []
    for path in ("/healthz", f"/camps/{READ_CAMP}"):
        if use_wrk:
            load = wrk_load(
                base,
                path,
                VIEWER_TOKEN,
                connections=args.connections,
                threads=args.wrk_threads,
                seconds=args.duration,
            )
        else:
            load, _ = python_load(
                base, "GET", path, VIEWER_TOKEN, clients=args.connections, seconds=args.duration
            )
        results.append(load)
    return results[0], results[1]


@dataclass
class CommandRun:
    load: Load
    expected: dict[str, int]
    actual: dict[str, int]
    stored_ok: bool
    first_quarter: float  # stored commands/s in the first and the last quarter of the run
    last_quarter: float


def populations(base: str, query: str = "") -> dict[str, int]:
    """The population of each of the command phase's camps (`GET /camps/{camp}{query}`)."""
    found: dict[str, int] = {}
    for camp in COMMAND_CAMPS:
        path = f"/camps/{camp}{query}"
        status, doc = request(base, "GET", path, token=ADMIN_TOKEN)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {doc}")
        found[camp] = doc["population"]
    return found


def command_phase(
    base: str, args: argparse.Namespace, clients: int, *, keyed: bool = False
) -> CommandRun:
    """Arrivals from `clients` processes over four camps; then the populations are checked.
    `keyed`: each command with an Idempotency-Key of its own."""
    _, warm = python_load(  # each worker process's first requests are slower: not measured
        base,
        "POST",
        "/camps/{i}/arrivals",
        ADMIN_TOKEN,
        clients=clients,
        seconds=args.warmup,
        body={"people": PEOPLE},
    )
    before = populations(base, f"?after={max((r['max_position'] for r in warm), default=0)}")
    started = time.time()
    load, results = python_load(
        base,
        "POST",
        "/camps/{i}/arrivals",
        ADMIN_TOKEN,
        clients=clients,
        seconds=args.command_duration,
        body={"people": PEOPLE},
        keyed=keyed,
    )
    successes: Counter[str] = Counter()
    for r in results:
        camp = r["path"].split("/")[2]
        successes[camp] += sum(n for s, n in r["statuses"].items() if 200 <= s < 300)
    last = max((r["max_position"] for r in results), default=0)
    expected = {camp: before[camp] + successes[camp] * PEOPLE for camp in COMMAND_CAMPS}
    actual = populations(base, f"?after={last}")
    done = sorted(t for r in results for t in r["done_at"])
    quarter = args.command_duration / 4
    end = max(done, default=started)
    first = sum(1 for t in done if t < done[0] + quarter) / quarter if done else 0.0
    last = sum(1 for t in done if t > end - quarter) / quarter if done else 0.0
    return CommandRun(load, expected, actual, True, first, last)


def read_your_writes(base: str, rounds: int = 40) -> tuple[float, float]:
    """Median and worst ms from a command's answer to its view (`GET ?after=position`),
    each on a new connection (with several workers, maybe another process)."""
    waits: list[float] = []
    for n in range(rounds):
        status, doc = request(
            base, "POST", f"/camps/{COMMAND_CAMPS[n % 4]}/arrivals", {"people": 1}, ADMIN_TOKEN
        )
        if status != 200:
            raise RuntimeError(f"arrivals answered {status}: {doc}")
        started = time.perf_counter()
        status, view = request(
            base, "GET", f"/camps/{COMMAND_CAMPS[n % 4]}?after={doc['position']}", None, ADMIN_TOKEN
        )
        waits.append(1000 * (time.perf_counter() - started))
        if status != 200:
            raise RuntimeError(f"GET ?after= answered {status}: {view}")
    waits.sort()
    return waits[len(waits) // 2], waits[-1]


def check_event_store(url: str, run: CommandRun) -> None:
    """The aggregates themselves (not only the views) hold the expected populations."""
    planner = open_planner(url)
    try:
        for camp in COMMAND_CAMPS:
            aggregate = planner.service.load("camp", camp, Camp)
            if aggregate.population["people"] != run.expected[camp]:
                run.stored_ok = False
    finally:
        planner.close()


# -- main --------------------------------------------------------------------------------------


@dataclass
class StoreRun:
    """One store's figures: its raw rates and a command run per (workers, clients)."""

    name: str
    raw_per_row: float = 0.0
    raw_bulk: float = 0.0
    commands: dict[tuple[int, int], CommandRun] = field(default_factory=dict)
    keyed: CommandRun | None = None  # 1 worker, 8 clients, an Idempotency-Key per command
    read_your_writes: dict[int, tuple[float, float]] = field(default_factory=dict)
    reads: dict[str, tuple[Load, Load]] = field(default_factory=dict)  # where -> healthz, view
    skipped: str = ""


def store_run(
    name: str, url: str, args: argparse.Namespace, workdir: Path, reads: list[Load]
) -> StoreRun:
    """Seed the store, measure the raw rates, then commands with each worker and client count."""
    run = StoreRun(name)
    stored = seed(url, args.busy)
    print(f"{name}: {stored} commands seeded", flush=True)
    if name == "SQLite":
        run.raw_per_row, run.raw_bulk = raw_sqlite(workdir, args.raw_duration)
    else:
        run.raw_per_row, run.raw_bulk = raw_postgres(args.postgres_url, args.raw_duration)
    for workers in args.workers:
        with server(url, workdir, workers=workers) as base:
            if name == "SQLite" and workers == 1 and not reads:
                reads.extend(read_phase(base, args))
            run.read_your_writes[workers] = read_your_writes(base)
            for clients in args.clients:
                command_run = command_phase(base, args, clients)
                check_event_store(url, command_run)
                run.commands[(workers, clients)] = command_run
                print(
                    f"  {workers} worker(s), {clients} clients: {command_run.load.rate:,.0f} "
                    f"commands/s",
                    flush=True,
                )
            if workers == 1 and 8 in args.clients:
                run.keyed = command_phase(base, args, 8, keyed=True)
                check_event_store(url, run.keyed)
    return run


def postgres_store(args: argparse.Namespace, workdir: Path, reads: list[Load]) -> StoreRun:
    try:
        import psycopg

        with psycopg.connect(args.postgres_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # no server: report and go on
        return StoreRun("PostgreSQL", skipped=f"not available at {args.postgres_url} ({error})")
    schema = f"bench_api_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{args.postgres_url}?schema={schema}"
        run = store_run("PostgreSQL", url, args, workdir, reads)
        replica = _replica(args)
        places = [("primary", None)] + (
            [("replica", f"{replica}?schema={schema}")] if replica else []
        )
        for where, read_url in places:
            with server(url, workdir, read_url=read_url) as base:
                run.reads[where] = read_phase(base, args)
                if read_url:
                    run.read_your_writes[-1] = read_your_writes(base)
        return run
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _replica(args: argparse.Namespace) -> str | None:
    """The streaming replica's URL if one runs (bench/pg_replica.py makes it), else None."""
    if args.replica_url == "none":
        return None
    from bench.pg_replica import is_streaming_replica, replica_url

    url = args.replica_url or replica_url()
    return url if is_streaming_replica(url) else None


def show_store(run: StoreRun) -> bool:
    """Print one store's table; True if every run's populations matched."""
    if run.skipped:
        print(f"  {run.name}: skipped: {run.skipped}")
        return True
    print(
        f"  {run.name}: raw one transaction per row {run.raw_per_row:,.0f} rows/s, "
        f"raw executemany {run.raw_bulk:,.0f} rows/s"
    )
    for where, (trivial, readiness) in run.reads.items():
        show_load(f"reads from the {where}: GET /healthz", trivial)
        show_load(f"reads from the {where}: GET /camps/{READ_CAMP}", readiness)
        print(f"    readiness / trivial: {readiness.rate / trivial.rate:.0%}")
    for workers, (median, worst) in sorted(run.read_your_writes.items()):
        verdict = "meets" if median < RYW_TARGET_MS else "MISSES"
        label = "replica reads" if workers < 0 else f"{workers} worker{'s' * (workers > 1)}"
        print(
            f"    {label} read-your-writes (answer to view, "
            f"new connection): median {median:.1f} ms, worst {worst:.1f} ms ({verdict} the "
            f"{RYW_TARGET_MS:.0f} ms target)"
        )
    ok = True
    for (workers, clients), command_run in sorted(run.commands.items()):
        load = command_run.load
        good = (
            command_run.expected == command_run.actual
            and command_run.stored_ok
            and load.errors == 0
        )
        ok = ok and good
        refused = {s: n for s, n in load.statuses.items() if not 200 <= s < 300}
        print(
            f"    {workers} worker{'s' if workers > 1 else ' '} {clients:>3} clients "
            f"{load.rate:>7,.0f} commands/s  p50 {load.p50_ms:6.1f} ms  p99 {load.p99_ms:6.1f} ms"
            f"  {load.rate / run.raw_per_row:6.1%} of 1-txn/row  "
            f"{load.rate / run.raw_bulk:6.2%} of executemany  "
            f"populations {'match' if good else 'DO NOT MATCH'}{_verdicts(run, workers, clients)}"
            f"{f' refused {refused}' if refused else ''}"
            f"{f' {load.errors} socket errors' if load.errors else ''}"
        )
        if not good:
            print(f"      expected {command_run.expected}, views {command_run.actual}")
    if run.keyed is not None and (1, 8) in run.commands:
        keyed, plain = run.keyed.load, run.commands[(1, 8)].load
        good = run.keyed.expected == run.keyed.actual and run.keyed.stored_ok
        ok = ok and good and keyed.errors == 0
        print(
            f"    1 worker    8 clients, an Idempotency-Key each: {keyed.rate:,.0f} commands/s"
            f"  p50 {keyed.p50_ms:.1f} ms  p99 {keyed.p99_ms:.1f} ms  "
            f"{keyed.rate / plain.rate:.0%} of the unkeyed rate  "
            f"populations {'match' if good else 'DO NOT MATCH'}"
        )
    return ok


def _verdicts(run: StoreRun, workers: int, clients: int) -> str:
    load = run.commands[(workers, clients)].load
    notes = []
    if clients == 8:
        notes.append(
            f"p99 {'<' if load.p99_ms < P99_TARGET_MS else 'NOT <'} {P99_TARGET_MS:.0f} ms"
        )
    if run.name == "PostgreSQL" and (workers, clients) == (2, 32):
        share = load.rate / run.raw_per_row
        notes.append(f"{'meets' if share >= PER_ROW_TARGET else 'MISSES'} {PER_ROW_TARGET:.0%}")
    return f" [{'; '.join(notes)}]" if notes else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per read endpoint")
    parser.add_argument("--command-duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--raw-duration", type=float, default=2.0, help="seconds of raw rows")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--busy", type=int, default=300, help="commands seeded after the setup")
    parser.add_argument("--postgres-url", default=os.environ.get("PLANNER_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--replica-url",
        help="streaming replica to read views from (default: 127.0.0.1:5433 if it streams; "
        "'none' to skip; bench/pg_replica.py makes one)",
    )
    parser.add_argument("--python-load", action="store_true", help="do not use wrk for reads")
    args = parser.parse_args()
    args.postgres_url = args.postgres_url or DEFAULT_POSTGRES_URL

    reads: list[Load] = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        workdir = Path(tmp)
        runs = [store_run("SQLite", str(workdir / "bench.sqlite"), args, workdir, reads)]
        if args.no_postgres:
            runs.append(StoreRun("PostgreSQL", skipped="--no-postgres"))
        else:
            runs.append(postgres_store(args, workdir, reads))

    print()
    if reads:
        trivial, readiness = reads
        print("Reads (one uvicorn worker, SQLite, same server, same run):")
        show_load("GET /healthz (trivial)", trivial)
        show_load(f"GET /camps/{READ_CAMP} (readiness)", readiness)
        ratio = readiness.rate / trivial.rate if trivial.rate else 0.0
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        print(
            f"  readiness / trivial throughput: {ratio:.0%} ({verdict} the target of "
            f"{TARGET_RATIO:.0%}); p50 {readiness.p50_ms / trivial.p50_ms:.2f}x"
        )
        print()
    print(
        "Commands (POST /camps/{camp}/arrivals over four camps, sustained; ratios against the "
        "same database's raw rates measured in this run):"
    )
    ok = True
    for run in runs:
        ok = show_store(run) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
