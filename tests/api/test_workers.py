"""`planner serve --workers 2` on PostgreSQL: two uvicorn worker processes behind one port.

The supervising process runs the one projection follower; each worker groups its commands and
stores them under the store's writer lock. Racing writes through both workers lose nothing and
count nothing twice; an Idempotency-Key stores its command once whichever worker each retry
reaches; of racing requests with the same If-Match exactly one wins; a command's position is
readable at once (`?after=`) from either worker. Skipped without PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from planner.wiring import open_planner
from tests.conftest import POSTGRES_URL, execute_autocommit, require_postgres
from tests.servers import ADMIN, make_camp, planner_serve

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def workers() -> Iterator[str]:
    require_postgres()
    schema = f"test_workers_{uuid.uuid4().hex[:12]}"
    execute_autocommit(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}?schema={schema}"
    try:
        open_planner(url).close()  # tables created once, before the processes start
        with planner_serve("--db", url, "--workers", "2") as base:
            with httpx.Client(headers=ADMIN, timeout=10) as http:
                make_camp(http, base)
            yield base
    finally:
        execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _population(base: str, after: int) -> int:
    view = httpx.get(f"{base}/camps/c", params={"after": after}, headers=ADMIN, timeout=10)
    assert view.status_code == 200, view.text
    return int(view.json()["population"])


def test_racing_writes_through_two_workers_lose_nothing(workers: str) -> None:
    before = _settled_population(workers)

    def arrive(_: int) -> httpx.Response:
        return httpx.post(f"{workers}/camps/c/arrivals", json={"people": 1}, headers=ADMIN)

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(arrive, range(120)))
    assert Counter(r.status_code for r in responses) == {200: 120}
    positions = [r.json()["position"] for r in responses]
    assert len(set(positions)) == 120
    assert _population(workers, max(positions)) == before + 120


def test_an_idempotency_key_stores_once_across_workers(workers: str) -> None:
    key = f"key-{uuid.uuid4().hex}"
    before = _settled_population(workers)

    def send(_: int) -> httpx.Response:
        return httpx.post(
            f"{workers}/camps/c/arrivals",
            json={"people": 7},
            headers={**ADMIN, "Idempotency-Key": key},
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(24)))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    done = [r.json() for r in responses if r.status_code == 200]
    assert done and all(d == done[0] for d in done)  # every replay is the first answer
    again = send(0)
    assert again.status_code == 200 and again.json() == done[0]
    assert _population(workers, done[0]["position"]) == before + 7


def test_racing_if_match_requests_one_wins(workers: str) -> None:
    current = httpx.get(f"{workers}/camps/c", headers=ADMIN, params={"after": 0})
    version = int(httpx.post(f"{workers}/camps/c/arrivals", json={"people": 1}, headers=ADMIN)
                  .headers["ETag"].strip('"'))  # fmt: skip
    assert current.status_code == 200

    def send(_: int) -> httpx.Response:
        return httpx.post(
            f"{workers}/camps/c/arrivals",
            json={"people": 1},
            headers={**ADMIN, "If-Match": f'"{version}"'},
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(16)))
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 15}


def _settled_population(base: str) -> int:
    """The population once every earlier write is in the views (after a write of one)."""
    answer = httpx.post(f"{base}/camps/c/arrivals", json={"people": 1}, headers=ADMIN)
    return _population(base, answer.json()["position"])


def test_a_write_through_one_worker_is_read_at_once(workers: str) -> None:
    expected = _settled_population(workers)
    for people in range(1, 21):
        with httpx.Client(headers=ADMIN, timeout=10) as writer:
            answer = writer.post(f"{workers}/camps/c/arrivals", json={"people": people})
        assert answer.status_code == 200
        expected += people
        with httpx.Client(headers=ADMIN, timeout=10) as reader:  # maybe the other worker
            view = reader.get(f"{workers}/camps/c", params={"after": answer.json()["position"]})
        assert view.status_code == 200
        assert view.json()["population"] == expected
