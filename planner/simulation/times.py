"""Times as a simulation report writes them: offsets from the scenario's start, delays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

DAY: Final = timedelta(days=1)
HOUR: Final = timedelta(hours=1)


def offset_text(delta: timedelta) -> str:
    """An offset as a scenario writes it: +23d, +2d12h, +90m (never negative)."""
    total = max(0, int(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    return "+" + (text or "0d")


def duration_words(delta: timedelta) -> str:
    """A delay as an adjective: '2-day', '36-hour', '90-minute'."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}-day"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{seconds // 60}-minute"


def when_text(moment: datetime, start: datetime) -> str:
    """'+24d (2001-10-14)': the offset and the date of a moment."""
    text = offset_text(moment - start)
    return f"{text} ({moment.date().isoformat()})"
