"""The sync use cases the HTTP API offers (api/routers/sync.py), at headquarters and in the field.

Headquarters exports its stored events after a position (for the whole workspace or for named
camps), receives field commands, lists the conflicts they became and records resolutions. A
field instance answers the same listing from its copy of headquarters' events, and its status:
when it last synced and how many commands wait.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from domain.errors import StatusError
from domain.field_command import CONFLICT
from domain.rights import Actor
from domain.service_field import FieldCall, FieldOutcome
from planner.field.camps import CampScope
from planner.field.service import FieldService
from planner.field.store import FieldStore
from planner.field.sync import EXTRAS, counts_of
from planner.wiring import Planner
from projections.follower import collector_paused

_RECEIVED = "domain.field_command:FieldCommand.Received"
_RESOLVED = "domain.field_command:FieldCommand.Resolved"
_SCAN_PAGE = 1000


class SyncUseCases:
    """What headquarters (and a field instance) do for the sync endpoints."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner

    @property
    def _field(self) -> FieldStore | None:
        if not isinstance(self.planner.service, FieldService):
            return None
        return FieldStore.of(self.planner.service)

    def export(self, after: int, limit: int, camps: Sequence[str]) -> dict[str, Any]:
        """Stored events after `after` (only the named camps' if any), states in base64."""
        recorder = self.planner.service.recorder
        notifications = recorder.select_notifications(start=after + 1, limit=limit)
        scope = CampScope(self.planner.service, camps) if camps else None
        events = [
            [
                n.originator_id.hex if hasattr(n.originator_id, "hex") else str(n.originator_id),
                n.originator_version,
                n.topic,
                base64.b64encode(n.state).decode(),
            ]
            for n in notifications
            if scope is None or scope.includes(n.originator_id, n.topic, n.state)
        ]
        last = recorder.max_notification_id() or 0
        next_after = notifications[-1].id if notifications else max(after, 0)
        return {
            "events": events,
            "next_after": next_after,
            "last_position": last,
            "scope": scope.digest() if scope is not None else None,
        }

    def receive(
        self, actor: Actor, field_id: str, commands: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Apply a field's commands in order, each at most once; each one's outcome."""
        calls = [
            FieldCall(
                str(c["id"]),
                str(c["command"]),
                dict(c.get("args") or {}),
                int(c.get("hq_position") or 0),
                str(c.get("taken_at") or ""),
            )
            for c in commands
        ]
        # A push chunk allocates many short-lived objects while headquarters' heap (its views'
        # fold, the aggregate cache) is large: the collector would walk it again and again.
        with collector_paused():
            outcomes = self.planner.service.receive_field_commands(
                field_id, actor, calls, extras=EXTRAS
            )
        self.planner.follower.poke()
        return [_outcome(o) for o in outcomes]

    def conflicts(self, open_only: bool = True) -> list[dict[str, Any]]:
        """Field commands headquarters refused, oldest first, with their resolutions."""
        recorder = self.planner.service.recorder
        found: dict[str, dict[str, Any]] = {}
        start = 1
        while True:
            page = recorder.select_notifications(
                start=start, limit=_SCAN_PAGE, topics=(_RECEIVED, _RESOLVED)
            )
            for n in page:
                state = orjson.loads(n.state)
                key = str(n.originator_id)
                if n.topic == _RECEIVED and state["outcome"] == CONFLICT:
                    found[key] = _conflict(n.id, state)
                elif n.topic == _RESOLVED and key in found:
                    found[key]["resolution"] = {
                        "action": state["action"],
                        "by": f"{state['role']}:{state['partner'] or '-'}",
                        "command": state["command"],
                        "args": state["args"],
                        "reason": state["reason"],
                        "position": n.id,
                    }
            if len(page) < _SCAN_PAGE:
                break
            start = page[-1].id + 1
        listed = list(found.values())
        return [c for c in listed if c["resolution"] is None] if open_only else listed

    def resolve(
        self,
        actor: Actor,
        command_id: str,
        action: str,
        command: str | None,
        args: Mapping[str, Any] | None,
        reason: str,
    ) -> dict[str, Any]:
        """Resolve an open conflict at headquarters; the position of the resolution."""
        if self._field is not None:
            # A field's own resolution would be dropped by the next pull: only headquarters decides.
            raise StatusError(
                "A field instance resolves conflicts at headquarters "
                "(`planner conflicts --resolve` asks headquarters with the field's token).",
                rule="resolved at headquarters",
                field="command_id",
            )
        position = self.planner.service.resolve_field_conflict(
            command_id,
            actor,
            action=action,
            command=command,
            args=args,
            reason=reason,
            extras=EXTRAS,
        )
        self.planner.follower.poke()
        return {"command_id": command_id, "action": action, "position": position}

    def status(self) -> dict[str, Any]:
        """Whether this is a field instance; if so where it syncs from, when, what waits."""
        store = self._field
        if store is None:
            return {"field": False}
        meta = store.meta()
        return {
            "field": True,
            "field_id": meta.field_id,
            "hq_url": meta.hq_url,
            "camps": list(meta.camps),
            "hq_position": meta.hq_position,
            "last_sync_at": meta.last_sync_at,
            "last_error": meta.last_error,
            "counts": dict(counts_of(store)),
        }

    def outbox(self) -> list[dict[str, Any]]:
        """A field instance's commands, in the order taken, with what became of each."""
        store = self._field
        if store is None:
            return []
        return [
            {
                "id": e.command_id,
                "command": e.command,
                "args": e.args,
                "taken_at": e.taken_at,
                "taken_by": e.taken_by,
                "hq_position": e.hq_position,
                "status": e.status,
                "refusal": (
                    {"rule": e.rule, "field": e.field, "message": e.message} if e.rule else None
                ),
                "local_note": e.local_note,
                "resolution": e.resolution,
            }
            for e in store.entries()
        ]


def _outcome(outcome: FieldOutcome) -> dict[str, Any]:
    return {
        "id": outcome.command_id,
        "outcome": outcome.outcome,
        "position": outcome.position,
        "rule": outcome.rule,
        "field": outcome.field,
        "message": outcome.message,
        "replayed": outcome.replayed,
    }


def _conflict(position: int, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": state["slug"],
        "field_id": state["field_id"],
        "by": f"{state['role']}:{state['partner'] or '-'}",
        "command": state["command"],
        "args": state["args"],
        "taken_at": state["taken_at"],
        "field_saw": state["hq_position"],
        "refusal": {
            "rule": state["rule"],
            "field": state["refused_field"],
            "message": state["message"],
        },
        "position": position,
        "resolution": None,
    }
