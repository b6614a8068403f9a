"""Replay speed: a generated scenario of 200,000+ steps vs a raw sqlite3 bulk insert.

Prints replay events/s (store phase, and end to end with the views caught up), the raw
`sqlite3` bulk-insert rate of the same number of rows measured in the same run, the ratio
(target ≥ 20 %), and the replay's peak memory (target < 500 MB), measured in a child process.
The replay and the raw insert are each run --runs times (default 3), in turn, and the best of
each is compared: the raw insert alone moves by a third from run to run on a shared machine.

With PostgreSQL on 127.0.0.1:5432 (or --postgres-url), a second run replays a scenario of
--pg-steps steps into a scratch schema (batches stored with COPY, adapters/postgres.py) and prints
its rate next to a raw binary COPY of as many event-like rows measured in the same run (best of
three), with the ratio.

    python bench/bench_replay.py [--steps 200000] [--pg-steps 50000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import busy_steps, raw_events_table, scenario_yaml


def final_check(steps: int) -> str:
    """A check after the last step, so that the replay folds every event (as it would anyway)."""
    people = sum(
        args["people"]
        for command, args in busy_steps(steps)
        if command == "register_arrivals" and args["camp"] == "camp-0"
    )
    return f"checks:\n  - {{at: '+1000d', camp: camp-0, expect: {{population: {people}}}}}\n"


def raw_bulk_insert(rows: int, path: Path) -> float:
    """Rows/s of a plain sqlite3 insert of event-like rows in one transaction (WAL)."""
    payload = b'{"item":"water","quantity":1000,"source_id":null,"timestamp":' + b"x" * 200 + b"}"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
        "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO stored_events VALUES (?, ?, ?, ?)",
            (
                (f"{i % 50:032x}", i, "domain.camp:Camp.ArrivalsRegistered", payload)
                for i in range(rows)
            ),
        )
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


def raw_copy(rows: int, url: str) -> float:
    """Rows/s of a plain psycopg binary COPY of event-like rows into a scratch schema's table."""
    import uuid

    payload = b'{"item":"water","quantity":1000,"source_id":null,"timestamp":' + b"x" * 200 + b"}"
    ids = [uuid.UUID(int=i % 50 + 1) for i in range(50)]
    with raw_events_table(url, "bench_copy") as (conn, table):
        started = time.perf_counter()
        statement = (
            f"COPY {table} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        )
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for i in range(rows):
                copy.write_row((ids[i % 50], i, "domain.camp:Camp.ArrivalsRegistered", payload))
        elapsed = time.perf_counter() - started
    return rows / elapsed


def postgres_run(steps: int, url: str, tmp: Path) -> None:
    """Replay into a PostgreSQL schema next to raw COPY; print the figures (or why not)."""
    import uuid

    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # no server: say so
        print(f"PostgreSQL: skipped ({error})")
        return
    scenario_path = tmp / "busy-pg.yaml"
    scenario_path.write_text(scenario_yaml(steps) + final_check(steps))
    schema = f"bench_replay_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(scenario_path), f"{url}?schema={schema}"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        replay = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    raw = max(raw_copy(int(replay["events"]), url) for _ in range(3))
    rate = replay["events"] / replay["replay_s"]
    print()
    print(f"PostgreSQL ({url}):")
    print(f"steps                          {replay['steps']:>12,}")
    print(f"events stored                  {replay['events']:>12,}")
    print(f"raw COPY (binary), same rows   {raw:>12,.0f} rows/s")
    print(f"replay (planner replay)        {rate:>12,.0f} events/s  ratio {rate / raw:6.1%}")
    print(f"replay peak memory             {replay['peak_mb']:>12.0f} MB")


def child(scenario_path: str, db_path: str) -> None:
    """Replay in this (child) process and print timings and peak memory as JSON."""
    from planner.replay import replay_scenario
    from planner.scenario import load_scenario

    started = time.perf_counter()
    scenario = load_scenario(scenario_path)
    parsed = time.perf_counter()
    report = replay_scenario(scenario, db_path, materialize=False)
    replayed = time.perf_counter()
    if not report.ok:
        raise SystemExit(f"replay failed: {report.error}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from planner.wiring import open_planner

    views_started = time.perf_counter()
    open_planner(db_path).close()  # materialises the views (catch-up from event 1)
    views_s = time.perf_counter() - views_started
    print(
        json.dumps(
            {
                "steps": len(scenario.steps),
                "events": report.events_stored,
                "parse_s": parsed - started,
                "replay_s": replayed - parsed,
                "peak_mb": peak_kb / 1024,
                "views_s": views_s,
            }
        )
    )


def store_only(scenario_path: str, db_path: str) -> dict[str, float]:
    """Time the store phase alone (batched commands, no views, no fold) as the replay runs it."""
    from domain.base import workspace_namespace
    from domain.service import PlannerService
    from planner.config import persistence_env
    from planner.replay import (
        BATCH_STEPS,
        SimulatedClock,
        created_entities,
        service_args,
    )
    from planner.scenario import load_scenario
    from projections.follower import collector_paused

    scenario = load_scenario(scenario_path)
    clock = SimulatedClock(scenario.start)
    env = persistence_env(db_path) | {"CREATE_TABLE": "y"}
    service = PlannerService(env, namespace=workspace_namespace(scenario.slug), clock_fn=clock)
    started = time.perf_counter()
    with collector_paused(), service.batch():
        service.known_absent(created_entities(scenario.steps))
        for index, step in enumerate(scenario.steps, start=1):
            clock.now = step.at
            service.execute(step.command, service_args(scenario, step))
            if index % BATCH_STEPS == 0:
                service.flush()
    elapsed = time.perf_counter() - started
    events = service.recorder.max_notification_id() or 0
    service.close()
    return {"events": events, "store_s": elapsed}


def replay_in_child(scenario_path: Path, db_path: Path) -> dict[str, float]:
    """One replay of the scenario in a child process (its own peak memory): its timings."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(scenario_path), str(db_path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    timings: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return timings


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--pg-steps", type=int, default=50_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PLANNER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--runs", type=int, default=3, help="replays and raw inserts, best of")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        scenario_path = Path(tmp) / "busy.yaml"
        scenario_path.write_text(scenario_yaml(args.steps) + final_check(args.steps))
        # The best of --runs each, taken in turn: a single run is easily slowed down by other
        # work on the machine, and the raw insert alone moves by a third between runs.
        replays, raws = [], []
        for run in range(args.runs):
            replays.append(replay_in_child(scenario_path, Path(tmp) / f"r{run}.db"))
            raws.append(raw_bulk_insert(int(replays[-1]["events"]), Path(tmp) / f"raw{run}.db"))
        replay = min(replays, key=lambda r: r["replay_s"]) | {
            "peak_mb": max(r["peak_mb"] for r in replays)
        }
        raw = max(raws)
        store = store_only(str(scenario_path), str(Path(tmp) / "s.db"))
    store_rate = store["events"] / store["store_s"]
    replay_rate = replay["events"] / replay["replay_s"]
    views_rate = replay["events"] / replay["views_s"]
    print(f"steps                          {replay['steps']:>12,}")
    print(f"events stored                  {replay['events']:>12,}")
    print(f"parse scenario file            {replay['parse_s']:>12.1f} s")
    print(f"raw sqlite3 bulk insert        {raw:>12,.0f} rows/s")
    print(
        f"commands applied and stored    {store_rate:>12,.0f} events/s  "
        f"ratio {store_rate / raw:6.1%}"
    )
    print(
        f"replay (planner replay: store, {replay_rate:>12,.0f} events/s  "
        f"ratio {replay_rate / raw:6.1%}  (target >= 20%)"
    )
    print("  fold, checks as it goes)")
    print(
        f"materialising the views after  {views_rate:>12,.0f} events/s  "
        f"ratio {views_rate / raw:6.1%}  (only with --db)"
    )
    print(f"replay peak memory             {replay['peak_mb']:>12.0f} MB  (target < 500 MB)")
    if not args.no_postgres:
        with tempfile.TemporaryDirectory() as tmp:
            postgres_run(args.pg_steps, args.postgres_url, Path(tmp))


if __name__ == "__main__":
    main()
