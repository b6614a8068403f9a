"""Load generators for the HTTP benchmarks: a Python one (threads over a few processes, keep-alive
connections, every answer known) and `wrk`; and one plain request."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

COMMAND_CAMPS = ("camp-0", "camp-1", "camp-2", "camp-3")  # what `{i}` in a load's path stands for
LOAD_PROCESSES = 4  # client processes; the clients are threads spread over them


def request(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """One request on a fresh connection: (status, decoded JSON body or None)."""
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return response.status, None
    finally:
        conn.close()


# -- load generators ----------------------------------------------------------------------------


@dataclass
class Load:
    """What one load phase measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    tool: str = "python"

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _client(
    job: tuple[str, str, str, bytes | None, str, float, int, int, bool],
) -> list[dict[str, Any]]:
    """One load process: `threads` clients, each sending requests back to back on its own
    keep-alive connection until `until` (each with a new Idempotency-Key if `keyed`)."""
    base, method, path, body, token, until, first, threads, keyed = job
    results: list[dict[str, Any]] = [{} for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_one_client,
            args=(base, method, path, body, token, until, first + n, results[n], keyed),
        )
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def _one_client(
    base: str,
    method: str,
    path: str,
    body: bytes | None,
    token: str,
    until: float,
    index: int,
    out: dict[str, Any],
    keyed: bool = False,
) -> None:
    path = path.replace("{i}", COMMAND_CAMPS[index % len(COMMAND_CAMPS)])
    host, port = base.split(":")
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    positions: list[int] = []
    done_at: list[float] = []
    errors = 0
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    prefix = f"{os.getpid()}-{index}-{time.time_ns()}-"
    while time.time() < until:
        if keyed:
            headers["Idempotency-Key"] = f"{prefix}{len(latencies)}-{errors}"
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
        statuses[response.status] += 1
        if body is not None and 200 <= response.status < 300:
            positions.append(orjson.loads(raw)["position"])
            done_at.append(time.time())
    conn.close()
    out.update(
        path=path,
        latencies=latencies,
        statuses=statuses,
        errors=errors,
        max_position=max(positions, default=0),
        done_at=done_at,
    )


def python_load(
    base: str,
    method: str,
    path: str,
    token: str,
    *,
    clients: int,
    seconds: float,
    body: Any = None,
    keyed: bool = False,
) -> tuple[Load, list[dict[str, Any]]]:
    """`clients` clients (threads spread over a few processes) sending requests back to back
    for `seconds`; stops by itself. `keyed`: each request with a new Idempotency-Key."""
    data = None if body is None else orjson.dumps(body)
    processes = min(clients, LOAD_PROCESSES)
    shares = [
        clients // processes + (1 if n < clients % processes else 0) for n in range(processes)
    ]
    firsts = [sum(shares[:n]) for n in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pool.map(_warm, range(processes))  # interpreters started before the clock runs
        until = time.time() + seconds
        started = time.perf_counter()
        jobs = [
            (base, method, path, data, token, until, first, share, keyed)
            for first, share in zip(firsts, shares, strict=True)
        ]
        results = [r for group in pool.map(_client, jobs) for r in group]
        elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    load = Load(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=1000 * _quantile(latencies, 0.50),
        p99_ms=1000 * _quantile(latencies, 0.99),
        statuses=statuses,
        errors=sum(r["errors"] for r in results),
    )
    return load, results


def _warm(_: int) -> None:
    return None


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_load(
    base: str, path: str, token: str, *, connections: int, threads: int, seconds: float
) -> Load:
    """GET `path` with wrk (a separate process) for `seconds`."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        f"http://{base}{path}",
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no {percent}% latency in wrk's output:\n{out}")
        return float(match.group(1)) * _WRK_UNITS[match.group(2)]

    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    requests = int(done.group(1))
    bad = int(non_2xx.group(1)) if non_2xx else 0
    return Load(
        requests=requests,
        seconds=float(done.group(2)) * _WRK_UNITS[done.group(3)] / 1000,
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        statuses=Counter({200: requests - bad, 0: bad} if bad else {200: requests}),
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        tool=f"wrk -t{threads} -c{connections}",
    )


# -- reporting ------------------------------------------------------------------------------------


def show_load(label: str, load: Load) -> None:
    bad = sum(n for s, n in load.statuses.items() if not 200 <= s < 300)
    print(
        f"  {label:<34} {load.rate:>9,.0f} req/s   p50 {load.p50_ms:7.2f} ms   "
        f"p99 {load.p99_ms:7.2f} ms   ({load.requests:,} requests in {load.seconds:.1f} s, "
        f"{bad} non-2xx, {load.errors} socket errors; {load.tool})"
    )
