"""Scale-out: two `planner serve` processes and one `planner project` on one PostgreSQL schema.

Commands sent to one server are visible in queries on the other, and racing writes through
both lose nothing. Skipped without the tests' PostgreSQL server (failed under CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest

from api.auth import TokenRegistry
from api.context import ApiSettings
from planner.wiring import open_planner
from tests.conftest import execute_autocommit, postgres_schema_url, require_postgres
from tests.servers import ADMIN, ROOT, free_port, make_camp, wait_healthy

pytestmark = pytest.mark.integration


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    require_postgres()
    schema = f"test_api_{uuid.uuid4().hex[:12]}"
    execute_autocommit(f'CREATE SCHEMA "{schema}"')
    url = postgres_schema_url(schema)
    setup = open_planner(url)  # create the tables once, before the processes race to
    from api.app import build_context

    build_context(setup, TokenRegistry(), ApiSettings())
    setup.close()
    env = {
        **os.environ,
        "PLANNER_TOKENS": orjson.dumps(
            [{"token": ADMIN["Authorization"][7:], "role": "admin"}]
        ).decode(),
        "PLANNER_LOG_LEVEL": "warning",
    }
    ports = [free_port(), free_port()]
    cli = [sys.executable, "-m", "planner.cli"]
    processes = [
        subprocess.Popen(
            [
                *cli,
                "serve",
                "--db",
                url,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-projector",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    processes.append(
        subprocess.Popen(
            [*cli, "project", "--db", url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    )
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, process in zip(bases, processes, strict=False):
            wait_healthy(base, process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
        execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_two_servers_share_one_database(servers: tuple[str, str]) -> None:
    one, two = servers
    with httpx.Client(headers=ADMIN, timeout=10) as http:
        make_camp(http, one)
        position = http.post(f"{one}/camps/c/arrivals", json={"people": 10}).json()["position"]
        view = http.get(f"{two}/camps/c", params={"after": position})
        assert view.status_code == 200, view.text
        assert view.json()["population"] == 10

        def arrive(index: int) -> httpx.Response:
            base = one if index % 2 else two
            return http.post(f"{base}/camps/c/arrivals", json={"people": 1})

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(arrive, range(40)))
        assert [r.status_code for r in responses] == [200] * 40, [
            r.text for r in responses if r.status_code != 200
        ]
        last = max(r.json()["position"] for r in responses)
        for base in (one, two):
            camp = http.get(f"{base}/camps/c", params={"after": last}).json()
            assert camp["population"] == 50
        ready = http.get(f"{two}/readyz").json()
        assert ready["status"] == "ready"
        assert ready["projector"] == "external"
