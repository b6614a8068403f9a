"""Field instances for real: headquarters is `planner serve` on PostgreSQL, two field instances
are `planner serve` on SQLite files syncing through TCP proxies that drop and stall, and
`planner sync` is killed with SIGKILL mid-transfer, then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from domain.rights import Actor
from planner.field.store import FieldStore
from planner.wiring import open_planner
from tests.conftest import execute_autocommit, postgres_schema_url, require_postgres
from tests.dashboard_helpers import sign_in
from tests.field_helpers import FlakyProxy
from tests.servers import ROOT, free_port, wait_healthy

pytestmark = pytest.mark.integration

ADMIN_TOKEN = "field-test-admin"
PARTNER_TOKEN = "field-test-partner"  # a partner token of pwj: may not establish camps
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TOKENS = orjson.dumps(
    [
        {"token": ADMIN_TOKEN, "role": "admin"},
        {"token": PARTNER_TOKEN, "role": "partner", "partner": "pwj"},
    ]
).decode()
_LOCAL = ("position", "updated_at")


@pytest.fixture
def hq_url() -> Iterator[str]:
    """A PostgreSQL schema of its own for headquarters."""
    require_postgres()
    schema = f"test_field_{uuid.uuid4().hex[:12]}"
    execute_autocommit(f'CREATE SCHEMA "{schema}"')
    yield postgres_schema_url(schema)
    execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def planner_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `planner ARGS` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env() -> dict[str, str]:
    return {**os.environ, "PLANNER_TOKENS": TOKENS, "PLANNER_LOG_LEVEL": "warning"}


@contextmanager
def served(*options: str, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`planner serve OPTIONS` on 127.0.0.1; yields its URL and process; kills it after."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "planner.cli", "serve", *options, "--port", str(port)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()


def seed(base: str) -> None:
    """Partner pwj, plan p, camp c with 100 residents."""
    with httpx.Client(base_url=base, headers=ADMIN) as http:
        for path, body in (
            ("/partners", {"partner": "pwj", "name": "Peace Winds Japan", "kind": "ngo"}),
            ("/plans", {"plan": "p", "title": "P", "crisis": "Flood", "planning_figure": 100}),
            (
                "/camps",
                {
                    "camp": "c",
                    "plan": "p",
                    "location": "L",
                    "site_area_m2": 9000,
                    "shelter_capacity": 200,
                },
            ),
            ("/camps/c/arrivals", {"people": 100}),
        ):
            answer = http.post(path, json=body)
            assert answer.status_code in (200, 201), answer.text


def camp_view(base: str) -> dict[str, Any]:
    """Camp c's view without its store-local position."""
    doc = httpx.get(f"{base}/camps/c", headers=ADMIN, timeout=10).json()
    return {k: v for k, v in doc.items() if k not in _LOCAL}


def wait_until(check: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    """Poll `check` until true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def last_position(base: str) -> int:
    """The last position stored at `base`."""
    doc = httpx.get(f"{base}/readyz", timeout=10).json()
    return int(doc["last_position"] or 0)


def nothing_waits(base: str) -> bool:
    """True when a field instance has no command waiting."""
    return bool(status(base)["counts"]["waiting"] == 0)


def status(base: str) -> dict[str, Any]:
    """A field instance's /sync/status."""
    doc: dict[str, Any] = httpx.get(f"{base}/sync/status", headers=ADMIN, timeout=10).json()
    return doc


def test_two_fields_sync_through_failing_links(hq_url: str, tmp_path: Path) -> None:
    """Commands taken in two fields while their links drop and stall all reach headquarters
    once; a refused one becomes a conflict, resolved at headquarters; every view agrees."""
    with served("--db", hq_url) as (hq, _):
        seed(hq)
        port = int(hq.rsplit(":", 1)[1])
        proxies = [FlakyProxy(port), FlakyProxy(port)]
        try:
            fields = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]
            for path, proxy, camps in zip(fields, proxies, ([], ["--camp", "c"]), strict=True):
                done = planner_cli(
                    "field",
                    "init",
                    "--hq",
                    f"http://127.0.0.1:{proxy.port}",
                    "--token",
                    ADMIN_TOKEN,
                    "--db",
                    str(path),
                    *camps,
                )
                assert done.returncode == 0, done.stderr
            with (
                served("--db", str(fields[0]), "--sync-every", "0.3") as (a, _),
                served("--db", str(fields[1]), "--sync-every", "0.3") as (b, _),
            ):
                assert camp_view(a) == camp_view(hq) == camp_view(b)
                assert planner_cli("sync", "--db", str(fields[0])).returncode == 2  # served
                proxies[0].drop()
                proxies[1].stall()
                http = httpx.Client(headers=ADMIN, timeout=10)
                for _ in range(5):
                    assert http.post(f"{a}/camps/c/arrivals", json={"people": 2}).is_success
                    assert http.post(f"{b}/camps/c/departures", json={"people": 10}).is_success
                    assert http.post(f"{hq}/camps/c/departures", json={"people": 3}).is_success
                assert status(a)["counts"]["waiting"] == 5
                # b saw 100 - 50 people: 50 more may leave there, but headquarters has at most
                # 100 - 15 - 50 + 10 left when they arrive: a conflict
                assert http.post(f"{b}/camps/c/departures", json={"people": 50}).is_success
                wait_until(lambda: bool(status(a)["last_error"]), what="a's sync error")
                proxies[0].heal()
                proxies[1].heal()
                for field in (a, b):
                    wait_until(partial(nothing_waits, field), what="sync")
                conflicts = http.get(f"{hq}/conflicts").json()["items"]
                assert [c["args"] for c in conflicts] == [{"camp": "c", "people": 50}]
                assert conflicts[0]["refusal"]["rule"] == "departures never exceed the population"
                resolved = http.post(
                    f"{hq}/conflicts/{conflicts[0]['id']}/resolve",
                    json={"action": "apply", "args": {"camp": "c", "people": 15}},
                )
                assert resolved.status_code == 200, resolved.text
                wait_until(lambda: status(b)["counts"]["conflict_resolved"] == 1, what="resolution")
                wait_until(lambda: camp_view(a) == camp_view(hq), what="a's views")
                wait_until(lambda: camp_view(b) == camp_view(hq), what="b's views")
                assert camp_view(hq)["population"] == 100 - 15 + 10 - 50 - 15
                settled = {"applied": 5, "waiting": 0, "conflict_open": 0, "refused": 0}
                assert status(a)["counts"] == settled | {"conflict_resolved": 0}
                assert status(b)["counts"] == settled | {"conflict_resolved": 1}
                with httpx.Client(base_url=b, timeout=10) as browser:  # b's dashboard
                    assert sign_in(browser, ADMIN_TOKEN).status_code == 303
                    page = browser.get("/dashboard/conflicts").text
                assert "Field instance: last synced with headquarters" in page
                assert f'data-id="{conflicts[0]["id"]}"' in page and "apply by admin" in page
                assert page.count("applied</td>") == 5 and "resolved (applied)" in page
        finally:
            for proxy in proxies:
                proxy.close()


