"""Scratch work on uploaded scenario files: a small pool per app, 429 beyond it.

The work itself runs in the planner's worker processes (`planner.scratch`, through the
scenario use cases of `api.ports`). At most `size` pieces of work run at once per app; a
request finding every slot taken is answered 429 at once (it never waits holding a thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Final, cast

from api.errors import ApiProblem
from api.ports import ScenarioUseCases, ScratchOutcome

RETRY_AFTER_SECONDS: Final = 2


class ScratchPool:
    """At most `size` scenario checks or replays at once for this app; beyond: 429."""

    def __init__(self, size: int, scenarios: ScenarioUseCases) -> None:
        self.size = max(1, size)
        self.scenarios = scenarios
        self._slots = threading.BoundedSemaphore(self.size)

    async def check(self, text: str, name: str) -> dict[str, object]:
        """The summary of a valid file; raises ScenarioError for a bad one."""
        return cast(dict[str, object], await self._run(self.scenarios.submit_check, text, name))

    async def replay(self, text: str, name: str, until: str | None) -> dict[str, object]:
        """The replay report; raises ScenarioError, or ValueError for a bad `until`."""
        result = await self._run(self.scenarios.submit_replay, text, name, until)
        return cast(dict[str, object], result)

    async def _run(
        self, submit: Callable[..., Future[ScratchOutcome]], *args: str | None
    ) -> object:
        if not self._slots.acquire(blocking=False):
            raise busy(self.size)
        try:
            kind, value = await asyncio.wrap_future(submit(*args))
        except BrokenProcessPool:
            self.scenarios.forget_broken_pool()
            raise ApiProblem(
                503,
                "scratch-failed",
                "Scenario worker failed",
                "the worker replaying this file stopped (out of memory?); nothing was stored",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        finally:
            self._slots.release()
        if kind == "scenario-error":
            path, message, fields = cast(tuple[str, str, dict[str, object]], value)
            error_class = cast(Callable[..., Exception], self.scenarios.error)
            raise error_class(path, message, **fields)
        if kind == "until-error":
            raise ValueError(value)
        return value


def busy(size: int) -> ApiProblem:
    """The 429 answer when every scratch slot is taken."""
    return ApiProblem(
        429,
        "busy",
        "Too many scenario files at once",
        f"this server checks or replays at most {size} scenario file(s) at a time; "
        f"try again in {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
