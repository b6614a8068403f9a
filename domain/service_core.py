"""The planner service's plumbing: loading entities by slug, batches, storing events.

Entities are named by slug; ids are uuid5 of the slug within the service's namespace, so a replay
stores identical events. Inside `batch()` commands share one identity map and their events are
saved together, in command order, in one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    Mapper,
    Transcoder,
)

from domain import clock
from domain.base import PLANNER_NAMESPACE, PlannerAggregate, entity_id
from domain.camp import Camp
from domain.commands import COMMANDS
from domain.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    NotFoundError,
    VersionMismatchError,
)
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.ports import AfterInsert, PositionedEventStore, StorageAdapters
from domain.shipment import Shipment
from domain.stockpile import Stockpile
from domain.unit_of_work import UnitOfWork

A = TypeVar("A", bound=PlannerAggregate)
# A command method: keyword arguments in, a CommandResult out (its signature is kept).
C = TypeVar("C", bound=Callable[..., "CommandResult"])

_ID_CACHE_SIZE = 100_000

AGGREGATE_CLASSES: Mapping[str, type[PlannerAggregate]] = {
    "partner": Partner,
    "plan": ResponsePlan,
    "stockpile": Stockpile,
    "camp": Camp,
    "shipment": Shipment,
    "offer": Offer,
}


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the aggregate it acted on, its new version, the last event's position.

    `position` is None while the command waits in an unflushed batch.
    """

    entity: str
    slug: str
    aggregate_id: UUID
    version: int
    position: int | None


def _result(
    entity: str, slug: str, aggregate_id: UUID, version: int, position: int | None
) -> CommandResult:
    """CommandResult(...), without the frozen dataclass's per-field __setattr__ (a replay
    makes one per step)."""
    result = _new(CommandResult)
    _set(
        result,
        "__dict__",
        {
            "entity": entity,
            "slug": slug,
            "aggregate_id": aggregate_id,
            "version": version,
            "position": position,
        },
    )
    return result


_new = object.__new__
_set = object.__setattr__


def command(method: C) -> C:
    """Run a command method under the service's clock; on refusal, drop its half-made events."""

    @wraps(method)
    def run(self: ServiceCore, *args: object, **kwargs: object) -> CommandResult:
        token = clock.set_clock(self.clock_fn)
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self._discard_pending()
            raise
        finally:
            clock.reset_clock(token)

    return cast(C, run)


