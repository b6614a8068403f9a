"""Group commit: commands arriving together are run one after another and stored together.

A caller hands its command to the `GroupCommitter` and waits. The first caller to find no group
running leads: it takes every command queued so far (its own first among them), has the service
run them in arrival order against the state the earlier ones left (`run_group`), and the service
stores the group's events in one transaction. The leader then hands the lead to the oldest
caller still queued, which runs the commands that arrived meanwhile, and so on. Under light load
a group is one command, as before; under load the commit (an fsync on SQLite, a round trip and a
WAL flush on PostgreSQL) is shared by every command of a group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from domain.ports import Receipt
    from domain.rights import Actor

R = TypeVar("R")

MAX_GROUP = 256  # commands run and stored together at most (bounds one transaction)


@dataclass
class Submitted(Generic[R]):
    """One caller's command in a group, and its answer once the group is stored."""

    command: str
    args: Mapping[str, object]
    expected_version: int | None
    actor: Actor
    receipt: Receipt | None = None  # stored with the command's events, if any
    result: R | None = None
    error: BaseException | None = None
    finished: bool = False
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)

    def finish(self, result: R | None = None, error: BaseException | None = None) -> None:
        """Give the caller its answer (a result or the error it raises)."""
        self.result, self.error, self.finished = result, error, True
        self._wake.set()

    def outcome(self) -> R:
        """The result, or raise the command's error."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GroupCommitter(Generic[R]):
    """Runs submitted commands in groups, one group at a time, through `run_group`.

    `run_group` must finish every Submitted it is given; one it leaves unfinished (because it
    raised) gets the error it raised.
    """

    def __init__(
        self, run_group: Callable[[list[Submitted[R]]], None], max_group: int = MAX_GROUP
    ) -> None:
        self._run_group = run_group
        self._max_group = max_group
        self._mutex = threading.Lock()
        self._queue: list[Submitted[R]] = []
        self._leading = False

    def submit(self, item: Submitted[R]) -> R:
        """Run one command in the next group; return its result or raise its error."""
        with self._mutex:
            self._queue.append(item)
            lead = not self._leading
            self._leading = True
        if not lead:
            item._wake.wait()
            if item.finished:
                return item.outcome()
            item._wake.clear()  # handed the lead: this caller's command is first in the queue
        with self._mutex:
            group = self._queue[: self._max_group]
            del self._queue[: self._max_group]
        try:
            self._run_group(group)
        except BaseException as error:
            for submitted in group:
                if not submitted.finished:
                    submitted.finish(error=error)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0]._wake.set()  # the oldest waiting caller leads next
                else:
                    self._leading = False
        return item.outcome()
