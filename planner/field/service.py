"""The planner service of a field instance: every command accepted locally joins the outbox.

The outbox row is written in the transaction that stores the command's events — by the same
`after_insert` hook the idempotency receipts use (domain.ports.AfterInsert, called by the
planner's recorders inside the events' transaction) — so a command is either accepted and queued
for headquarters, or neither. Commands re-applied by a rebase are not queued again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.ports import AfterInsert
from domain.rights import Actor
from domain.service import CommandResult, PlannerService
from planner.field.store import FieldStore, Statement, outbox_row


class FieldService(PlannerService):
    """A PlannerService whose accepted commands are queued for headquarters."""

    field_hq_position: int | None = None  # the headquarters position the field synced to
    _field_local: threading.local

    def _queue(self) -> list[Statement]:
        local = self.__dict__.setdefault("_field_local", threading.local())
        queued: list[Statement] | None = getattr(local, "rows", None)
        if queued is None:
            queued = local.rows = []
        return queued

    def _take(self) -> list[Statement]:
        queued = self._queue()
        rows = queued[:]
        queued.clear()
        return rows

    def _enqueue(self, command: str, args: Mapping[str, Any], actor: Actor | None) -> None:
        who = f"{actor.role}:{actor.partner or '-'}" if actor is not None else "local"
        taken_at = self.clock_fn().astimezone(UTC).isoformat()
        if self.field_hq_position is None:
            self.field_hq_position = FieldStore.of(self).meta().hq_position
        self._queue().append(
            outbox_row(
                str(uuid.uuid4()), command, dict(args), self.field_hq_position, taken_at, who
            )
        )

    def _authorized(
        self, command: str, args: Mapping[str, Any], expected_version: int | None, actor: Actor
    ) -> CommandResult:
        result = super()._authorized(command, args, expected_version, actor)
        self._enqueue(command, args, actor)
        return result

    def execute_all(
        self, commands: Sequence[tuple[str, Mapping[str, Any]]], *, actor: Actor | None = None
    ) -> int | None:
        """Run an all-or-nothing list (as PlannerService does), queuing each command."""
        self._queue().clear()
        for command, args in commands:
            self._enqueue(command, args, actor)
        try:
            return super().execute_all(commands, actor=actor)
        finally:
            self._queue().clear()

    def _store(self, events: list[DomainEventProtocol[UUID]]) -> int | None:
        positions = self._store_each(events)
        return positions[-1] if positions else None

    def _store_each(
        self, events: list[DomainEventProtocol[UUID]], after_insert: AfterInsert | None = None
    ) -> Sequence[int]:
        rows = self._take()
        if rows and self._positioned is None:
            raise RuntimeError("a field instance needs the planner's SQL store for its outbox")
        return super()._store_each(events, _with_outbox(rows, after_insert))


def _with_outbox(rows: list[Statement], after_insert: AfterInsert | None) -> AfterInsert | None:
    """`after_insert`, writing the outbox rows first on the events' transaction's cursor."""
    if not rows:
        return after_insert

    def write(cursor: Any, positions: Sequence[int]) -> None:
        if cursor is None:
            raise RuntimeError("the outbox rows need the events' transaction")
        for sql, params in rows:
            cursor.execute(sql, params)
        if after_insert is not None:
            after_insert(cursor, positions)

    return write
