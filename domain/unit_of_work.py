"""The unit of work of a batch of commands: its aggregates and their events, in order."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.base import PlannerAggregate


class UnitOfWork:
    """Aggregates loaded in a batch and their events in the order the commands made them.

    Aggregates are keyed by `id.int`: hashing a UUID runs Python code, hashing an int does not.
    """

    def __init__(self) -> None:
        self.aggregates: dict[int, PlannerAggregate] = {}
        self.events: list[DomainEventProtocol[UUID]] = []
        self.settled: dict[int, int] = {}  # versions after the last command that succeeded
        # ids (`id.int`) the store was asked about once and held no events for: until the batch
        # creates one (it is then in `aggregates`), it does not exist (see `known_absent`)
        self.absent: set[int] = set()

    def settle(self) -> None:
        """Mark the current state as the one to go back to if a later command is refused."""
        self.settled = {key: aggregate.version for key, aggregate in self.aggregates.items()}

    def get(self, aggregate_id: UUID) -> PlannerAggregate | None:
        """The aggregate of this id loaded in the batch, if any."""
        return self.aggregates.get(aggregate_id.int)

    def keep(self, aggregate: PlannerAggregate) -> None:
        """Remember an aggregate loaded or changed in the batch."""
        self.aggregates[aggregate.id.int] = aggregate
