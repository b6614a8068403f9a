"""Waking the projection follower when another process stores events.

In one process the API pokes the follower after each command. When the commands are stored by
other processes (`planner serve --workers N`, `planner project`), the follower hears of them:
on PostgreSQL by LISTENing on the channel the library's recorder NOTIFYs with every insert; on
SQLite (no notifications) by polling the log more often. Read-your-writes through another
process then waits for the fold, not for the next poll.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from planner.config import is_postgres, persistence_env
from planner.wiring import Planner

SQLITE_POLL_INTERVAL = 0.005  # seconds: a primary-key MAX() per poll, cheap
_RECONNECT_DELAY = 1.0


def wake_on_store(planner: Planner) -> threading.Event:
    """Wake the follower on other processes' inserts; set the returned event to stop."""
    stop = threading.Event()
    env = persistence_env(planner.url)
    channel = getattr(planner.service.recorder, "channel_name", None)
    if not is_postgres(env) or channel is None:
        planner.follower.poll_interval = SQLITE_POLL_INTERVAL
        return stop
    thread = threading.Thread(
        target=_listen, args=(planner, env, channel, stop), name="readiness-notify", daemon=True
    )
    thread.start()
    return stop


def _listen(planner: Planner, env: dict[str, str], channel: str, stop: threading.Event) -> None:
    import psycopg
    from psycopg import sql

    while not stop.is_set():
        try:
            with psycopg.connect(**_connect_args(env), autocommit=True) as conn:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                planner.follower.poke()  # anything stored while not listening
                while not stop.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        planner.follower.poke()
        except psycopg.Error:
            time.sleep(_RECONNECT_DELAY)


def _connect_args(env: dict[str, str]) -> dict[str, Any]:
    return {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "user": env["POSTGRES_USER"],
        "password": env.get("POSTGRES_PASSWORD") or None,
        "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
    }