def start_sync(field: Path) -> subprocess.Popen[bytes]:
    """`planner sync --db FIELD` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "planner.cli", "sync", "--db", str(field)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_mid_push(hq: str, sync: subprocess.Popen[bytes], victim: int) -> bool:
    """SIGKILL `victim` as soon as headquarters stored a chunk of the sync's push (mid-push);
    False if the sync ended first."""
    before = last_position(hq)
    while sync.poll() is None and last_position(hq) == before:
        time.sleep(0.01)
    if sync.poll() is not None:
        return False
    os.kill(victim, signal.SIGKILL)
    return True


def test_sync_killed_mid_transfer_resumes(hq_url: str, tmp_path: Path) -> None:
    """`planner sync` killed with SIGKILL while pushing 3,000 commands, then headquarters killed
    with SIGKILL mid-push and restarted: nothing is lost, nothing applied twice."""
    field, port, queued = tmp_path / "field.sqlite", free_port(), 3000
    with served("--db", hq_url, port=port) as (hq, _):
        seed(hq)
        done = planner_cli("field", "init", "--hq", hq, "--token", ADMIN_TOKEN, "--db", str(field))
        assert done.returncode == 0, done.stderr
    planner = open_planner(str(field))
    try:
        planner.service.execute_all(
            [("register_arrivals", {"camp": "c", "people": 1})] * queued,
            actor=Actor("admin", None),
        )
    finally:
        planner.close()
    with served("--db", hq_url, port=port) as (hq, _):  # headquarters restarted
        for _ in range(2):
            sync = start_sync(field)
            assert kill_mid_push(hq, sync, sync.pid), "the sync was not interrupted"
            sync.wait()
    with served("--db", hq_url, port=port) as (hq, server):
        sync = start_sync(field)
        assert kill_mid_push(hq, sync, server.pid), "headquarters was not killed mid-push"
        assert sync.wait(timeout=120) == 1  # gave up after its retries: resume later
    with served("--db", hq_url, port=port) as (hq, _):
        done = planner_cli("sync", "--db", str(field), "--json")
        assert done.returncode == 0, done.stderr
        report = orjson.loads(done.stdout)
        assert report["counts"]["applied"] == queued
        assert report["counts"]["waiting"] == 0
        assert camp_view(hq)["population"] == 100 + queued
        assert httpx.get(f"{hq}/conflicts?state=all", headers=ADMIN).json()["items"] == []
    planner = open_planner(str(field))
    try:
        assert FieldStore.of(planner.service).counts()["applied"] == queued
        view = planner.queries.view("camp", str(planner.service.id_of("camp", "c")))
        assert view is not None and view["population"] == 100 + queued
    finally:
        planner.close()


def test_field_token_may_push_only_what_it_may_do(hq_url: str, tmp_path: Path) -> None:
    """A partner token's field command beyond its rights is a conflict (rule: rights); a
    command id used by another field instance is refused."""
    with served("--db", hq_url) as (hq, _):
        seed(hq)
        push = {
            "field_id": "f-one",
            "commands": [
                {"id": "cmd-1", "command": "close_camp", "args": {"camp": "c"}},
            ],
        }
        partner = {"Authorization": f"Bearer {PARTNER_TOKEN}"}
        answer = httpx.post(f"{hq}/sync/commands", json=push, headers=partner).json()
        assert answer["outcomes"][0]["outcome"] == "conflict"
        assert answer["outcomes"][0]["rule"] == "rights"
        again = httpx.post(f"{hq}/sync/commands", json=push, headers=partner).json()
        first = answer["outcomes"][0] | {"position": None, "replayed": True}
        assert again["outcomes"][0] == first  # the first outcome (the position: first time only)
        other = {**push, "field_id": "f-two"}
        stolen = httpx.post(f"{hq}/sync/commands", json=other, headers=partner).json()
        assert stolen["outcomes"][0]["outcome"] == "refused"
        assert httpx.get(f"{hq}/camps/c", headers=ADMIN).json()["status"] != "closed"
