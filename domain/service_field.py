"""Field commands at headquarters: received once each, re-validated, applied or made conflicts.

A field instance pushes the commands it took offline, in the order it took them. Each is run as
the API runs a command — the pushing token's rights (domain.rights) checked against
headquarters' state, then the command's own rules — and recorded in the field-command ledger
(applied, or a conflict carrying the refusal) in the same transaction as its events; a conflict
is also a FieldCommand event in the log. A command id seen before answers with its first
outcome; one seen from another field instance is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from domain import clock
from domain.commands import COMMANDS, ArgumentError, validate_args
from domain.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    DomainRefusal,
    NotFoundError,
    PlannerError,
    StatusError,
)
from domain.field_command import APPLIED, CONFLICT, FieldCommand, FieldRecord, MemoryFieldLedger
from domain.ports import FieldLedger
from domain.rights import ADMIN, COORDINATOR, Actor, RightsError
from domain.service_execution import ExecutingService
from domain.unit_of_work import UnitOfWork

FIELD_COMMAND = "field_command"  # the kind its ids are derived under
REFUSED = "refused"  # the outcome of a command id another field instance used first
RESOLVERS = (ADMIN, *COORDINATOR)


@dataclass(frozen=True)
class FieldCall:
    """One command a field instance took: its id, name, arguments and where it stood."""

    command_id: str
    command: str
    args: Mapping[str, Any]
    hq_position: int
    taken_at: str


@dataclass(frozen=True)
class FieldOutcome:
    """What headquarters made of a field command (`replayed`: answered from its record)."""

    command_id: str
    outcome: str  # applied | conflict | refused
    position: int | None = None
    rule: str | None = None
    field: str | None = None
    message: str | None = None
    replayed: bool = False


def refusal_of(error: Exception) -> tuple[str, str | None, str]:
    """The (rule, field, message) of a refusal, whatever kind of planner error it is."""
    if isinstance(error, DomainRefusal):
        return error.rule, error.field, str(error)
    if isinstance(error, RightsError):
        return "rights", getattr(error, "field", None), str(error)
    if isinstance(error, ArgumentError):
        return "arguments", error.field, str(error)
    if isinstance(error, NotFoundError):
        return "entity exists", error.kind, str(error)
    if isinstance(error, AlreadyExistsError):
        return "slug is free", error.kind, str(error)
    return type(error).__name__, None, str(error)


class FieldCommands(ExecutingService):
    """Receiving field commands and resolving the conflicts they became."""

    _field_ledger: FieldLedger | None = None

    @property
    def field_ledger(self) -> FieldLedger:
        """The ledger of received field commands (the storage's, or one in memory)."""
        if self._field_ledger is None:
            storage = self.storage
            self._field_ledger = (
                storage.field_ledger(self.recorder) if storage is not None else MemoryFieldLedger()
            )
        return self._field_ledger

    def field_records(self, command_ids: Sequence[str]) -> Mapping[str, FieldRecord]:
        """The ledger's records of these field command ids (those received)."""
        return self.field_ledger.known(command_ids)

    def receive_field_commands(
        self,
        field_id: str,
        actor: Actor,
        calls: Sequence[FieldCall],
        *,
        extras: frozenset[str] = frozenset(),
    ) -> list[FieldOutcome]:
        """Apply a field's commands in order, each at most once; return each one's outcome.

        They run as one group (one transaction), first without looking their ids up (the ledger
        refuses a second record of an id); if that collides, again with the ids looked up, and
        if another writer still collides with the group, each on its own. `extras` names
        arguments passed through unvalidated (the API's service-only ones).
        """
        try:  # most commands arrive once: look none up, the store refuses a known id
            return self._receive(field_id, actor, calls, extras, check=False)
        except ConcurrencyError:
            pass
        try:  # a retry, or another writer: look each id up
            return self._receive(field_id, actor, calls, extras, check=True)
        except ConcurrencyError:
            if len(calls) == 1:
                raise
        return [self._receive(field_id, actor, [call], extras, check=True)[0] for call in calls]

    def _receive(
        self,
        field_id: str,
        actor: Actor,
        calls: Sequence[FieldCall],
        extras: frozenset[str],
        *,
        check: bool,
    ) -> list[FieldOutcome]:
        outcomes: list[FieldOutcome] = []
        ends: list[int] = []
        records: list[FieldRecord] = []
        ledger = self.field_ledger
        ledger.ready()
        token = clock.set_clock(self.clock_fn)
        try:
            with self._rights_lock.hold(exclusive=True), self._writer_lock():
                # Unchecked, the ledger refuses a known id (the transaction fails); one written
                # after the events is looked up first (under the writer lock).
                look = check or not ledger.in_events_transaction
                known = dict(ledger.known([c.command_id for c in calls])) if look else {}
                uow = self._uow = UnitOfWork()
                try:
                    for call in calls:
                        first = known.get(call.command_id)
                        if first is not None:
                            outcomes.append(_replayed(first, field_id, call.command_id))
                            ends.append(0)
                            continue
                        outcome, record = self._receive_one(uow, field_id, actor, call, extras)
                        known[call.command_id] = record  # the same id again in this push
                        outcomes.append(outcome)
                        records.append(record)
                        ends.append(len(uow.events))
                    if uow.events:
                        write = partial(_write_records, ledger, records)
                        positions = self._store_each(uow.events, write)
                    else:
                        positions = []
                        if records:
                            with self._conflicts():
                                ledger.write(None, records)
                finally:
                    self._uow = None
                self._remember(uow)  # the next push loads these aggregates as they are now
        finally:
            clock.reset_clock(token)
        return [
            o if o.replayed else _positioned(o, positions, end)
            for o, end in zip(outcomes, ends, strict=True)
        ]

    def _receive_one(
        self,
        uow: UnitOfWork,
        field_id: str,
        actor: Actor,
        call: FieldCall,
        extras: frozenset[str],
    ) -> tuple[FieldOutcome, FieldRecord]:
        start = len(uow.events)
        refusal: tuple[str, str | None, str] | None = None
        args: dict[str, Any] = dict(call.args)
        try:
            args = validated_args(call.command, call.args, extras)
            self._authorized(call.command, args, None, actor)
        except (PlannerError, ArgumentError) as error:
            if isinstance(error, ConcurrencyError):
                raise
            self._roll_back(uow, start)
            refusal = refusal_of(error)
        uow.settle()
        if refusal is None:
            record = FieldRecord(
                call.command_id, field_id, APPLIED, call.hq_position, call.taken_at
            )
            return FieldOutcome(call.command_id, APPLIED), record
        rule, field, message = refusal
        uow.events.append(  # a conflict is in the log too; never loaded in the same batch
            FieldCommand.received(
                id=self.id_of(FIELD_COMMAND, call.command_id),
                slug=call.command_id,
                field_id=field_id,
                role=actor.role,
                partner=actor.partner,
                command=call.command,
                args=args,
                hq_position=call.hq_position,
                taken_at=call.taken_at,
                refusal=refusal,
            )
        )
        record = FieldRecord(
            call.command_id, field_id, CONFLICT, call.hq_position, call.taken_at, *refusal
        )
        return FieldOutcome(call.command_id, CONFLICT, None, rule, field, message), record

    def field_command(self, command_id: str) -> FieldCommand:
        """The log's record of a field command that became a conflict (NotFoundError if none;
        StatusError if it was applied)."""
        try:
            return self.load(FIELD_COMMAND, command_id, FieldCommand)
        except NotFoundError:
            if command_id in self.field_ledger.known([command_id]):
                raise StatusError(
                    f"field command {command_id} was applied: only an open conflict can be "
                    "resolved",
                    field="command_id",
                ) from None
            raise

    def resolve_field_conflict(
        self,
        command_id: str,
        actor: Actor,
        *,
        action: str,
        command: str | None = None,
        args: Mapping[str, Any] | None = None,
        reason: str = "",
        extras: frozenset[str] = frozenset(),
    ) -> int | None:
        """Resolve an open conflict: apply an adjusted command (with the resolver's rights) or
        discard it; the resolution and the command's events are stored together. Returns the
        position of the last event stored."""
        if actor.role not in RESOLVERS:
            raise RightsError("resolving a field conflict needs a coordinator or admin token")
        token = clock.set_clock(self.clock_fn)
        try:
            with self._rights_lock.hold(exclusive=True), self._writer_lock(), self.batch():
                record = self.field_command(command_id)
                checked: dict[str, Any] | None = None
                if action == "apply":
                    name = command or record.command
                    checked = validated_args(
                        name, args if args is not None else record.args, extras
                    )
                    self._authorized(name, checked, None, actor)
                    command = name
                record.resolve(
                    action=action,
                    role=actor.role,
                    partner=actor.partner,
                    command=command if action == "apply" else None,
                    args=checked,
                    reason=reason,
                )
                uow = self._uow
                assert uow is not None
                uow.keep(record)
                uow.events.extend(record.collect_events())
                return self.flush()
        except Exception:
            self._discard_pending()
            raise
        finally:
            clock.reset_clock(token)


def validated_args(command: str, args: Mapping[str, Any], extras: frozenset[str]) -> dict[str, Any]:
    """A command's arguments checked against the table (`extras` passed through)."""
    spec = COMMANDS.get(command)
    if spec is None:
        raise ArgumentError(f"unknown command {command!r}", field="command")
    given = {k: v for k, v in args.items() if k not in extras}
    return validate_args(spec, given) | {k: v for k, v in args.items() if k in extras}


def _write_records(
    ledger: FieldLedger, records: Sequence[FieldRecord], cursor: object, _: Sequence[int]
) -> None:
    ledger.write(cursor, records)


def _replayed(known: FieldRecord, field_id: str, command_id: str) -> FieldOutcome:
    if known.field_id != field_id:
        return FieldOutcome(
            command_id,
            REFUSED,
            rule="command ids are unique",
            field="id",
            message=f"command id {command_id} was already used by another field instance",
            replayed=True,
        )
    return FieldOutcome(
        command_id, known.outcome, None, known.rule, known.refused_field, known.message, True
    )


def _positioned(outcome: FieldOutcome, positions: Sequence[int], end: int) -> FieldOutcome:
    position = positions[end - 1] if end and positions else None
    return FieldOutcome(
        outcome.command_id,
        outcome.outcome,
        position,
        outcome.rule,
        outcome.field,
        outcome.message,
    )
