"""What the commands say about a store: new (no events yet) or how many events it holds."""

from __future__ import annotations

from planner.config import database_url, sqlite_file
from planner.wiring import Planner

FILL_HINT = "planner replay --db {url} scenarios/*.yaml fills it; planner demo shows a filled one"


def missing_sqlite_file(url: str | None) -> str | None:
    """The message for a SQLite store whose file does not exist yet (None if it does, or if
    the store is not a SQLite file)."""
    url = database_url(url)
    path = sqlite_file(url)
    if path is None or path.exists():
        return None
    return f"there is no store at {url} (no such file)"


def describe_store(planner: Planner) -> str:
    """`store URL: 1,234 events` or `store URL is new: no events yet (…how to fill it)`."""
    events = planner.service.recorder.max_notification_id() or 0
    if events == 0:
        return f"store {planner.url} is new: no events yet ({FILL_HINT.format(url=planner.url)})"
    return f"store {planner.url}: {events:,} events"
