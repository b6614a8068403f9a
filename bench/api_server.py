"""The benchmarks' server: the benchmark world seeded in a store, `planner serve` on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.http_load import request
from bench.workload import busy_steps, setup_steps
from planner.wiring import open_planner

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "bench-admin-token-0123456789"
VIEWER_TOKEN = "bench-viewer-token-0123456789"
SERVER_PIDS: dict[str, int] = {}  # base URL -> process id of the running server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, busy: int) -> int:
    """Store the benchmark world (partners, a plan, stockpiles, 20 camps) and `busy` commands."""
    planner = open_planner(url)
    try:
        service = planner.service
        steps = setup_steps() + busy_steps(busy)
        with service.batch():
            for command, args in steps:
                service.execute(command, args)
        planner.catch_up()
        return len(steps)
    finally:
        planner.close()


@contextmanager
def server(
    url: str,
    workdir: Path,
    *,
    workers: int = 1,
    prefix: tuple[str, ...] = (),
    read_url: str | None = None,
) -> Iterator[str]:
    """`planner serve` on a free port of 127.0.0.1; yields its base URL; stops it afterwards.

    `prefix` runs the server under another program (a profiler: `py-spy record ... --`)."""
    tokens = workdir / "tokens.yaml"
    tokens.write_text(
        f"- {{token: {ADMIN_TOKEN}, role: admin}}\n"
        f"- {{token: {VIEWER_TOKEN}, partner: gov-c, role: viewer}}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PLANNER_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT)}
    for attempt in range(1, 4):  # another program may take the free port first: start again
        port = free_port()
        command = [*prefix, sys.executable, "-m", "planner.cli", "serve", "--db", url]
        command += ["--tokens", str(tokens), "--port", str(port), "--workers", str(workers)]
        if read_url:
            command += ["--read-db", read_url]
        log = (workdir / f"server-{port}.log").open("wb")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"127.0.0.1:{port}"
        SERVER_PIDS[base] = process.pid
        try:
            _wait_started(base, process, log.name)
            break
        except BaseException as error:
            _stop(process)
            log.close()
            if not isinstance(error, _PortTaken) or attempt == 3:
                raise
    try:
        yield base
    finally:
        _stop(process)
        log.close()


class _PortTaken(RuntimeError):
    """Another program answers on the port this server was to use."""


def _wait_started(base: str, process: subprocess.Popen[bytes], log: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise _PortTaken(f"the server exited: see {log}")
        try:
            if request(base, "GET", "/healthz")[0] == 200 and _ours(base, process):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start within 30 s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ours(base: str, process: subprocess.Popen[bytes]) -> bool:
    """True once the server on `base` is the one started here: other engineers' servers on this
    machine take free ports too, and one may answer /healthz on a port this one failed to bind
    (it then exits). The benchmark's token must be known to the server that answers."""
    time.sleep(0.2)
    if process.poll() is not None:
        raise _PortTaken(f"the server on {base} exited (its port may have been taken)")
    status, _ = request(base, "GET", "/camps?limit=1", token=ADMIN_TOKEN)
    if status == 401:
        raise _PortTaken(f"another program answers on {base}: not the server started here")
    return True
