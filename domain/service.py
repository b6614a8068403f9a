"""The planner's application service: one method per command of the contract.

Each method loads the aggregates it needs, calls them (they validate and compute), and saves
their new events. The plumbing (loading by slug, batches, storing) is in domain/service_core.py,
running commands by name under the rights lock in domain/service_execution.py, and the command
methods by aggregate family in domain/service_plans.py, service_supplies.py, service_camps.py and
service_offers.py.
"""

from __future__ import annotations

from domain.errors import StatusError
from domain.service_camps import CampCommands
from domain.service_core import AGGREGATE_CLASSES, CommandResult
from domain.service_execution import CommandsRefused, ExecutingService
from domain.service_field import FieldCommands
from domain.service_offers import OfferCommands
from domain.service_plans import PlanCommands
from domain.service_supplies import SupplyCommands


class PlannerService(
    FieldCommands, ExecutingService, PlanCommands, SupplyCommands, CampCommands, OfferCommands
):
    """The response planner: partners, plans, stockpiles and camps, kept as events."""

    name = "planner"  # the library names each subclass after itself: the tables are planner_*


__all__ = [
    "AGGREGATE_CLASSES",
    "CommandResult",
    "CommandsRefused",
    "PlannerService",
    "StatusError",
]
