"""A shared/exclusive lock: many commands at once, or one command that may revoke a right alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SharedExclusiveLock:
    """Readers share, a writer is alone; a waiting writer stops new readers (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0
        self._owner: threading.local = threading.local()

    @contextmanager
    def hold(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the lock shared or exclusive; re-entrant within one thread (nested commands)."""
        depth = getattr(self._owner, "depth", 0)
        if depth:
            self._owner.depth = depth + 1
            try:
                yield
            finally:
                self._owner.depth -= 1
            return
        self._acquire(exclusive)
        self._owner.depth = 1
        try:
            yield
        finally:
            self._owner.depth = 0
            self._release(exclusive)

    def _acquire(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._writers_waiting += 1
                while self._writer or self._readers:
                    self._cond.wait()
                self._writers_waiting -= 1
                self._writer = True
            else:
                while self._writer or self._writers_waiting:
                    self._cond.wait()
                self._readers += 1

    def _release(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._writer = False
            else:
                self._readers -= 1
            self._cond.notify_all()
