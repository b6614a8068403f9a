"""The banner a field instance's dashboard shows on every page: when it last synced with
headquarters, how many of its commands wait, and its conflicts (docs/field.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def field_notes(status: dict[str, Any]) -> list[str]:
    """The banner's lines for a sync status (none at headquarters)."""
    if not status.get("field"):
        return []
    counts = status["counts"]
    synced = status.get("last_sync_at")
    when = datetime.fromtimestamp(synced, UTC).strftime("%Y-%m-%d %H:%M UTC") if synced else "never"
    notes = [
        f"Field instance: last synced with headquarters {when}; {counts['waiting']} "
        f"command(s) waiting to be confirmed (shown applied on top of headquarters' state), "
        f"{counts['applied']} applied there."
    ]
    if counts["conflict_open"]:
        notes.append(
            f"{counts['conflict_open']} command(s) refused by headquarters are open conflicts "
            "(not shown in the views): a coordinator resolves them (GET /sync/outbox, "
            "planner conflicts)."
        )
    if status.get("last_error"):
        notes.append(f"Last sync failed: {status['last_error']}")
    return notes