class ServiceCore(Application[UUID]):
    """The service's plumbing, which the command families (domain/service_*.py) build on."""

    name = "planner"
    # A bounded cache of loaded aggregates, fast-forwarded from the store on every load (so
    # other processes' writes are seen): a command costs O(new events), not O(history).
    env = {"IS_SNAPSHOTTING_ENABLED": "n", "AGGREGATE_CACHE_MAXSIZE": "1000"}  # noqa: RUF012

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        namespace: UUID = PLANNER_NAMESPACE,
        clock_fn: clock.Clock | None = None,
        storage: StorageAdapters | None = None,
    ) -> None:
        self.storage = storage  # read by the construct_* hooks that super().__init__ calls
        super().__init__(env)
        self.namespace = namespace
        self.clock_fn = clock_fn or clock.utc_now
        self._local = threading.local()
        self._ids: dict[tuple[str, str], UUID] = {}
        # Called with each command's new events, in order (the replay folds them in-process).
        self.observers: list[Callable[[list[DomainEventProtocol[UUID]]], None]] = []
        self._notify_overridden = type(self)._notify is not Application._notify
        # Recordings are only made if a subclass listens for them (overrides _notify).
        self._positioned: PositionedEventStore | None = (
            self.events
            if isinstance(self.events, PositionedEventStore) and not self._notify_overridden
            else None
        )

    @property
    def _uow(self) -> UnitOfWork | None:
        # Per thread: concurrent callers (HTTP requests in a thread pool) never share a batch.
        uow: UnitOfWork | None = getattr(self._local, "uow", None)
        return uow

    @_uow.setter
    def _uow(self, value: UnitOfWork | None) -> None:
        self._local.uow = value

    def construct_transcoder(self) -> Transcoder:
        """The bootstrap's transcoder, or the library's."""
        if self.storage is None:
            return super().construct_transcoder()
        return self.storage.transcoder()

    def construct_mapper(self) -> Mapper[UUID]:
        """The bootstrap's mapper, or the library's."""
        if self.storage is None:
            return super().construct_mapper()
        return self.storage.mapper(self.factory, self.construct_transcoder())

    def construct_recorder(self) -> ApplicationRecorder:
        """The configured recorder, as the bootstrap's storage adapts it."""
        recorder = super().construct_recorder()
        return recorder if self.storage is None else self.storage.recorder(recorder)

    def construct_event_store(self) -> EventStore[UUID]:
        """The bootstrap's event store, or the library's."""
        if self.storage is None:
            return super().construct_event_store()
        return self.storage.event_store(self.mapper, self.recorder)

    # -- plumbing ------------------------------------------------------------------------------

    def id_of(self, kind: str, slug: str) -> UUID:
        """The id of the entity of this kind and slug in this service's namespace."""
        key = (kind, slug)
        found = self._ids.get(key)
        if found is None:
            if len(self._ids) >= _ID_CACHE_SIZE:  # bounded: lookups of unknown slugs add up
                self._ids.clear()
            found = self._ids[key] = entity_id(kind, slug, self.namespace)
        return found

    def load(self, kind: str, slug: str, cls: type[A]) -> A:
        """Load an entity by slug (from the batch first), or raise NotFoundError."""
        aggregate_id = self.id_of(kind, slug)
        uow = self._uow
        if uow is not None:
            found = uow.get(aggregate_id)
            if found is not None:
                return found  # type: ignore[return-value]
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(kind, slug) from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(kind, slug)
        if uow is not None:
            uow.keep(aggregate)
        return aggregate

    def exists(self, kind: str, slug: str) -> bool:
        """True if an entity of this kind and slug is stored (or created in this batch)."""
        aggregate_id = self.id_of(kind, slug)
        uow = self._uow
        if uow is not None:
            if uow.get(aggregate_id) is not None:
                return True
            if aggregate_id.int in uow.absent:
                return False
        return aggregate_id in self.repository

    def known_absent(self, entities: Iterable[tuple[str, str]]) -> None:
        """Ask the store once which of these (kind, slug) entities it holds, so that `exists`
        answers for the others without a read each, for the rest of the current batch.

        For a batch that is the only writer of these entities (a scenario replay, whose ids are
        its own namespace's): were another writer to create one meanwhile, the batch's own
        creation of it would be refused by the store (version 1 stored twice) when it is saved,
        and nothing of that save would be stored.
        """
        uow = self._uow
        if uow is None:
            return
        ids = list(dict.fromkeys(self.id_of(kind, slug) for kind, slug in entities))
        stored_among = getattr(self.recorder, "stored_originators", None)
        if stored_among is None:
            stored = {i for i in ids if i in self.repository}
        else:
            stored = stored_among(ids)
        uow.absent.update(i.int for i in ids if i not in stored)

    def _require_new(self, kind: str, slug: str) -> UUID:
        if self.exists(kind, slug):
            raise AlreadyExistsError(kind, slug)
        return self.id_of(kind, slug)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many commands with one identity map and save their events in one transaction.

        If a command raises, the events of the commands before it are still saved (they were
        valid), and the error propagates: nothing of the failing command is stored.
        """
        if self._uow is not None:
            yield
            return
        self._uow = UnitOfWork()
        try:
            yield
        finally:
            try:
                self.flush()
            finally:
                self._uow = None

    def flush(self) -> int | None:
        """Save the events collected in the current batch; return the last position."""
        uow = self._uow
        if uow is None or not uow.events:
            return None
        events, uow.events = uow.events, []
        return self._store(events)

    def _store(self, events: list[DomainEventProtocol[UUID]]) -> int | None:
        with self._conflicts():
            # events.put() is what save() does for plain events, without save()'s runtime
            # Protocol checks, which cost more than the insert itself in long replays.
            if self._positioned is not None:
                return self._positioned.put_for_position(events)
            recordings = self.events.put(events)
        self._notify(recordings)
        return recordings[-1].notification.id if recordings else None

    def _store_each(
        self, events: list[DomainEventProtocol[UUID]], after_insert: AfterInsert | None = None
    ) -> Sequence[int]:
        """Store events in one transaction; return each one's position. `after_insert` runs
        in that transaction (domain.ports.PositionedEventStore)."""
        with self._conflicts():
            if self._positioned is not None:
                return self._positioned.put_for_positions(events, after_insert)
            recordings = self.events.put(events)
            positions = [recording.notification.id for recording in recordings]
            if after_insert is not None:
                after_insert(None, positions)
        self._notify(recordings)
        return positions

    @contextmanager
    def _conflicts(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as error:
            uow = self._uow
            if uow is not None:
                uow.aggregates.clear()
            raise ConcurrencyError(
                "another writer changed the same entity first; nothing was stored, try again"
            ) from error

    def _commit(
        self, entity: str, primary: PlannerAggregate, *others: PlannerAggregate
    ) -> CommandResult:
        events = cast("list[DomainEventProtocol[UUID]]", primary.collect_events())  # a new list
        for other in others:
            events += other.collect_events()
        for observe in self.observers:
            observe(events)
        uow = self._uow
        if uow is not None:
            aggregates = uow.aggregates
            aggregates[primary._id.int] = primary
            for other in others:
                aggregates[other._id.int] = other
            uow.events += events
            position = None
        else:
            position = self._store(events)
        return _result(entity, primary.slug, primary._id, primary._version, position)

    def _discard_pending(self) -> None:
        uow = self._uow
        if uow is not None:
            for aggregate in uow.aggregates.values():
                aggregate.collect_events()

    def by_id(self, aggregate_id: UUID) -> Any:
        """The aggregate of this id (from the batch first)."""
        uow = self._uow
        if uow is not None:
            found = uow.get(aggregate_id)
            if found is not None:
                return found
        aggregate: Any = self.repository.get(aggregate_id)
        if uow is not None:
            uow.keep(aggregate)
        return aggregate

    def _writer_lock(self) -> AbstractContextManager[None]:
        """The store's lock against other processes' groups (none without storage adapters)."""
        if self.storage is None:
            return nullcontext()
        return self.storage.writer_lock(self.recorder)

    def _run(
        self, command: str, args: Mapping[str, object], expected_version: int | None
    ) -> CommandResult:
        method = getattr(self, command)
        if expected_version is not None:
            self.require_version(command, args, expected_version)
        result: CommandResult = method(**args)
        return result

    def require_version(self, command: str, args: Mapping[str, Any], expected: int) -> None:
        """Refuse (VersionMismatchError) if the command's entity is not at the expected version."""
        spec = COMMANDS[command]
        slug = args[spec.entity]
        aggregate = self.load(spec.entity, slug, AGGREGATE_CLASSES[spec.entity])
        if aggregate.version != expected:
            raise VersionMismatchError(spec.entity, slug, expected, aggregate.version)
