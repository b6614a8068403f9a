"""The clock that stamps events: real time by default, simulated time during a replay."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: now, in UTC."""
    return datetime.now(UTC)


_current_clock: ContextVar[Clock] = ContextVar("planner_clock", default=utc_now)


def now() -> datetime:
    """Time of the event being created, from the clock in force."""
    return _current_clock.get()()


def set_clock(clock: Clock) -> Token[Clock]:
    """Stamp events with the given clock until `reset_clock` is called with the token returned."""
    return _current_clock.set(clock)


def reset_clock(token: Token[Clock]) -> None:
    """Go back to the clock in force before the `set_clock` call that returned `token`."""
    _current_clock.reset(token)


def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 UTC text, written with 'Z' (how events and views show times)."""
    text = moment.astimezone(UTC).isoformat()
    return text[: -len("+00:00")] + "Z"


def parse_iso_utc(text: str) -> datetime:
    """The moment of an ISO 8601 text with an offset ('Z' allowed), in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Stamp the events created inside this block with the given clock."""
    token = set_clock(clock)
    try:
        yield
    finally:
        reset_clock(token)
