"""Where a command's time goes under load: py-spy samples a real `planner serve` under load.

Starts the benchmark's server (bench_api), sends arrivals from several client processes, and
samples every thread of the server with py-spy while they run (wall clock, waits included; with
--gil only the samples of threads holding the GIL: where the Python CPU time goes). Each
sample's stack is put in the first category whose pattern it matches (most specific first);
prints the share of each category in the request threads, and the follower thread apart.

    python bench/profile_commands.py [--store sqlite|postgres] [--clients 8] [--seconds 12]
                                     [--gil] [--keyed]

Needs py-spy (`pip install py-spy`) and the right to attach to a process (ptrace).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_server import ADMIN_TOKEN, SERVER_PIDS, seed, server  # noqa: E402
from bench.bench_api import DEFAULT_POSTGRES_URL, PEOPLE  # noqa: E402
from bench.http_load import python_load  # noqa: E402

# (category, substrings of a frame): the first category with a matching frame, from the leaf up.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idempotency record", ("api/idempotency.py",)),
    ("token and policy checks", ("api/auth.py", "domain/rights.py", "api/policy.py")),
    ("event encoding (mapper, orjson)", ("adapters/transcoder.py", "to_stored_event")),
    ("commit (insert, COMMIT, fsync)", ("insert_events", "_store (domain/service_core.py")),
    (
        "aggregate load",
        ("repository.py", "load (domain/service_core.py", "exists (domain/service_core"),
    ),
    ("domain validation and events", ("domain/",)),
    ("waking the follower", ("poke (projections",)),
    ("HTTP, validation, response", ("fastapi/", "pydantic", "starlette/", "api/", "anyio/")),
    ("fold and write views", ("projections/",)),
)
WAITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("waiting for a database connection", ("ConnectionPool.get_connection", "psycopg_pool")),
    ("waiting for the events table lock", ("_lock_table",)),
    ("waiting for its group to be stored", ("group_commit.py",)),
    ("waiting for the command lock", ("locking.py", "_rights_lock")),
    ("waiting for the per-entity write lock", ("_execute (api/commands.py",)),
)
_BLOCKING_LEAVES = ("wait (", "acquire (", "_execute (api/commands.py")


def categorize(stack: list[str]) -> str:
    """The category of one sample of a busy thread (its frames, outermost first)."""
    leaf = stack[-1] if stack else ""
    if any(leaf.startswith(b) or b in leaf for b in _BLOCKING_LEAVES):
        for name, patterns in WAITS:
            if any(p in frame for frame in stack for p in patterns):
                return name
    for name, patterns in CATEGORIES:
        if any(p in frame for frame in reversed(stack) for p in patterns):
            return name
    return "other"


def analyse(raw: Path) -> dict[str, Counter[str]]:
    """Samples per category: request threads, the event loop thread, the follower thread."""
    found: dict[str, Counter[str]] = {
        "requests": Counter(),
        "loop": Counter(),
        "follower": Counter(),
    }
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text:
            continue
        frames = stack_text.split(";")
        thread, stack = frames[0], frames[1:]
        text = ";".join(stack)
        if "readiness-follower" in thread:
            idle = "ProjectionFollower._run" in text and "catch_up" not in text
            key = "idle (waiting for work)" if idle else categorize(stack)
            found["follower"][key] += int(count_text)
        elif "MainThread" in thread:
            idle = not stack or stack[-1].startswith(("Runner.run ", "run_forever "))
            found["loop"]["idle" if idle else categorize(stack)] += int(count_text)
        elif "AnyIO worker" in thread and "endpoint" in text:  # not an idle pool thread
            found["requests"][categorize(stack)] += int(count_text)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    parser.add_argument("--keep", type=Path, help="copy py-spy's raw samples to this file")
    parser.add_argument("--keyed", action="store_true", help="an Idempotency-Key per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-commands-") as tmp:
        workdir = Path(tmp)
        schema = None
        if args.store == "sqlite":
            url = str(workdir / "profile.sqlite")
        else:
            import psycopg

            schema = f"profile_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{args.postgres_url}?schema={schema}"
        try:
            seed(url, 100)
            raw = workdir / "profile.txt"
            with server(url, workdir) as base:
                spy = [
                    "py-spy", "record", "--pid", str(SERVER_PIDS[base]),
                    "--gil" if args.gil else "--idle", "--threads",
                    "--format", "raw", "--rate", str(args.rate),
                    "--duration", str(int(args.seconds) - 2), "--output", str(raw),
                ]  # fmt: skip
                spy[0] = str(Path(sys.executable).with_name("py-spy"))
                sampler = threading.Thread(
                    target=subprocess.run, args=(spy,), kwargs={"capture_output": True}
                )
                sampler.start()
                load, _ = python_load(
                    base, "POST", "/camps/{i}/arrivals", ADMIN_TOKEN,
                    clients=args.clients, seconds=args.seconds, body={"people": PEOPLE},
                    keyed=args.keyed,
                )  # fmt: skip
                sampler.join()
            found = analyse(raw)
            if args.keep is not None:
                args.keep.write_bytes(raw.read_bytes())
        finally:
            if schema is not None:
                import psycopg

                with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(
        f"{args.store}, {args.clients} clients: {load.rate:,.0f} commands/s, "
        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
    )
    titles = {
        "requests": "request threads (thread-pool threads running a command)",
        "loop": "event loop thread (HTTP parsing, routing, responses)",
        "follower": "follower thread",
    }
    for part, title in titles.items():
        counts = found[part]
        total = sum(counts.values())
        print(f"{title}: {total:,} samples")
        for name, count in counts.most_common():
            print(f"  {name:<42} {count / max(1, total):6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
