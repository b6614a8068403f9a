"""FieldCommand: a command a field instance took offline, as headquarters received it.

Headquarters records every field command it receives as one of these, in the same transaction
as the command's own events (or, if it refused the command, alone): the record says which field
instance took it, at which headquarters position the field had synced to, and the outcome —
applied, or a conflict with headquarters' refusal. Its id is derived from the field's command
id, so the event store's uniqueness of (aggregate, version) makes each command id usable once.
A conflict is later resolved by a coordinator: an adjusted command applied, or discarded with a
reason; the resolution is an event of the same record.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from domain.base import PlannerAggregate
from domain.errors import DomainRefusal, StatusError

APPLIED: Final = "applied"
CONFLICT: Final = "conflict"
OUTCOMES: Final = (APPLIED, CONFLICT)
RESOLUTIONS: Final = ("apply", "discard")


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
