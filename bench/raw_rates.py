"""The databases' own insert rates, the baseline the command rates are compared with."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from bench.workload import raw_events_table

RAW_STATE = b'{"people":1,"groups":{},"timestamp":{"_type_":"datetime_iso","_data_":"x"}}' * 2


def raw_sqlite(workdir: Path, seconds: float) -> tuple[float, float]:
    """Rows/s of plain sqlite3 into an events-like table, WAL, the library's other settings:
    one transaction per row, and executemany in one transaction."""
    import sqlite3

    conn = sqlite3.connect(workdir / "raw.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, topic TEXT, "
        "state BLOB, PRIMARY KEY (originator_id, originator_version))"
    )
    insert = "INSERT INTO raw VALUES (?, ?, ?, ?)"
    topic = "domain.camp:Camp.ArrivalsRegistered"
    per_row = _timed_rows(
        seconds,
        lambda n: (
            conn.execute("BEGIN"),
            conn.execute(insert, (uuid.uuid4().hex, n, topic, RAW_STATE)),
            conn.execute("COMMIT"),
        ),
    )
    rows = [(uuid.uuid4().hex, n, topic, RAW_STATE) for n in range(50_000)]
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(insert, rows)
    conn.execute("COMMIT")
    bulk = len(rows) / (time.perf_counter() - started)
    conn.close()
    return per_row, bulk


def raw_postgres(url: str, seconds: float) -> tuple[float, float]:
    """Rows/s of plain psycopg into an events-like table of a scratch schema: one transaction
    per row (autocommit), and executemany in one transaction."""
    with raw_events_table(url, "bench_raw") as (conn, table):
        insert = f"INSERT INTO {table} VALUES (%s, %s, %s, %s)"
        topic = "domain.camp:Camp.ArrivalsRegistered"
        per_row = _timed_rows(
            seconds,
            lambda n: conn.execute(insert, (uuid.uuid4(), n, topic, RAW_STATE), prepare=True),
        )
        rows = [(uuid.uuid4(), n, topic, RAW_STATE) for n in range(20_000)]
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(insert, rows)
        bulk = len(rows) / (time.perf_counter() - started)
    return per_row, bulk


def _timed_rows(seconds: float, insert_one: Any) -> float:
    """Rows/s of `insert_one(n)` called back to back for about `seconds`."""
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds:
        insert_one(n)
        n += 1
    return n / (time.perf_counter() - started)
