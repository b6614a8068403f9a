"""Servers in their own processes for tests: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until the server at `base` answers /healthz (fail if it exits or never does)."""
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
