"""Reads from a PostgreSQL streaming replica keep read-your-writes.

`planner serve --db PRIMARY --read-db REPLICA`: commands are stored on the primary (port 5432),
queries read the views on a streaming replica (port 5433, made by bench/pg_replica.py if it does
not run yet; the primary is never restarted). A command's answer carries its position; a query
with `?after=position` waits until the replica has replayed past it, so it always shows the
command. Skipped when no replica can be made here (the reason is given).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bench.pg_replica import ReplicaUnavailable, ensure_replica
from planner.wiring import open_planner
from tests.conftest import POSTGRES_URL, execute_autocommit, require_postgres
from tests.servers import ADMIN, make_camp, planner_serve

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
    with (
        planner_serve("--db", url, "--read-db", read_url) as base,
        httpx.Client(headers=ADMIN, timeout=10) as http,
    ):
        make_camp(http, base)
        expected = 0
        for people in range(1, 16):
            answer = http.post(f"{base}/camps/c/arrivals", json={"people": people})
            assert answer.status_code == 200, answer.text
            expected += people
            view = http.get(f"{base}/camps/c", params={"after": answer.json()["position"]})
            assert view.status_code == 200, view.text
            assert view.json()["population"] == expected
