"""What every request handler works with: the planner, the tokens and the settings."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from api.auth import TokenRegistry
from api.idempotency import IdempotencyStore
from api.inline_views import InlineViews, PostgresInlineViews
from api.ports import Planner
from api.scratch import ScratchPool
from api.sessions import SessionStore


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
    replay_concurrency: int = 1  # scenario checks and scratch replays at once (429 beyond)
    close_planner_on_shutdown: bool = False
    stream_poll_interval: float = 0.25
    stream_heartbeat: float = 15.0
    stream_max_duration: float = 3600.0  # a stream ends then; the client resumes from its id
    max_streams_per_token: int = 4  # concurrent /events/stream connections per token (429)
    ready_max_lag: int = 1000  # /readyz answers 503 while the views lag more events than this


@dataclass
class ApiContext:
    """The app's collaborators, built once by create_app()."""

    planner: Planner
    tokens: TokenRegistry
    settings: ApiSettings
    idempotency: IdempotencyStore
    sessions: SessionStore
    scratch: ScratchPool = field(init=False)
    inline_views: InlineViews | PostgresInlineViews | None = field(init=False)
    _streams: dict[str, int] = field(init=False, default_factory=dict)
    _streams_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.inline_views = InlineViews.for_store(self.planner.served_views)
        self.scratch = ScratchPool(self.settings.replay_concurrency, self.planner.scenarios)

    def open_stream(self, caller: str) -> bool:
        """Count one more event stream of a caller; False when it has its maximum open."""
        with self._streams_lock:
            open_now = self._streams.get(caller, 0)
            if open_now >= self.settings.max_streams_per_token:
                return False
            self._streams[caller] = open_now + 1
            return True

    def close_stream(self, caller: str) -> None:
        """Count one event stream of a caller less."""
        with self._streams_lock:
            left = self._streams.get(caller, 0) - 1
            if left > 0:
                self._streams[caller] = left
            else:
                self._streams.pop(caller, None)

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
        # Another process projects, or a replica replays: poll the views' position, soon and
        # often (a primary-key read; a replica replays a commit within a few milliseconds).
        delay = 0.001
        while self.views_position() < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.004)
        return True
