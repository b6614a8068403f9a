"""What the planner's service asks of its storage; the bootstrap provides it (adapters/).

The service stores events through the eventsourcing library's Application, with the library's
transcoder, mapper, recorder and event store unless the bootstrap plugs in others that write
the same records (planner/wiring.py plugs in adapters/storage.py). The domain names none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    InfrastructureFactory,
    Mapper,
    Transcoder,
)

from domain.field_command import FieldRecord


class StorageAdapters(Protocol):
    """Builds the service's storage parts; called from the library's `construct_*` hooks."""

    def transcoder(self) -> Transcoder:
        """The transcoder of event state."""
        ...

    def mapper(self, factory: InfrastructureFactory, transcoder: Transcoder) -> Mapper[UUID]:
        """The mapper from domain events to stored events."""
        ...

    def recorder(self, recorder: ApplicationRecorder) -> ApplicationRecorder:
        """The recorder to use instead of the one the library configured."""
        ...

    def event_store(self, mapper: Mapper[UUID], recorder: ApplicationRecorder) -> EventStore[UUID]:
        """The event store over that mapper and recorder."""
        ...

    def writer_lock(self, recorder: ApplicationRecorder) -> AbstractContextManager[None]:
        """A lock held by one process at a time on the store (a group commit runs under it)."""
        ...

    def field_ledger(self, recorder: ApplicationRecorder) -> FieldLedger:
        """Headquarters' ledger of received field commands, beside the recorder's events."""
        ...


@runtime_checkable
class PositionedEventStore(Protocol):
    """An event store that can store events without making their recordings."""

    def put_for_position(self, domain_events: Sequence[DomainEventProtocol[UUID]]) -> int | None:
        """Store the events; return the last one's notification id (None if none)."""
        ...

    def put_for_positions(
        self,
        domain_events: Sequence[DomainEventProtocol[UUID]],
        after_insert: AfterInsert | None = None,
    ) -> Sequence[int]:
        """Store the events in one transaction; return each one's notification id.

        `after_insert` is called with the transaction's cursor and the ids before the commit
        (with None after it when the store has no SQL transaction)."""
        ...


# Called inside the events' transaction with its cursor (None: no SQL store) and their ids.
AfterInsert = Callable[[Any, Sequence[int]], None]


class Receipt(Protocol):
    """A record a caller stores with its command's events, in their transaction, once per key
    (the API's idempotency record): the command does not run if its key was recorded before."""

    @property
    def key(self) -> Hashable:
        """Commands with equal keys are one request: the first recorded wins."""
        ...

    @property
    def recorded(self) -> object | None:
        """What `write` stored (None before)."""
        ...

    def earlier(self, group: Sequence[Receipt]) -> Mapping[Any, object]:
        """What earlier commands recorded under the keys of these receipts (this one's among
        them), by key: one read for a group, under the store's writer lock (so no other
        planner process records them meanwhile)."""
        ...

    def write(self, cursor: object, result: object) -> None:
        """Record the command's result (with its position) through the cursor of the events'
        transaction (None: in a transaction of its own, after the events)."""
        ...


class FieldLedger(Protocol):
    """Headquarters' record of every field command received, by command id (a side table in
    the events' database, written in their transaction): each id is recorded once."""

    in_events_transaction: bool  # False: written after the events (looked up before, then)

    def ready(self) -> None:
        """Make the ledger's table if it is missing (before the events' transaction)."""
        ...

    def known(self, command_ids: Sequence[str]) -> Mapping[str, FieldRecord]:
        """The records of these command ids that have one (one read)."""
        ...

    def write(self, cursor: object, records: Sequence[FieldRecord]) -> None:
        """Record these commands through the events' transaction's cursor (None: in a
        transaction of its own); an id recorded before fails the transaction (IntegrityError)."""
        ...
