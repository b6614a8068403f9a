"""Scratch work on scenario files in worker processes (for the HTTP API's uploads).

Parsing and replaying an uploaded file is CPU and memory work done for one caller. It runs in
a pool of worker processes (a fork server's children: started clean, never forked from the
server's threads) at the lowest CPU priority, so it neither holds the server's interpreter
lock against everybody else's commands nor leaves the server resident at its peak. Workers
collect their garbage and hand freed heap back to the operating system after each file.
Results and errors travel back as plain values (`Outcome`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Final

from planner.replay import replay_scenario
from planner.scenario import ScenarioError, parse_offset_or_time, parse_scenario

WORKER_PROCESSES: Final = 1  # shared by every app of this process
WORKER_NICENESS: Final = 19  # scratch work yields the CPU to everybody's commands


def _libc() -> ctypes.CDLL | None:
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

Outcome = tuple[str, object]  # (kind, value): see api.ports.ScratchOutcome


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


_executor: ProcessPoolExecutor | None = None
_executor_lock = threading.Lock()


def _workers() -> ProcessPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["planner.scratch"])
            _executor = ProcessPoolExecutor(
                WORKER_PROCESSES, mp_context=context, initializer=_start_worker
            )
        return _executor


def _start_worker() -> None:
    """A worker's start: the lowest priority, and an exit as soon as the server is gone."""
    _lower_priority()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(server_sentinel: int) -> None:
    """Exit when the server process ends, however it ends.

    A pool's worker holds both ends of its task pipe, so it never sees the server die; and
    the fork server stays up while any of its children live. Without this, every `kill -9` of
    a server left both running for ever (holding the server's stdout, if it was a pipe)."""
    multiprocessing.connection.wait([server_sentinel])
    os._exit(0)


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


def submit_check(text: str, name: str) -> Future[Outcome]:
    """Check a scenario file in a worker."""
    return _workers().submit(check_job, text, name)


def submit_replay(text: str, name: str, until: str | None) -> Future[Outcome]:
    """Replay a scenario file in a worker's fresh in-memory store."""
    return _workers().submit(replay_job, text, name, until)


def forget_broken_pool() -> None:
    """Drop a pool whose worker died (the next piece of work starts a new one)."""
    _forget_broken_pool()


with contextlib.suppress(Exception):  # pragma: no cover - best effort
    import atexit

    atexit.register(lambda: _executor.shutdown(wait=False) if _executor else None)
