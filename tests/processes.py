"""Helpers of the tests that start `planner` processes: a free port, waiting for an answer."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answers(
    url: str, process: subprocess.Popen[str] | None = None, timeout: float = 60
) -> None:
    """Wait until GET `url` answers 200; fail at once if the server process has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"the server exited before {url} answered: {output}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")
