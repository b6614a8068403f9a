"""Rows written in the same transaction as the next events a thread stores.

A field instance's outbox row must be stored exactly when the local command's events are: both
or neither, whatever crashes in between. The caller sets the statements with `attached()`; the
planner's recorders (adapters/storage.py) run them inside the transaction that inserts the
events, before the events themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Statement = tuple[str, Sequence[Any]]  # SQL with placeholders, its parameters

_ATTACHED: ContextVar[tuple[Statement, ...]] = ContextVar("planner_attached_rows", default=())


@contextmanager
def attached(statements: Sequence[Statement]) -> Iterator[None]:
    """Run `statements` in the transaction of the next events inserted in this context."""
    token = _ATTACHED.set(tuple(statements))
    try:
        yield
    finally:
        _ATTACHED.reset(token)


def write_attached(cursor: Any) -> None:
    """Run (once) the statements attached to this context, on the inserting cursor."""
    statements = _ATTACHED.get()
    if not statements:
        return
    _ATTACHED.set(())
    for sql, params in statements:
        cursor.execute(sql, params)
