"""HTTP API under load: a real `planner serve`, load from separate processes on 127.0.0.1.

Prints, all measured in this one run against one uvicorn server (one worker, uvloop+httptools):
1. requests/s and p50/p99 latency of a readiness query (`GET /camps/{camp}`, viewer token) next
   to a trivial endpoint on the same server (`GET /healthz`), and the ratio (target >= 60 %);
2. sustained command throughput (`POST /camps/{camp}/arrivals` from several concurrent
   clients) on SQLite and on PostgreSQL (a schema created and dropped by the benchmark), with
   the final state checked: every camp's population grew by exactly the people of the arrivals
   answered with success, nothing lost, nothing counted twice.

Reads are loaded with `wrk` when it is installed (else a Python load generator: one process per
client, http.client with keep-alive); commands always with the Python generator, because it
knows exactly which requests were answered (wrk stops with requests in flight). Every phase is
bounded by its duration; the server is stopped at the end.

    python bench/bench_api.py [--duration 10] [--command-duration 20] [--clients 8]
                              [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
                              [--no-postgres] [--python-load]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workload import busy_steps, setup_steps  # noqa: E402
from domain.camp import Camp  # noqa: E402
from planner.wiring import open_planner  # noqa: E402

ADMIN_TOKEN = "bench-admin-token-0123456789"
VIEWER_TOKEN = "bench-viewer-token-0123456789"
READ_CAMP = "camp-3"
COMMAND_CAMPS = ("camp-0", "camp-1", "camp-2", "camp-3")
PEOPLE = 1
TARGET_RATIO = 0.60
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SERVER_PIDS: dict[str, int] = {}  # base URL -> process id of the running server


# -- the server -------------------------------------------------------------------------------


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
    url: str, workdir: Path, *, workers: int = 1, prefix: tuple[str, ...] = ()
) -> Iterator[str]:
    """`planner serve` on a free port of 127.0.0.1; yields its base URL; stops it afterwards.

    `prefix` runs the server under another program (a profiler: `py-spy record ... --`)."""
    tokens = workdir / "tokens.yaml"
    tokens.write_text(
        f"- {{token: {ADMIN_TOKEN}, role: admin}}\n"
        f"- {{token: {VIEWER_TOKEN}, partner: gov-c, role: viewer}}\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {**os.environ, "PLANNER_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT)}
    command = [*prefix, sys.executable, "-m", "planner.cli", "serve", "--db", url]
    command += ["--tokens", str(tokens), "--port", str(port), "--workers", str(workers)]
    log = (workdir / f"server-{port}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"127.0.0.1:{port}"
    SERVER_PIDS[base] = process.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: see {log.name}")
            try:
                if request(base, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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


def _client(job: tuple[str, str, str, bytes | None, str, float, int]) -> dict[str, Any]:
    """One client process: requests back to back on one keep-alive connection until `until`."""
    base, method, path, body, token, until, index = job
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
    while time.time() < until:
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
    return {
        "path": path,
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "max_position": max(positions, default=0),
        "done_at": done_at,
    }


def python_load(
    base: str,
    method: str,
    path: str,
    token: str,
    *,
    clients: int,
    seconds: float,
    body: Any = None,
) -> tuple[Load, list[dict[str, Any]]]:
    """`clients` processes sending requests back to back for `seconds`; stops by itself."""
    data = None if body is None else orjson.dumps(body)
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        pool.map(_warm, range(clients))  # interpreters started before the clock runs
        until = time.time() + seconds
        started = time.perf_counter()
        jobs = [(base, method, path, data, token, until, i) for i in range(clients)]
        results = pool.map(_client, jobs)
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


# -- the phases --------------------------------------------------------------------------------


def read_phase(base: str, args: argparse.Namespace) -> tuple[Load, Load]:
    """The trivial endpoint and the readiness query, one after the other, same settings."""
    status, doc = request(base, "GET", f"/camps/{READ_CAMP}", token=VIEWER_TOKEN)
    if status != 200 or doc.get("camp") != READ_CAMP:
        raise RuntimeError(f"GET /camps/{READ_CAMP} answered {status}: {doc}")
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    results = []
    for path in ("/healthz", f"/camps/{READ_CAMP}"):
        if use_wrk:
            load = wrk_load(
                base,
                path,
                VIEWER_TOKEN,
                connections=args.connections,
                threads=args.wrk_threads,
                seconds=args.duration,
            )
        else:
            load, _ = python_load(
                base, "GET", path, VIEWER_TOKEN, clients=args.clients, seconds=args.duration
            )
        results.append(load)
    return results[0], results[1]


@dataclass
class CommandRun:
    load: Load
    expected: dict[str, int]
    actual: dict[str, int]
    stored_ok: bool
    first_quarter: float  # stored commands/s in the first and the last quarter of the run
    last_quarter: float


def populations(base: str, query: str = "") -> dict[str, int]:
    """The population of each of the command phase's camps (`GET /camps/{camp}{query}`)."""
    found: dict[str, int] = {}
    for camp in COMMAND_CAMPS:
        path = f"/camps/{camp}{query}"
        status, doc = request(base, "GET", path, token=ADMIN_TOKEN)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {doc}")
        found[camp] = doc["population"]
    return found


