"""Field sync after a long outage: 10,000 field commands pushed to headquarters, and until when
the field's views equal headquarters'.

Prints, all measured in this one run, headquarters on PostgreSQL (a schema of its own, dropped
at the end; SQLite with --no-postgres) served by `planner serve`:
1. the direct rate: headquarters' service running the same commands itself, in-process, each
   with its rights checked in its own transaction (as API commands arrive one by one; measured
   on the first --one-by-one of them, it is slow), and run in groups of the push's size (as a
   group commit does under load) — each on a fresh copy of the same world, with the cyclic
   garbage collector paused as `planner replay` and headquarters receiving a push pause it;
2. the sync: a field instance (SQLite, `planner field init`) takes the commands offline, then
   one sync pushes them over HTTP (re-validated, recorded once each), pulls headquarters' new
   events and rebases: the push rate and its ratio to the direct rates (target >= 50 % of the
   grouped rate with the views brought up to date, as `planner replay` ends), and the time
   until the field's views equal headquarters' (checked).

    python bench/bench_sync.py [--commands 10000] [--one-by-one 2000] [--postgres-url URL]
                               [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.api_server import ADMIN_TOKEN, seed, server  # noqa: E402
from bench.http_load import COMMAND_CAMPS  # noqa: E402
from domain.rights import Actor  # noqa: E402
from domain.service import PlannerService  # noqa: E402
from planner.field.store import FieldStore  # noqa: E402
from planner.field.sync import PUSH_CHUNK, FieldSync  # noqa: E402
from planner.wiring import open_planner  # noqa: E402
from projections.follower import collector_paused  # noqa: E402

ADMIN = Actor("admin", None)
TARGET = 0.50
DEFAULT_PG = os.environ.get(
    "PLANNER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def commands(count: int) -> list[tuple[str, dict[str, object]]]:
    """Arrivals and facilities spread over the benchmark camps."""
    made: list[tuple[str, dict[str, object]]] = []
    for n in range(count):
        camp = COMMAND_CAMPS[n % len(COMMAND_CAMPS)]
        if n % 5 == 4:
            made.append(("build_facilities", {"camp": camp, "facility": "latrine", "count": 1}))
        else:
            made.append(("register_arrivals", {"camp": camp, "people": 1}))
    return made


def direct(
    url: str, work: list[tuple[str, dict[str, object]]], grouped: bool, views: bool = False
) -> float:
    """Commands/s of headquarters' service running `work` itself on a fresh world at `url`;
    with `views`, until its views are up to date too (as `planner replay` ends)."""
    seed(url, 0)
    planner = open_planner(url)
    try:
        service = planner.service
        start = time.perf_counter()
        with collector_paused():  # as `planner replay` and headquarters receiving a push do
            run(service, work, grouped)
        if views:
            planner.catch_up()
        return len(work) / (time.perf_counter() - start)
    finally:
        planner.close()


def run(service: PlannerService, work: list[tuple[str, dict[str, object]]], grouped: bool) -> None:
    """Run `work` as headquarters' own commands: in groups of the push's size, or one by one."""
    if grouped:
        for first in range(0, len(work), PUSH_CHUNK):
            chunk = work[first : first + PUSH_CHUNK]
            answers = service.execute_group([(c, a, None, ADMIN) for c, a in chunk])
            assert not any(isinstance(a, Exception) for a in answers)
    else:
        for command, args in work:
            service.execute(command, args, actor=ADMIN)


def synced(
    url: str, work: list[tuple[str, dict[str, object]]], workdir: Path
) -> tuple[float, float]:
    """(push commands/s, seconds until the field's views equal headquarters') over HTTP."""
    seed(url, 0)
    with server(url, workdir) as base:
        hq = f"http://{base}"
        field = workdir / "field.sqlite"
        plain = open_planner(str(field))
        FieldStore.of(plain.service).create(str(uuid.uuid4()), hq, ADMIN_TOKEN, [])
        plain.close()
        planner = open_planner(str(field))
        try:
            sync = FieldSync(planner)
            sync.sync()
            for first in range(0, len(work), 1000):
                planner.service.execute_all(work[first : first + 1000], actor=ADMIN)
            assert sync.store.counts()["waiting"] == len(work)
            start = time.perf_counter()
            pushed = sync.push()
            push_seconds = time.perf_counter() - start
            sync.pull()
            until_equal = time.perf_counter() - start
            assert pushed == len(work) and sync.store.counts()["applied"] == len(work)
            check_equal(planner, url)
            sync.close()
        finally:
            planner.close()
    return len(work) / push_seconds, until_equal


def check_equal(field: object, url: str) -> None:
    """The field's camp views equal headquarters' (positions aside)."""
    hq = open_planner(url)
    try:
        for camp in COMMAND_CAMPS:
            views = [
                p.queries.view("camp", str(p.service.id_of("camp", camp)))  # type: ignore[attr-defined]
                for p in (field, hq)
            ]
            for doc in views:
                assert doc is not None
                doc.pop("position", None)
                doc.pop("updated_at", None)
            assert views[0] == views[1], camp
    finally:
        hq.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--one-by-one", type=int, default=2_000)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = commands(args.commands)
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    schemas: list[str] = []

    def store(name: str) -> str:
        if args.no_postgres:
            return str(workdir / f"{name}.sqlite")
        schema = f"bench_sync_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        separator = "&" if "?" in args.postgres_url else "?"
        return f"{args.postgres_url}{separator}schema={schema}"

    kind = "SQLite" if args.no_postgres else "PostgreSQL"
    try:
        print(f"headquarters on {kind}; {len(work)} field commands; push chunk {PUSH_CHUNK}")
        one = direct(store("direct-one"), work[: args.one_by_one], grouped=False)
        print(f"direct, one transaction each : {one:9.0f} commands/s  (first {args.one_by_one})")
        grouped = direct(store("direct-grouped"), work, grouped=True)
        print(f"direct, groups of {PUSH_CHUNK:<4}       : {grouped:9.0f} commands/s")
        replayed = direct(store("direct-replayed"), work, grouped=True, views=True)
        print(f"direct, groups + views (replay): {replayed:7.0f} commands/s")
        rate, until_equal = synced(store("synced"), work, workdir)
        print(f"sync push over HTTP          : {rate:9.0f} commands/s")
        print(f"ratio to one by one          : {rate / one:9.0%}")
        print(f"ratio to groups              : {rate / grouped:9.0%}")
        print(
            f"ratio to groups + views      : {rate / replayed:9.0%}  (target >= {TARGET:.0%}: "
            f"{'met' if rate / replayed >= TARGET else 'NOT met'})"
        )
        print(
            f"sync until views equal       : {len(work) / until_equal:9.0f} commands/s, "
            f"{len(work) / until_equal / replayed:.0%} of groups + views"
        )
        print(f"until the field's views equal headquarters': {until_equal:.1f} s (checked)")
    finally:
        for schema in schemas:
            with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
