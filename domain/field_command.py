"""FieldCommand: a field command headquarters refused (a conflict), and the ledger of them all.

Headquarters records every field command it receives as a `FieldRecord` in its field-command
ledger (a side table beside the events, domain.ports.FieldLedger), in the same transaction as
the command's events: which field instance took it, at which headquarters position the field
had synced to, and the outcome. The ledger's key is the command id, so each is usable once.
A command it refused is also an event in the log, a `FieldCommand` (its id derived from the
command id): the command, what the field saw and the refusal, so conflicts travel to every
field instance with the events. A coordinator later resolves it — an adjusted command applied,
or discarded with a reason; the resolution is an event of the same record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.base import PlannerAggregate
from domain.errors import DomainRefusal, StatusError

APPLIED: Final = "applied"
CONFLICT: Final = "conflict"
OUTCOMES: Final = (APPLIED, CONFLICT)
RESOLUTIONS: Final = ("apply", "discard")


class FieldRecord(NamedTuple):
    """One received field command in the ledger: who took it, what the field saw, the outcome."""

    command_id: str
    field_id: str
    outcome: str  # applied | conflict
    hq_position: int
    taken_at: str
    rule: str | None = None
    refused_field: str | None = None
    message: str | None = None


class MemoryFieldLedger:
    """A ledger in memory (domain.ports.FieldLedger), for stores without SQL tables."""

    in_events_transaction = False  # written after the events are stored

    def __init__(self) -> None:
        self.records: dict[str, FieldRecord] = {}

    def ready(self) -> None:
        """Nothing to make."""

    def known(self, command_ids: Sequence[str]) -> Mapping[str, FieldRecord]:
        """The records of these command ids that have one."""
        return {i: self.records[i] for i in command_ids if i in self.records}

    def write(self, cursor: object, records: Sequence[FieldRecord]) -> None:
        """Add the records; IntegrityError (nothing added) if a command id has one already."""
        ids = [r.command_id for r in records]
        if len(set(ids)) != len(ids) or any(i in self.records for i in ids):
            raise IntegrityError("a field command id is recorded already")
        self.records.update(zip(ids, records, strict=True))


class FieldCommand(PlannerAggregate):
    """One field command received by headquarters: what was asked, and what became of it."""

    class Received(PlannerAggregate.Created):
        """Headquarters received the command and applied it, or refused it (a conflict)."""

        slug: str
        field_id: str
        role: str
        partner: str | None
        command: str
        args: dict[str, Any]
        hq_position: int
        taken_at: str
        outcome: str
        rule: str | None
        refused_field: str | None
        message: str | None

    class Resolved(PlannerAggregate.Event):
        """A coordinator resolved the conflict: applied an adjusted command, or discarded it."""

        action: str
        role: str
        partner: str | None
        command: str | None
        args: dict[str, Any] | None
        reason: str

    @classmethod
    def received(
        cls,
        *,
        id: UUID,
        slug: str,
        field_id: str,
        role: str,
        partner: str | None,
        command: str,
        args: dict[str, Any],
        hq_position: int,
        taken_at: str,
        refusal: tuple[str, str | None, str] | None,
    ) -> FieldCommand.Received:
        """The record of a received command: applied, or refused with (rule, field, message).

        Only the event is made, not the aggregate: headquarters stores many at once and never
        loads them in the same batch."""
        rule, refused_field, message = refusal if refusal is not None else (None, None, None)
        state: dict[str, Any] = {
            "originator_id": id,
            "originator_version": 1,
            "timestamp": cls.Received.create_timestamp(),
            "originator_topic": _TOPIC,
            "slug": slug,
            "field_id": field_id,
            "role": role,
            "partner": partner,
            "command": command,
            "args": args,
            "hq_position": hq_position,
            "taken_at": taken_at,
            "outcome": APPLIED if refusal is None else CONFLICT,
            "rule": rule,
            "refused_field": refused_field,
            "message": message,
        }
        return cls.Received(**state)

    @event(Received)
    def __init__(
        self,
        *,
        slug: str,
        field_id: str,
        role: str,
        partner: str | None,
        command: str,
        args: dict[str, Any],
        hq_position: int,
        taken_at: str,
        outcome: str,
        rule: str | None,
        refused_field: str | None,
        message: str | None,
    ) -> None:
        self.slug = slug
        self.field_id = field_id
        self.role, self.partner = role, partner
        self.command, self.args = command, dict(args)
        self.hq_position, self.taken_at = hq_position, taken_at
        self.outcome = outcome
        self.rule, self.refused_field, self.message = rule, refused_field, message
        self.resolution: str | None = None

    @property
    def open(self) -> bool:
        """True for a conflict nobody has resolved yet."""
        return self.outcome == CONFLICT and self.resolution is None

    def resolve(
        self,
        *,
        action: str,
        role: str,
        partner: str | None,
        command: str | None,
        args: dict[str, Any] | None,
        reason: str,
    ) -> None:
        """Resolve an open conflict (`apply` an adjusted command, or `discard` with a reason)."""
        if action not in RESOLUTIONS:
            raise DomainRefusal(
                f"a resolution is one of {', '.join(RESOLUTIONS)}, not {action!r}",
                rule="conflict resolutions",
                field="action",
            )
        if not self.open:
            state = "was applied" if self.outcome == APPLIED else f"is {self.resolution}"
            raise StatusError(
                f"field command {self.slug} {state}: only an open conflict can be resolved",
                field="command_id",
            )
        if action == "discard" and not reason.strip():
            raise DomainRefusal(
                "discarding a field command needs a reason",
                rule="conflict resolutions",
                field="reason",
            )
        self._resolve(
            action=action, role=role, partner=partner, command=command, args=args, reason=reason
        )

    @event(Resolved)
    def _resolve(
        self,
        *,
        action: str,
        role: str,
        partner: str | None,
        command: str | None,
        args: dict[str, Any] | None,
        reason: str,
    ) -> None:
        self.resolution = "applied" if action == "apply" else "discarded"


_TOPIC: Final = get_topic(FieldCommand)