def command_phase(base: str, args: argparse.Namespace) -> CommandRun:
    """Arrivals from `clients` processes over four camps; then the populations are checked."""
    before = populations(base)
    started = time.time()
    load, results = python_load(
        base,
        "POST",
        "/camps/{i}/arrivals",
        ADMIN_TOKEN,
        clients=args.clients,
        seconds=args.command_duration,
        body={"people": PEOPLE},
    )
    successes: Counter[str] = Counter()
    for r in results:
        camp = r["path"].split("/")[2]
        successes[camp] += sum(n for s, n in r["statuses"].items() if 200 <= s < 300)
    last = max((r["max_position"] for r in results), default=0)
    expected = {camp: before[camp] + successes[camp] * PEOPLE for camp in COMMAND_CAMPS}
    actual = populations(base, f"?after={last}")
    done = sorted(t for r in results for t in r["done_at"])
    quarter = args.command_duration / 4
    end = max(done, default=started)
    first = sum(1 for t in done if t < done[0] + quarter) / quarter if done else 0.0
    last = sum(1 for t in done if t > end - quarter) / quarter if done else 0.0
    return CommandRun(load, expected, actual, True, first, last)


def check_event_store(url: str, run: CommandRun) -> None:
    """The aggregates themselves (not only the views) hold the expected populations."""
    planner = open_planner(url)
    try:
        for camp in COMMAND_CAMPS:
            aggregate = planner.service.load("camp", camp, Camp)
            if aggregate.population["people"] != run.expected[camp]:
                run.stored_ok = False
    finally:
        planner.close()


# -- reporting ---------------------------------------------------------------------------------


def show_load(label: str, load: Load) -> None:
    bad = sum(n for s, n in load.statuses.items() if not 200 <= s < 300)
    print(
        f"  {label:<34} {load.rate:>9,.0f} req/s   p50 {load.p50_ms:7.2f} ms   "
        f"p99 {load.p99_ms:7.2f} ms   ({load.requests:,} requests in {load.seconds:.1f} s, "
        f"{bad} non-2xx, {load.errors} socket errors; {load.tool})"
    )


def show_commands(store: str, run: CommandRun, clients: int) -> bool:
    load = run.load
    show_load(f"{store}: POST /camps/{{camp}}/arrivals", load)
    successes = sum(n for s, n in load.statuses.items() if 200 <= s < 300)
    refused = {s: n for s, n in load.statuses.items() if not 200 <= s < 300}
    ok = run.expected == run.actual and run.stored_ok and load.errors == 0
    print(
        f"    stored commands/s in the first quarter of the run {run.first_quarter:,.0f}, "
        f"in the last quarter {run.last_quarter:,.0f}"
    )
    print(
        f"    {clients} clients over {len(COMMAND_CAMPS)} camps, {successes:,} arrivals stored"
        f"{f', refused: {refused}' if refused else ''}; final populations "
        f"{'match' if ok else 'DO NOT MATCH'} (expected {run.expected}, views {run.actual}"
        f"{'' if run.stored_ok else ', event store differs'})"
    )
    return ok


# -- main --------------------------------------------------------------------------------------


def sqlite_run(args: argparse.Namespace, workdir: Path) -> tuple[Load, Load, CommandRun]:
    url = str(workdir / "bench.sqlite")
    stored = seed(url, args.busy)
    print(f"SQLite store {url}: {stored} commands seeded")
    with server(url, workdir) as base:
        trivial, readiness = read_phase(base, args)
        commands = command_phase(base, args)
    check_event_store(url, commands)
    return trivial, readiness, commands


def postgres_run(args: argparse.Namespace, workdir: Path) -> CommandRun | str:
    try:
        import psycopg

        with psycopg.connect(args.postgres_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # no server: report and go on
        return f"skipped: PostgreSQL not available at {args.postgres_url} ({error})"
    schema = f"bench_api_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{args.postgres_url}?schema={schema}"
        stored = seed(url, args.busy)
        print(f"PostgreSQL schema {schema}: {stored} commands seeded")
        with server(url, workdir) as base:
            commands = command_phase(base, args)
        check_event_store(url, commands)
        return commands
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per read endpoint")
    parser.add_argument("--command-duration", type=float, default=20.0, help="seconds per store")
    parser.add_argument("--clients", type=int, default=8, help="concurrent command clients")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--busy", type=int, default=300, help="commands seeded after the setup")
    parser.add_argument("--postgres-url", default=os.environ.get("PLANNER_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--python-load", action="store_true", help="do not use wrk for reads")
    args = parser.parse_args()
    args.postgres_url = args.postgres_url or DEFAULT_POSTGRES_URL

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        workdir = Path(tmp)
        trivial, readiness, sqlite_commands = sqlite_run(args, workdir)
        pg = "skipped: --no-postgres" if args.no_postgres else postgres_run(args, workdir)

    print()
    print("Reads (one uvicorn worker, SQLite, same server, same run):")
    show_load("GET /healthz (trivial)", trivial)
    show_load(f"GET /camps/{READ_CAMP} (readiness)", readiness)
    ratio = readiness.rate / trivial.rate if trivial.rate else 0.0
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"  readiness / trivial throughput: {ratio:.0%} ({verdict} the target of "
        f"{TARGET_RATIO:.0%}); p50 {readiness.p50_ms / trivial.p50_ms:.2f}x"
    )
    print()
    print("Commands (sustained, one uvicorn worker):")
    ok = show_commands("SQLite", sqlite_commands, args.clients)
    if isinstance(pg, str):
        print(f"  PostgreSQL: {pg}")
    else:
        ok = show_commands("PostgreSQL", pg, args.clients) and ok
        print(
            f"  PostgreSQL / SQLite command throughput: "
            f"{pg.load.rate / sqlite_commands.load.rate:.2f}x"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
