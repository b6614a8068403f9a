"""Scratch work on uploaded scenario files: worker processes, a small pool, 429 beyond it.

Parsing and replaying an uploaded file is CPU and memory work done for one caller. It runs in a
pool of worker processes (a fork server's children: started clean, never forked from the
server's threads), so it neither holds the server's interpreter lock against everybody else's
commands nor leaves the server resident at its peak. At most `size` pieces of work run at once
per server process; a request finding every slot taken is answered 429 at once (it never
waits). Workers collect their garbage and hand freed heap back to the operating system after
each piece of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

from api.errors import ApiProblem
from planner.replay import replay_scenario
from planner.scenario import ScenarioError, parse_offset_or_time, parse_scenario

RETRY_AFTER_SECONDS: Final = 2
WORKER_PROCESSES: Final = 1  # shared by every app of this process
WORKER_NICENESS: Final = 19  # scratch work yields the CPU to everybody's commands


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:  # pragma: no cover - not glibc
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:  # pragma: no cover
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC: Final = _libc()


def release_memory() -> None:
    """Collect garbage and give freed heap memory back to the operating system."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# -- the jobs (run in a worker process; results and errors travel back as plain values) ----------

Outcome = tuple[str, Any]


def _scenario_error(error: ScenarioError) -> Outcome:
    fields = {"step": error.step, "line": error.line, "check": error.check}
    return "scenario-error", (error.path, error.message, fields)


def check_job(text: str, name: str) -> Outcome:
    """Parse and validate a scenario file: its summary, or its error."""
    try:
        scenario = parse_scenario(text, name)
        summary = {
            "ok": True,
            "scenario": scenario.slug,
            "title": scenario.title,
            "steps": len(scenario.steps),
            "checks": len(scenario.checks),
        }
        return "ok", summary
    except ScenarioError as error:
        return _scenario_error(error)
    finally:
        release_memory()


def replay_job(text: str, name: str, until: str | None) -> Outcome:
    """Parse and replay a scenario file in a fresh in-memory store: its report, or its error."""
    try:
        scenario = parse_scenario(text, name)
        stop = None
        if until is not None:
            try:
                stop = parse_offset_or_time(until, scenario.start)
            except ValueError as error:
                return "until-error", str(error)
        return "ok", replay_scenario(scenario, "memory:", until=stop).as_dict()
    except ScenarioError as error:
        return _scenario_error(error)
    finally:
        release_memory()


# -- the pool -------------------------------------------------------------------------------------

_executor: ProcessPoolExecutor | None = None
_executor_lock = threading.Lock()


def _workers() -> ProcessPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["api.scratch"])
            _executor = ProcessPoolExecutor(
                WORKER_PROCESSES, mp_context=context, initializer=_lower_priority
            )
        return _executor


def _lower_priority() -> None:
    """Scratch work runs only on CPU time nobody else wants (SCHED_IDLE where Linux has it)."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _nothing() -> None:
    """A job that starts a worker."""


def warm_up() -> None:
    """Start the worker processes in the background (the first start imports the planner)."""
    threading.Thread(target=lambda: _workers().submit(_nothing), daemon=True).start()


def _forget_broken_pool() -> None:
    global _executor
    with _executor_lock:
        if _executor is not None:
            _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None


class ScratchPool:
    """At most `size` scenario checks or replays at once for this app; beyond: 429."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._slots = threading.BoundedSemaphore(self.size)

    async def check(self, text: str, name: str) -> dict[str, Any]:
        """The summary of a valid file; raises ScenarioError for a bad one."""
        result: dict[str, Any] = await self._run(check_job, text, name)
        return result

    async def replay(self, text: str, name: str, until: str | None) -> dict[str, Any]:
        """The replay report; raises ScenarioError, or ValueError for a bad `until`."""
        result: dict[str, Any] = await self._run(replay_job, text, name, until)
        return result

    async def _run(self, job: Any, *args: Any) -> Any:
        if not self._slots.acquire(blocking=False):
            raise busy(self.size)
        try:
            future = _workers().submit(job, *args)
            kind, value = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            _forget_broken_pool()
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
            raise ScenarioError(path, message, **fields)
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


with contextlib.suppress(Exception):  # pragma: no cover - best effort
    import atexit

    atexit.register(lambda: _executor.shutdown(wait=False) if _executor else None)
