"""Sites at scale: the overview page, one adm1 area view and a page of the site list on a store
of 2,000 sites and 1,000,000 events, next to the same requests on a 20-site store of as many
events; the views rebuild rate against raw read-back on the big store; the server's resident
memory.

Prints, all measured in this one run against `planner serve` (one process per store, both
running, a viewer token, signed in to the dashboard, HTTP on 127.0.0.1, the two stores' samples
taken in turn): the median time of each request on each store and their ratio (target <= 1.5);
the views rebuild rate on the big store as a share of reading its events back raw, measured back
to back (target >= 25%); and the server's peak resident memory (VmHWM) on the big store (target
< 500 MB). The stores are filled through the
service's batch path (one identity map, events saved every 5,000 commands) and projected by one
catch-up, as a replay does.

    python bench/bench_sites.py [--events 1000000] [--sites 2000] [--small-sites 20]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_views import rebuild_against_raw  # noqa: E402
from bench.workload import START  # noqa: E402
from planner.wiring import open_planner  # noqa: E402

TOKEN = "bench-sites-viewer-0123456789"
CLI = "import sys; from planner.cli import main; sys.exit(main())"
SAMPLES = 25
SECTORS = ("CCM", "SHL", "WSH", "FSC", "HEA", "PRO")


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def steps(sites: int, events: int, seed: int = 15) -> Any:
    """A plan with `sites` evacuation centres over 10 adm1 and 100 adm2 areas, every sector led,
    then arrivals, departures and deliveries spread over the sites until `events` events."""
    yield "register_partner", {"partner": "ngo", "name": "NGO", "kind": "ngo"}
    yield "register_partner", {"partner": "biz", "name": "Business", "kind": "business"}
    yield "draft_plan", {"plan": "p", "title": "P", "crisis": "c", "planning_figure": 500_000}
    yield "join_plan", {"plan": "p", "partner": "ngo", "role": "coordinator"}
    yield "open_stockpile", {"stockpile": "s", "partner": "biz", "location": "Port"}
    yield "receive_supplies", {"stockpile": "s", "item": "water", "quantity": 10**12}
    for c in range(sites):
        yield (
            "establish_camp",
            {
                "camp": f"site-{c}",
                "plan": "p",
                "location": "District",
                "site_area_m2": 90_000,
                "shelter_capacity": 2_000,
                "kind": "evacuation_centre",
                "adm1": f"A{c % 10}",
                "adm2": f"A{c % 10}-{c % 100:02d}",
                "lat": 39.0 + (c % 50) / 50,
                "lon": 141.0 + (c // 50 % 40) / 40,
            },
        )
        for sector in SECTORS:
            yield "assign_sector", {"camp": f"site-{c}", "sector": sector, "partner": "ngo"}
    rng = random.Random(seed)
    for i in range(events):
        camp = f"site-{rng.randrange(sites)}"
        if i % 3 == 2:
            yield (
                "dispatch_supplies",
                {"stockpile": "s", "camp": camp, "item": "water", "quantity": 10},
            )
        else:
            yield "register_arrivals", {"camp": camp, "people": 2, "elderly": 1}


def fill(path: Path, sites: int, events: int) -> int:
    """Store at least `events` events; bring the views up to date; the last position."""
    clock = _Clock()
    planner = open_planner(str(path), clock_fn=clock)
    service = planner.service
    with service.batch():
        for index, (command, args) in enumerate(steps(sites, events), start=1):
            clock.now = START + timedelta(seconds=index)
            service.execute(command, args)
            if index % 5000 == 0:
                service.flush()
                if (service.recorder.max_notification_id() or 0) >= events:
                    break
    position = planner.catch_up()
    planner.close()
    return position


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`planner serve` on a store, in its own process."""

    def __init__(self, store: Path, workdir: Path) -> None:
        tokens = workdir / "tokens.yaml"
        tokens.write_text(f"- {{token: {TOKEN}, partner: ngo, role: viewer}}\n")
        self.port = _free_port()
        self.cookie = ""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CLI,
                "serve",
                "--db",
                str(store),
                "--port",
                str(self.port),
                "--tokens",
                str(tokens),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while True:
            try:
                status, _ = self.get("/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        self.cookie = self.sign_in()

    def sign_in(self) -> str:
        """Sign in to the dashboard with the viewer token; the session cookie."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("GET", "/dashboard/login")
        response = conn.getresponse()
        form = response.read().decode()
        login_cookie = _cookies(response)
        found = re.search(r'name="csrf" value="([^"]*)"', form)
        assert found, "no CSRF field on the sign-in form"
        body = urlencode({"token": TOKEN, "next": "/", "csrf": found.group(1)})
        conn.request(
            "POST",
            "/dashboard/login",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": login_cookie,
                "Origin": f"http://127.0.0.1:{self.port}",
            },
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        cookie = _cookies(response)
        assert "planner_session=" in cookie, ("sign-in failed", response.status)
        return cookie

    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(
            "GET", path, headers={"Authorization": f"Bearer {TOKEN}", "Cookie": self.cookie}
        )
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, body

    def timed(self, path: str) -> float:
        """Seconds of one request (which must answer 200)."""
        started = time.perf_counter()
        status, body = self.get(path)
        elapsed = time.perf_counter() - started
        assert status == 200, (path, status, body[:300])
        return elapsed

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _cookies(response: http.client.HTTPResponse) -> str:
    """The cookies a response sets, as a Cookie header."""
    pairs = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(pair for pair in pairs if not pair.endswith("="))


def load_average() -> str:
    """The machine's load averages (1, 5, 15 minutes): the machine is shared."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# The requests the issue sets a target for (the others are printed for information).
TARGETED = ("overview page", "adm1 area view", "site list, first page", "site list, last page")
PAGE = 20  # a page of the site list: as many sites as the small store holds


def requests(sites: int) -> list[tuple[str, str]]:
    """(name, path) of the requests timed on a store of `sites` sites: the same request on both
    stores (the site list's last page is the same page of PAGE sites, at its own offset)."""
    last = max(0, sites - PAGE)
    return [
        ("overview page", "/"),
        ("adm1 area view", "/areas/adm1/A3"),
        ("site list, first page", f"/camps?limit={PAGE}&offset=0"),
        ("site list, last page", f"/camps?limit={PAGE}&offset={last}"),
        ("areas list", "/areas?limit=100"),
        ("area page (dashboard)", "/dashboard/areas/adm1/A3"),
    ]


def main() -> None:
    """Fill both stores, serve each, time the requests, print times and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--small-sites", type=int, default=20)
    parser.add_argument("--rebuild-pairs", type=int, default=1)
    parser.add_argument("--dir", help="keep the stores here (default: a temporary folder)")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        for label, sites in (("small", args.small_sites), ("big", args.sites)):
            started = time.perf_counter()
            events = fill(work / f"{label}.db", sites, args.events)
            print(
                f"{label}: {sites:,} sites, {events:,} events stored and projected in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            if label == "big" and args.rebuild_pairs:
                rebuild = rebuild_on(work / "big.db", args.rebuild_pairs)
        servers = {"small": Server(work / "small.db", work), "big": Server(work / "big.db", work)}
        try:
            results = interleaved(servers, {"small": args.small_sites, "big": args.sites})
            results["big"]["rss"] = servers["big"].peak_rss_mb()
        finally:
            for server in servers.values():
                server.stop()
    for name, _ in requests(args.sites):
        small, big = results["small"][name], results["big"][name]
        print(
            f"{name:<22} {args.small_sites:>5} sites {small * 1e3:8.1f} ms   "
            f"{args.sites:>5} sites {big * 1e3:8.1f} ms   ratio {big / small:6.2f}  "
            + ("(target <= 1.5)" if name in TARGETED else "(no target)")
        )
    print(
        f"server peak RSS, {args.sites:,} sites        {results['big']['rss']:8.0f} MB  "
        "(target < 500 MB)"
    )
    if args.rebuild_pairs:
        raw, rate = rebuild
        print(
            f"views rebuild, {args.sites:,} sites: {rate:,.0f} events/s; raw read-back "
            f"{raw:,.0f} rows/s; rebuild {rate / raw:.0%} of raw (target >= 25%)"
        )
    print(f"load average at end: {load_average()}")


def interleaved(servers: dict[str, Server], sites: dict[str, int]) -> dict[str, dict[str, float]]:
    """Median seconds of each request on each store, the two stores' samples taken in turn (the
    machine's speed drifts: both see the same conditions), after two warm-ups each."""
    times: dict[str, dict[str, list[float]]] = {label: {} for label in servers}
    paths = {label: dict(requests(sites[label])) for label in servers}
    for name in paths["big"]:
        for label, server in servers.items():
            server.timed(paths[label][name])
            server.timed(paths[label][name])
        for _ in range(SAMPLES):
            for label, server in servers.items():
                times[label].setdefault(name, []).append(server.timed(paths[label][name]))
    return {
        label: {name: statistics.median(samples) for name, samples in by_name.items()}
        for label, by_name in times.items()
    }


def rebuild_on(path: Path, pairs: int) -> tuple[float, float]:
    """The median (raw read rows/s, rebuild events/s) pair of `pairs`, on the store at `path`."""
    planner = open_planner(str(path))
    try:
        measured = sorted(rebuild_against_raw(planner, path, pairs), key=lambda p: p[1] / p[0])
    finally:
        planner.close()
    raw, rate = measured[len(measured) // 2]
    print(f"views rebuilt {pairs}x: {rate:,.0f} events/s, {rate / raw:.0%} of raw", flush=True)
    return raw, rate


if __name__ == "__main__":
    main()
