"""The planner service of a field instance: every command accepted locally joins the outbox.

The outbox row is written in the transaction that stores the command's events (through
adapters/attached_rows.py), so a command is either accepted and queued for headquarters, or
neither. Commands re-applied by a rebase are not queued again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from adapters.attached_rows import Statement, attached
from domain.ports import AfterInsert
from domain.rights import Actor
from domain.service import CommandResult, PlannerService
from planner.field.store import FieldStore, outbox_row


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
        with attached(self._take()):
            return super()._store(events)

    def _store_each(
        self, events: list[DomainEventProtocol[UUID]], after_insert: AfterInsert | None = None
    ) -> Sequence[int]:
        with attached(self._take()):
            return super()._store_each(events, after_insert)
