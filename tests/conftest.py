"""Shared fixtures: a simulated clock, services in memory and on real stores (SQLite, PostgreSQL).

`store_url` is parametrized over a SQLite file and a PostgreSQL schema of its own. The
PostgreSQL server is $PLANNER_TEST_DATABASE_URL (default: the local `test` database). When it
does not answer, its tests fail if the environment variable CI is set (CI never passes by
skipping the database); elsewhere they are skipped, and the run ends with a warning in capitals
saying how many were not run and why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.service import PlannerService
from planner.config import persistence_env
from planner.wiring import new_service

POSTGRES_URL_VARIABLE = "PLANNER_TEST_DATABASE_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_VARIABLE) or "postgresql://postgres@127.0.0.1:5432/test"
CLOCK_START = datetime(1999, 4, 1, tzinfo=UTC)


class SimulatedClock:
    """A mutable clock for tests: `.now` is the current time, calling it returns `.now`."""

    def __init__(self, start: datetime = CLOCK_START) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by `timedelta(**delta)`; return the new time."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("a simulated clock never goes backwards")
        self.now += step
        return self.now

    def reset(self) -> None:
        """Go back to the start (to replay the same commands on another store)."""
        self.now = self.start


@pytest.fixture
def clock() -> SimulatedClock:
    """A simulated clock at 1999-04-01T00:00Z."""
    return SimulatedClock()


@pytest.fixture
def make_clock() -> Callable[[], SimulatedClock]:
    """Build further independent clocks starting at the same time."""
    return SimulatedClock


# -- PostgreSQL ------------------------------------------------------------------------------

_postgres_state: dict[str, str | None] = {}


def _postgres_unavailable() -> str | None:
    """None if PostgreSQL answers, else why not (checked once per session)."""
    if "reason" not in _postgres_state:
        try:
            import psycopg

            with psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            _postgres_state["reason"] = None
        except Exception as error:  # any failure means: no usable server
            _postgres_state["reason"] = f"PostgreSQL not available at {POSTGRES_URL}: {error}"
    return _postgres_state["reason"]


def postgres_schema_url(schema: str) -> str:
    """The URL of a schema of its own in the tests' PostgreSQL database."""
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}schema={schema}"


_skipped_for_postgres: list[str] = []


def require_postgres() -> None:
    """Skip the test without PostgreSQL (loudly, see below); fail it when running under CI."""
    reason = _postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: database tests must not be skipped)")
    _skipped_for_postgres.append(reason)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly, at the end of the run, that the PostgreSQL tests did not run."""
    if not _skipped_for_postgres:
        return
    terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
    terminalreporter.write_line(
        f"{len(_skipped_for_postgres)} tests were SKIPPED: {_skipped_for_postgres[0]}",
        red=True,
        bold=True,
    )
    terminalreporter.write_line(
        f"Start the server (see .ci/run) or point ${POSTGRES_URL_VARIABLE} at one; "
        "under CI (CI=true) these tests fail instead.",
        red=True,
    )


def execute_autocommit(sql: str) -> None:
    """Run one statement on the test PostgreSQL database outside a transaction."""
    import psycopg

    with psycopg.connect(POSTGRES_URL, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql)


# -- stores ----------------------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.integration),
        pytest.param("postgres", marks=pytest.mark.integration),
    ]
)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which real store the test runs on."""
    if request.param == "postgres":
        require_postgres()
    return str(request.param)


@pytest.fixture
def make_store_url(store_kind: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Build URLs of fresh, empty stores of the parametrized kind; drop them afterwards.

    SQLite: a new file under tmp_path. PostgreSQL: a new schema in the `test` database (the
    library creates its tables in the schema named by `?schema=`, but not the schema itself).
    """
    schemas: list[str] = []
    counter = iter(range(1_000_000))

    def make() -> str:
        number = next(counter)
        if store_kind == "sqlite":
            return str(tmp_path / f"store-{number}" / "planner.sqlite")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        execute_autocommit(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        return postgres_schema_url(schema)

    yield make
    for schema in schemas:
        execute_autocommit(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store_url(make_store_url: Callable[[], str]) -> str:
    """URL of a fresh store: a SQLite file, or a PostgreSQL schema of its own."""
    return make_store_url()


@pytest.fixture
def service_factory(
    clock: SimulatedClock,
) -> Iterator[Callable[..., PlannerService]]:
    """`factory(url, clock_fn=clock)` builds a PlannerService on a store; all closed at teardown."""
    services: list[PlannerService] = []

    def factory(url: str, clock_fn: Callable[[], datetime] | None = None) -> PlannerService:
        env = persistence_env(url) | {"CREATE_TABLE": "y"}
        service = new_service(env, clock_fn=clock_fn or clock)
        services.append(service)
        return service

    yield factory
    for service in reversed(services):
        service.close()


@pytest.fixture
def service(service_factory: Callable[..., PlannerService]) -> PlannerService:
    """A service in memory, on the simulated clock, for fast unit tests."""
    return service_factory("memory:")
