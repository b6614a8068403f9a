"""A killed server leaves no scenario workers behind.

`planner serve` starts its scratch workers (a fork server and its pool's worker,
`planner.scratch`) at startup. They used to outlive a `kill -9` of the server for ever, holding
its stdout; now the worker exits when the server does, and the fork server with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.servers import ROOT, free_port, server_env, wait_healthy


def descendants(pid: int) -> set[int]:
    """Every living process under `pid` (children, theirs, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_server_killed_with_sigkill_leaves_no_workers(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "planner.cli", "serve", "--db", str(tmp_path / "p.sqlite")]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server)
        deadline = time.monotonic() + 30
        while len(workers := descendants(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the fork server, then the pool's worker
        assert len(workers) >= 2, workers
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        assert server.stderr is not None
        server.stderr.close()
