"""Real `planner serve` processes for tests: a free port, waiting until healthy, a small world."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"Authorization": "Bearer scale-out-admin-token"}
CAMP = {"camp": "c", "plan": "p", "location": "L", "site_area_m2": 9000, "shelter_capacity": 200}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until the server at `base` answers /healthz (fail if its process exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server at {base} exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server at {base} did not start")


def server_env() -> dict[str, str]:
    """The environment of a test server: the admin token, quiet logs."""
    return {
        **os.environ,
        "PLANNER_TOKENS": orjson.dumps(
            [{"token": ADMIN["Authorization"][7:], "role": "admin"}]
        ).decode(),
        "PLANNER_LOG_LEVEL": "warning",
    }


@contextmanager
def planner_serve(*options: str) -> Iterator[str]:
    """`planner serve OPTIONS` on a free port of 127.0.0.1; yields its base URL; stops it."""
    port = free_port()
    command = [sys.executable, "-m", "planner.cli", "serve", *options]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def make_camp(http: httpx.Client, base: str) -> None:
    """Register a partner, draft plan `p` and establish camp `c` in it."""
    for path, body in (
        ("/partners", {"partner": "pwj", "name": "Peace Winds Japan", "kind": "ngo"}),
        ("/plans", {"plan": "p", "title": "P", "crisis": "Flood", "planning_figure": 100}),
        ("/camps", CAMP),
    ):
        answer = http.post(base + path, json=body)
        assert answer.status_code == 201, answer.text


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process (SIGTERM, then SIGKILL after 10 s) and close its stderr."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()
