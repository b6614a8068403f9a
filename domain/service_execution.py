"""Running commands by name: with rights checked under the lock, all-or-nothing, or grouped.

Concurrent callers of `execute()` are gathered into groups (domain/group_commit.py) whose events
are stored in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol

from domain import clock
from domain.base import PLANNER_NAMESPACE
from domain.commands import COMMANDS
from domain.errors import (
    AlreadyRecorded,
    ConcurrencyError,
    PlannerError,
)
from domain.group_commit import GroupCommitter, Submitted
from domain.locking import SharedExclusiveLock
from domain.ports import AfterInsert, Receipt, StorageAdapters
from domain.rights import Actor, authorize, revokes
from domain.service_core import CommandResult, ServiceCore
from domain.unit_of_work import UnitOfWork


class CommandsRefused(PlannerError):
    """A command of an all-or-nothing run was refused; nothing of the run was stored."""

    def __init__(self, index: int, command: str, error: PlannerError) -> None:
        super().__init__(f"{command} refused: {error}")
        self.index = index
        self.command = command
        self.error = error


class ExecutingService(ServiceCore):
    """Commands run by name: checked against an actor's rights, alone, in a run or in a group."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        namespace: UUID = PLANNER_NAMESPACE,
        clock_fn: clock.Clock | None = None,
        storage: StorageAdapters | None = None,
    ) -> None:
        super().__init__(env, namespace=namespace, clock_fn=clock_fn, storage=storage)
        self._rights_lock = SharedExclusiveLock()
        self._group: GroupCommitter[CommandResult] = GroupCommitter(self._run_group)

    def execute_all(
        self, commands: Sequence[tuple[str, Mapping[str, object]]], *, actor: Actor | None = None
    ) -> int | None:
        """Run commands in order and store all their events in one transaction, or none.

        Unlike `batch()`, a refusal discards the events of the commands before it as well (an
        import is one decision: a list with one bad row is stored not at all); it is raised as
        CommandsRefused, naming the command's index. With an `actor`, each command's rights are
        checked as `execute` checks them, under the rights lock held for the whole run.
        Returns the position of the last event stored.
        """
        if self._uow is not None:
            raise RuntimeError("execute_all() cannot run inside a batch")
        exclusive = any(revokes(command) for command, _ in commands)
        lock = self._rights_lock.hold(exclusive=exclusive) if actor else nullcontext()
        with lock, self._writer_lock():
            self._uow = UnitOfWork()
            try:
                for index, (command, args) in enumerate(commands):
                    try:
                        if actor is not None:
                            authorize(self, actor, command, args)
                        self._run(command, args, None)
                    except PlannerError as error:
                        self._discard_pending()
                        raise CommandsRefused(index, command, error) from error
                return self.flush()
            finally:
                self._uow = None

    def execute(
        self,
        command: str,
        args: Mapping[str, object],
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
        receipt: Receipt | None = None,
    ) -> CommandResult:
        """Run a command of the contract by name with already validated arguments.

        With an `actor`, its rights (domain.rights) are checked against the same state the
        command is validated with, under the rights lock, and its events are stored before the
        lock is let go: a command that may revoke a right runs alone, so every command ordered
        after it is checked against the new state. A coordinator drafting a plan joins it as
        coordinator in the same transaction. With a `receipt` (and an actor), the receipt is
        stored in the transaction of the command's events; if its key was recorded before, the
        command does not run and AlreadyRecorded is raised with what was recorded.
        """
        if command not in COMMANDS:
            raise KeyError(f"unknown command {command!r}")
        if actor is None:
            return self._run(command, args, expected_version)
        if self._uow is not None:  # inside the caller's own batch
            return self._execute_alone(command, args, expected_version, actor)
        return self._group.submit(Submitted(command, args, expected_version, actor, receipt))

    def _execute_alone(
        self,
        command: str,
        args: Mapping[str, object],
        expected_version: int | None,
        actor: Actor,
        receipt: Receipt | None = None,
    ) -> CommandResult:
        if receipt is None:
            with self._rights_lock.hold(exclusive=revokes(command)), self.batch():
                result = self._authorized(command, args, expected_version, actor)
                position = self.flush()
            return replace(result, position=position)
        item: Submitted[CommandResult] = Submitted(command, args, expected_version, actor, receipt)
        self._run_group([item], rerun=False)  # the receipt in the events' transaction
        return item.outcome()

    def _authorized(
        self, command: str, args: Mapping[str, object], expected_version: int | None, actor: Actor
    ) -> CommandResult:
        authorize(self, actor, command, args)
        result = self._run(command, args, expected_version)
        if command == "draft_plan" and actor.role == "coordinator":
            joined = {"plan": args["plan"], "partner": str(actor.partner), "role": "coordinator"}
            result = self._run("join_plan", joined, None)
        return result

    # -- group commit --------------------------------------------------------------------------

    def execute_group(
        self,
        calls: Sequence[
            tuple[str, Mapping[str, object], int | None, Actor]
            | tuple[str, Mapping[str, object], int | None, Actor, Receipt | None]
        ],
    ) -> list[CommandResult | Exception]:
        """Run (command, args, expected version, actor[, receipt]) calls as one group, as
        concurrent callers of execute() are: each its own answer, an error for a refused one."""
        items: list[Submitted[CommandResult]] = [Submitted(*call) for call in calls]
        self._run_group(items)
        answers: list[CommandResult | Exception] = []
        for item in items:
            error = item.error
            answers.append(item.outcome() if error is None else cast(Exception, error))
        return answers

    def _run_group(self, group: list[Submitted[CommandResult]], *, rerun: bool = True) -> None:
        """Run a group's commands in order against one state; store their events together.

        A refused command is rolled back before the next runs (nothing of it is stored, the
        others do not see it). The group holds the rights lock alone, so each command's rights
        are checked against the state every command before it left. If storing the group
        conflicts with another process's write, each command is run again on its own (with
        `rerun` False, the ConcurrencyError is raised instead).
        """
        done: list[tuple[Submitted[CommandResult], CommandResult, int]] = []
        repeats: list[tuple[Submitted[CommandResult], Submitted[CommandResult]]] = []
        with self._rights_lock.hold(exclusive=True), self._writer_lock():
            uow = self._uow = UnitOfWork()
            keyed: dict[object, Submitted[CommandResult]] = {}
            try:
                earlier = _earlier(group)
                for item in group:
                    start = len(uow.events)
                    try:
                        first = _first_of_key(item, keyed, earlier)
                        if first is not None:
                            repeats.append((item, first))
                            continue
                        result = self._authorized(
                            item.command, item.args, item.expected_version, item.actor
                        )
                    except Exception as error:
                        self._roll_back(uow, start)
                        item.finish(error=error)
                        continue
                    uow.settle()
                    if item.receipt is not None:
                        keyed[item.receipt.key] = item
                    done.append((item, result, len(uow.events)))
                positions = (
                    self._store_each(uow.events, _receipt_writer(done)) if uow.events else []
                )
            except ConcurrencyError:
                self._uow = None
                if not rerun:
                    raise
                self._run_each([item for item, _, _ in done] + [item for item, _ in repeats])
                return
            finally:
                self._uow = None
        self._remember(uow)
        for item, result, end in done:
            item.finish(replace(result, position=positions[end - 1] if end else None))
        for item, first in repeats:  # the same key twice in a group: the first's answer
            assert first.receipt is not None  # repeats are found by their receipt's key
            recorded = first.receipt.recorded
            if recorded is None:  # nothing stored (no events): nothing to replay
                item.finish(first.result, first.error)
            else:
                item.finish(error=AlreadyRecorded(recorded))

    def _remember(self, uow: UnitOfWork) -> None:
        """Cache a stored group's aggregates as they now are: the next load fast-forwards them
        past other writers' events only, instead of decoding and applying the group's own."""
        cache = self.repository.cache
        if cache is not None:
            for aggregate in uow.aggregates.values():
                cache.put(aggregate.id, aggregate)

    def _run_each(self, items: list[Submitted[CommandResult]]) -> None:
        for item in items:
            try:
                result = self._execute_alone(
                    item.command, item.args, item.expected_version, item.actor, item.receipt
                )
            except Exception as error:
                item.finish(error=error)
            else:
                item.finish(result)

    def _roll_back(self, uow: UnitOfWork, start: int) -> None:
        """Undo a refused command in a group: its events and what they did to the aggregates."""
        del uow.events[start:]
        for key, aggregate in list(uow.aggregates.items()):
            settled = uow.settled.get(key)
            if settled is None:
                del uow.aggregates[key]  # loaded or made by the refused command: load again
            elif aggregate.version != settled:
                uow.aggregates[key] = self._replayed(aggregate.id, uow.events)

    def _replayed(self, aggregate_id: UUID, events: list[DomainEventProtocol[UUID]]) -> Any:
        """The aggregate as stored, with the group's events of it (before a refusal) applied."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        for event in events:
            if event.originator_id == aggregate_id and (
                aggregate is None or event.originator_version > aggregate.version
            ):
                aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate


def _receipt_writer(
    done: list[tuple[Submitted[CommandResult], CommandResult, int]],
) -> AfterInsert | None:
    """Writes the receipts of a group's commands, each with its command's position."""
    keyed = [(item.receipt, result, end) for item, result, end in done if item.receipt]
    if not keyed:
        return None

    def write(cursor: object, positions: Sequence[int]) -> None:
        for receipt, result, end in keyed:
            receipt.write(cursor, replace(result, position=positions[end - 1] if end else None))

    return write


def _earlier(group: list[Submitted[CommandResult]]) -> Mapping[object, object]:
    """What earlier groups recorded under the keys of this group's receipts (one read)."""
    receipts: list[Receipt] = [item.receipt for item in group if item.receipt is not None]
    return receipts[0].earlier(receipts) if receipts else {}


def _first_of_key(
    item: Submitted[CommandResult],
    keyed: Mapping[object, Submitted[CommandResult]],
    earlier: Mapping[object, object],
) -> Submitted[CommandResult] | None:
    """The group's earlier command with the same receipt key, if any; raise AlreadyRecorded
    if an earlier group recorded the key."""
    receipt: Receipt | None = item.receipt
    if receipt is None:
        return None
    first = keyed.get(receipt.key)
    if first is not None:
        return first
    recorded = earlier.get(receipt.key)
    if recorded is not None:
        raise AlreadyRecorded(recorded)
    return None
