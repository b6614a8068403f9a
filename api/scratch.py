"""Scratch work on uploaded scenario files: a small pool per app, 429 beyond it.

The work itself runs in the planner's worker processes (`planner.scratch`, through the
scenario use cases of `api.ports`). At most `size` pieces of work run at once per app; a
request finding every slot taken is answered 429 at once (it never waits holding a thread).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

from api.errors import ApiProblem
from api.ports import ScenarioUseCases

RETRY_AFTER_SECONDS: Final = 2


class ScratchPool:
    """At most `size` scenario checks or replays at once for this app; beyond: 429."""

    def __init__(self, size: int, scenarios: ScenarioUseCases) -> None:
        self.size = max(1, size)
        self.scenarios = scenarios
        self._slots = threading.BoundedSemaphore(self.size)

    async def check(self, text: str, name: str) -> dict[str, object]:
        """The summary of a valid file; raises ScenarioError for a bad one."""
        result: dict[str, object] = await self._run(self.scenarios.submit_check, text, name)
        return result

    async def replay(self, text: str, name: str, until: str | None) -> dict[str, object]:
        """The replay report; raises ScenarioError, or ValueError for a bad `until`."""
        result: dict[str, object] = await self._run(self.scenarios.submit_replay, text, name, until)
        return result

    async def _run(self, submit: Any, *args: Any) -> Any:
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
            path, message, fields = value
            error_class: Any = self.scenarios.error
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
