"""One sync of a field instance: push the outbox, pull headquarters' events, rebase.

1. Push: the waiting outbox commands, oldest first, in chunks; each answer (applied, conflict,
   refused) is recorded as it arrives. A chunk whose answer is lost is sent again: headquarters
   answers known command ids from its record.
2. Pull: headquarters' events after the position the field has, page by page; each page is
   stored with the new position in one transaction. The field's own unconfirmed events are
   dropped with the first page (`needs_rebase` marks that until step 3 is done). Headquarters'
   records of this field's commands (FieldCommand events) answer any still waiting, and
   resolutions mark conflicts resolved.
3. Rebase: the commands still waiting are applied again, in order, on top of headquarters'
   events, so the field shows them; one the new state refuses keeps waiting (headquarters will
   decide) with the local refusal noted. Then the views are folded again.

A crash at any point leaves the field where the next sync picks up: pushes are idempotent,
pulls go by position, and a pending rebase is done first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypedDict

import orjson

from domain.errors import PlannerError
from domain.field_command import FieldCommand
from domain.service_field import FIELD_COMMAND, refusal_of, validated_args
from planner.field.client import EventPage, HqClient, SyncError
from planner.field.service import FieldService
from planner.field.store import WAITING, FieldStore, OutboxEntry
from planner.wiring import Planner

PUSH_CHUNK = 500
PULL_PAGE = 2000
EXTRAS = frozenset(("standards_profile", "standards_overrides"))  # draft_plan's service-only
_RECEIVED = f"{FieldCommand.Received.__module__}:{FieldCommand.Received.__qualname__}"
_RESOLVED = f"{FieldCommand.Resolved.__module__}:{FieldCommand.Resolved.__qualname__}"


class SyncCounts(TypedDict):
    """The field's commands by what became of them."""

    applied: int
    waiting: int
    conflict_open: int
    conflict_resolved: int
    refused: int


@dataclass(frozen=True)
class SyncReport:
    """What a sync did and where every field command stands."""

    pushed: int
    pulled: int
    hq_position: int
    counts: SyncCounts

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return asdict(self)


def counts_of(store: FieldStore) -> SyncCounts:
    """The outbox counted by outcome."""
    raw = store.counts()
    return SyncCounts(
        applied=raw["applied"],
        waiting=raw["waiting"],
        conflict_open=raw["conflict"],
        conflict_resolved=raw["resolved"],
        refused=raw["refused"],
    )


