"""Reads from a PostgreSQL streaming replica keep read-your-writes.

`planner serve --db PRIMARY --read-db REPLICA`: commands are stored on the primary (port 5432),
queries read the views on a streaming replica (port 5433, made by bench/pg_replica.py if it does
not run yet; the primary is never restarted). A command's answer carries its position; a query
with `?after=position` waits until the replica has replayed past it, so it always shows the
command. Skipped when no replica can be made here (the reason is given).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import orjson
import pytest

from bench.pg_replica import ReplicaUnavailable, ensure_replica
from planner.wiring import open_planner
from tests.api.test_scale_out import ADMIN, ROOT, free_port, wait_healthy
from tests.conftest import POSTGRES_URL, execute_autocommit, require_postgres

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def replica() -> str:
    require_postgres()
    try:
        return ensure_replica()
    except ReplicaUnavailable as reason:
        pytest.skip(f"no streaming replica: {reason}")


@pytest.fixture
def store(replica: str) -> Iterator[tuple[str, str]]:
    schema = f"test_replica_{uuid.uuid4().hex[:12]}"
    execute_autocommit(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{POSTGRES_URL}?schema={schema}"
        open_planner(url).close()
        yield url, f"{replica}?schema={schema}"
    finally:
        execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _wait_replayed(read_url: str, timeout: float = 20.0) -> None:
    """Until the replica has the schema's view tables (created on the primary)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            planner = open_planner(read_url.replace(":5433", ":5432"), read_url=read_url)
            try:
                planner.served_views.position()
                return
            finally:
                planner.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_queries_read_the_replica_and_see_each_command(store: tuple[str, str]) -> None:
    url, read_url = store
    _wait_replayed(read_url)
    planner = open_planner(url, read_url=read_url)
    try:
        assert planner.served_views is not planner.views
        assert planner.served_views.datastore.pool.kwargs["port"] in ("5433", 5433)
    finally:
        planner.close()
    env = {
        **os.environ,
        "PLANNER_TOKENS": orjson.dumps(
            [{"token": ADMIN["Authorization"][7:], "role": "admin"}]
        ).decode(),
        "PLANNER_LOG_LEVEL": "warning",
    }
    port = free_port()
    command = [sys.executable, "-m", "planner.cli", "serve", "--db", url, "--read-db", read_url]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        with httpx.Client(headers=ADMIN, timeout=10) as http:
            for path, body in (
                ("/partners", {"partner": "pwj", "name": "Peace Winds Japan", "kind": "ngo"}),
                ("/plans", {"plan": "p", "title": "P", "crisis": "Flood", "planning_figure": 9}),
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
            ):
                assert http.post(base + path, json=body).status_code == 201
            expected = 0
            for people in range(1, 16):
                answer = http.post(f"{base}/camps/c/arrivals", json={"people": people})
                assert answer.status_code == 200, answer.text
                expected += people
                view = http.get(f"{base}/camps/c", params={"after": answer.json()["position"]})
                assert view.status_code == 200, view.text
                assert view.json()["population"] == expected
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
