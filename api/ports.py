"""What the HTTP API needs of the planner it serves: declared here, provided by the bootstrap.

The API is an entrypoint over the planner's use cases. It imports the domain and the
projections, never `planner/`: `planner.wiring.open_planner()` returns a `Planner` of this
shape, and `planner serve` hands it to `api.app.create_app`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Protocol

from domain.rights import Actor
from domain.service import PlannerService
from projections.follower import ProjectionFollower
from projections.queries import ReadinessQueries
from projections.store import PostgresViewStore, SQLiteViewStore

# What a worker's scenario job hands back, as plain values: ("ok", summary or report),
# ("scenario-error", (path, message, {step, line, check})) or ("until-error", message).
ScratchOutcome = tuple[str, object]


class ScenarioFile(Protocol):
    """A parsed and validated scenario file."""

    @property
    def slug(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def start(self) -> datetime: ...

    @property
    def steps(self) -> Sequence[object]: ...

    @property
    def checks(self) -> Sequence[object]: ...


class ScenarioUseCases(Protocol):
    """Check a scenario file, or replay it in a scratch store (as `planner check`/`replay`)."""

    @property
    def error(self) -> type[Exception]:
        """The error an invalid file raises; it has `step`, `check` and `line` (or None)."""
        ...

    def parse(self, text: str, name: str) -> ScenarioFile:
        """Parse and validate scenario text; `name` is used in messages."""
        ...

    def parse_until(self, text: str, start: datetime) -> datetime:
        """A stop time (+3d or ISO 8601) of a scenario starting at `start`; ValueError if bad."""
        ...

    def replay(self, scenario: ScenarioFile, until: datetime | None) -> Mapping[str, object]:
        """Replay a parsed scenario in a fresh in-memory store; its JSON report."""
        ...

    def submit_check(self, text: str, name: str) -> Future[ScratchOutcome]:
        """Check scenario text in a worker process: ("ok", summary), ("scenario-error",
        (path, message, {step, line, check}))."""
        ...

    def submit_replay(self, text: str, name: str, until: str | None) -> Future[ScratchOutcome]:
        """Replay scenario text in a worker process: ("ok", report), ("scenario-error", …) or
        ("until-error", message)."""
        ...

    def warm_up(self) -> None:
        """Start the worker processes (in the background)."""
        ...

    def forget_broken_pool(self) -> None:
        """Drop a worker pool whose worker died."""
        ...


class SiteListUseCases(Protocol):
    """Import a site list (an HXL-tagged CSV) as camps of a plan, all rows or none."""

    @property
    def error(self) -> type[Exception]:
        """The error a bad list raises; it has `problems`, each naming a row and column."""
        ...

    def import_csv(
        self, service: PlannerService, data: bytes, plan: str, name: str, actor: Actor | None
    ) -> dict[str, object]:
        """Read, check and store the list; {plan, sites, people, camps, position}."""
        ...


class SyncUseCases(Protocol):
    """Field instances and headquarters: events out, commands in, conflicts (docs/field.md)."""

    def export(self, after: int, limit: int, camps: Sequence[str]) -> dict[str, Any]:
        """Stored events after a position (the named camps' only, if any); states in base64."""
        ...

    def receive(
        self, actor: Actor, field_id: str, commands: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Apply a field's commands in order, each at most once; each one's outcome."""
        ...

    def conflicts(self, open_only: bool = True) -> list[dict[str, Any]]:
        """Field commands headquarters refused, with their resolutions."""
        ...

    def resolve(
        self,
        actor: Actor,
        command_id: str,
        action: str,
        command: str | None,
        args: Mapping[str, Any] | None,
        reason: str,
    ) -> dict[str, Any]:
        """Resolve an open conflict: apply an adjusted command, or discard with a reason."""
        ...

    def status(self) -> dict[str, Any]:
        """A field instance's sync status ({"field": False} at headquarters)."""
        ...

    def outbox(self) -> list[dict[str, Any]]:
        """A field instance's commands with what became of each."""
        ...


class Planner(Protocol):
    """An open planner: its service, views, projection follower, queries and scenario use cases."""

    @property
    def service(self) -> PlannerService: ...

    @property
    def views(self) -> SQLiteViewStore | PostgresViewStore: ...

    @property
    def served_views(self) -> SQLiteViewStore | PostgresViewStore: ...

    @property
    def follower(self) -> ProjectionFollower: ...

    @property
    def queries(self) -> ReadinessQueries: ...

    @property
    def scenarios(self) -> ScenarioUseCases: ...

    @property
    def sites(self) -> SiteListUseCases: ...

    @property
    def sync(self) -> SyncUseCases: ...

    def close(self) -> None:
        """Stop following and release database connections."""
        ...
