"""What every request handler works with: the planner, the tokens and the settings."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from api.auth import TokenRegistry
from api.idempotency import IdempotencyStore
from api.inline_views import InlineViews
from api.ports import Planner


@dataclass(frozen=True)
class ApiSettings:
    """Tunables of the HTTP API.

    `projector`: "in-process" when this process keeps the views current (its follower thread,
    or catching up on demand when no thread runs); "external" when another process does
    (`planner serve --no-projector` next to `planner project`): then `?after=` only polls.
    """

    wait_timeout: float = 5.0
    retry_attempts: int = 12
    max_scenario_bytes: int = 1_000_000
    projector: Literal["in-process", "external"] = "in-process"
    replay_concurrency: int = 1
    close_planner_on_shutdown: bool = False
    stream_poll_interval: float = 0.25
    stream_heartbeat: float = 15.0
    stream_max_duration: float = 3600.0


@dataclass
class ApiContext:
    """The app's collaborators, built once by create_app()."""

    planner: Planner
    tokens: TokenRegistry
    settings: ApiSettings
    idempotency: IdempotencyStore
    replays: threading.BoundedSemaphore = field(init=False)
    inline_views: InlineViews | None = field(init=False)

    def __post_init__(self) -> None:
        self.inline_views = InlineViews.for_store(self.planner.views)
        self.replays = threading.BoundedSemaphore(max(1, self.settings.replay_concurrency))

    @property
    def inline_reads(self) -> bool:
        """Whether one-view reads run on the event loop: a SQLite primary-key read takes well
        under a millisecond, less than the trip through the thread pool. PostgreSQL reads go
        over the network and stay in the thread pool."""
        return not self.planner.views.postgres

    def close(self) -> None:
        """Close the connections of the inline reads (the planner is the caller's)."""
        if self.inline_views is not None:
            self.inline_views.close()

    def views_position(self) -> int:
        """The last event position in the views queries read (on a replica: replayed there)."""
        return self.planner.served_views.position()

    def last_position(self) -> int:
        """The last event position stored in the event log."""
        return self.planner.service.recorder.max_notification_id() or 0

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the views include `position` (at most `timeout` s); True if they do."""
        deadline = time.monotonic() + timeout
        if self.views_position() >= position:
            return True
        if self.settings.projector == "in-process":
            self.planner.follower.wait_for(position, timeout)
        delay = 0.002  # another process projects: poll the views' position, soon and often
        while self.views_position() < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.01)
        return True
