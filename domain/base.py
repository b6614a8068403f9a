"""The base aggregate: events stamped by the planner's clock, identified by slug."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import clock

PLANNER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:response-planner")


def entity_id(kind: str, slug: str, namespace: UUID = PLANNER_NAMESPACE) -> UUID:
    """Deterministic id of an entity from its kind and slug (uuid5), within a namespace."""
    return uuid5(namespace, f"{kind}:{slug}")


def workspace_namespace(name: str) -> UUID:
    """Namespace of a workspace (a scenario, say), so two workspaces can reuse slugs."""
    return uuid5(PLANNER_NAMESPACE, f"workspace:{name}")


class PlannerAggregate(Aggregate):
    """Base of the planner's aggregates: a slug, and events stamped by the clock in force."""

    slug: str

    class Event(Aggregate.Event):
        """Base of every planner event."""

        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        """Base of the events that bring an aggregate into being."""