class FieldSync:
    """Syncs the field planner `planner` with headquarters."""

    def __init__(self, planner: Planner, client: HqClient | None = None) -> None:
        self.planner = planner
        self.store = FieldStore.of(planner.service)
        meta = self.store.meta()
        self.client = client or HqClient(meta.hq_url, meta.token)
        self._own_client = client is None

    def close(self) -> None:
        """Close the connections to headquarters (if this object opened them)."""
        if self._own_client:
            self.client.close()

    def sync(self) -> SyncReport:
        """Push, pull and rebase; record the time (or the error, then raise SyncError)."""
        try:
            if self.store.meta().needs_rebase:
                self.rebase()
            pushed = self.push()
            pulled = self.pull()
        except SyncError as error:
            self.store.note_sync(str(error))
            raise
        self.store.note_sync(None)
        return SyncReport(pushed, pulled, self.store.meta().hq_position, counts_of(self.store))

    def push(self) -> int:
        """Send the waiting commands in order; the number headquarters answered. While a chunk
        travels, a helper thread records the previous chunk's answers (written before this
        returns or raises; a chunk whose answers were lost is answered again by headquarters'
        records) and reads the next chunk."""
        field_id = self.store.meta().field_id
        answered = 0
        recording: Future[None] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="field-push") as helper:
            try:
                entries, commands = self._chunk(0)
                while entries:
                    following = helper.submit(self._chunk, entries[-1].seq)
                    outcomes = self.client.push(field_id, commands)
                    if len(outcomes) != len(entries):
                        raise SyncError(
                            "headquarters answered a push with the wrong number of outcomes"
                        )
                    if recording is not None:
                        recording.result()
                    recording = helper.submit(self.store.answer, [_answer(o) for o in outcomes])
                    answered += len(outcomes)
                    entries, commands = following.result()
                return answered
            finally:
                if recording is not None:
                    recording.result()

    def _chunk(self, after: int) -> tuple[list[OutboxEntry], list[dict[str, Any]]]:
        """The next waiting commands after `seq` `after`, and as headquarters receives them."""
        entries = self.store.entries([WAITING], PUSH_CHUNK, after)
        return entries, [_pushed(e) for e in entries]

    def pull(self) -> int:
        """Copy headquarters' new events; rebase if the field had its own. The number pulled."""
        meta = self.store.meta()
        after, pulled = meta.hq_position, 0
        while True:
            page = self.client.events(after, PULL_PAGE, meta.camps)
            if page.scope != self.store.meta().scope:  # an entity entered or left the camps'
                with self._exclusive():
                    self.store.restart(page.scope)
                if after:
                    after = 0
                    continue
            if page.rows:
                with self._exclusive():  # no local command between dropping and re-applying
                    self.store.take_events(page.rows, page.next_after)
                    self._note_records(page, meta.field_id)
                pulled += len(page.rows)
            after = page.next_after
            if not page.rows or after >= page.last_position:
                break
        if self.store.meta().needs_rebase:
            self.rebase()
        else:
            self.planner.catch_up()
        service = self.planner.service
        if isinstance(service, FieldService):
            service.field_hq_position = self.store.meta().hq_position
        return pulled

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        service = self.planner.service
        with service._rights_lock.hold(exclusive=True), service._writer_lock():
            yield

    def _note_records(self, page: EventPage, field_id: str) -> None:
        received = [orjson.loads(state) for _, _, topic, state in page.rows if topic == _RECEIVED]
        mine = [r for r in received if r.get("field_id") == field_id]
        if mine:
            self.store.answer(
                (r["slug"], r["outcome"], r["rule"], r["refused_field"], r["message"]) for r in mine
            )
        resolved = [
            (oid, orjson.loads(state)) for oid, _, topic, state in page.rows if topic == _RESOLVED
        ]
        if resolved:
            service = self.planner.service
            ids = {
                service.id_of(FIELD_COMMAND, e.command_id).hex: e.command_id
                for e in self.store.entries(["conflict", "waiting"])
            }
            for oid, state in resolved:
                command_id = ids.get(oid.replace("-", ""))
                if command_id is not None:
                    resolution = "applied" if state["action"] == "apply" else "discarded"
                    self.store.resolve(command_id, resolution)

    def rebase(self) -> None:
        """Apply the waiting commands again on headquarters' state; fold the views again."""
        service = self.planner.service
        with self._exclusive():
            cache = getattr(service.repository, "cache", None)
            if cache is not None and hasattr(cache, "clear"):
                cache.clear()
            waiting = self.store.entries([WAITING])
            notes = reapply(service, waiting)
            self.store.note_local(notes)
            self.store.rebased()
        rebuild_views(self.planner)


def reapply(service: Any, entries: Sequence[Any]) -> dict[str, str | None]:
    """Run outbox entries again (not queued again); each one's local refusal, or None."""
    notes: dict[str, str | None] = {}
    with service.batch():
        for entry in entries:
            try:
                args = validated_args(entry.command, entry.args, EXTRAS)
                service.execute(entry.command, args)
            except (PlannerError, ValueError) as error:
                rule, _, message = refusal_of(error)
                notes[entry.command_id] = f"{rule}: {message}"
            else:
                notes[entry.command_id] = None
    return notes


def rebuild_views(planner: Planner) -> None:
    """Drop the views and fold them again from the first stored event."""
    follower = planner.follower
    with follower._lock:
        planner.views.drop_all()
        follower.projector.restore([], 0)
    follower.catch_up()


def is_field(service: Any) -> bool:
    """True for a field instance's service."""
    return isinstance(service, FieldService)


__all__ = ["FieldSync", "SyncCounts", "SyncError", "SyncReport", "counts_of"]


def _pushed(entry: OutboxEntry) -> dict[str, Any]:
    """A waiting command as headquarters receives it."""
    return {
        "id": entry.command_id,
        "command": entry.command,
        "args": entry.args,
        "hq_position": entry.hq_position,
        "taken_at": entry.taken_at,
    }


def _answer(outcome: dict[str, Any]) -> tuple[str, str, str | None, str | None, str | None]:
    """An outcome as the outbox records it."""
    return (
        outcome["id"],
        outcome["outcome"],
        outcome.get("rule"),
        outcome.get("field"),
        (outcome.get("message")),
    )
