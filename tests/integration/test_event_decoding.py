"""The projector's own decoding of stored rows equals the library's mapper, event for event.

Rebuilds read `(position, originator, topic, state)` rows with plain SQL and decode them with
orjson (`projections.events`) instead of `select_notifications()` + `Mapper.to_domain_event()`.
Every event of the bundled scenarios (every event type they use) must come out the same: name,
originator, time and fields (id fields keep the stored UUID marker, which the fold reads as the
same id); on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from planner.replay import replay_scenario
from planner.scenario import load_scenario
from planner.wiring import open_planner
from projections.events import EventDecoder, EventRows
from projections.readiness import canonical_id
from tests.projections_helpers import stored_records

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))
LIBRARY_ONLY = ("originator_id", "originator_version", "timestamp")


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and value.get("_type_") == "uuid_hex":
        return canonical_id(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("scenario_file", SCENARIOS, ids=lambda p: p.stem)
def test_decoded_rows_equal_the_library_mappers_events(store_url: str, scenario_file: Path) -> None:
    scenario = load_scenario(str(scenario_file))
    report = replay_scenario(scenario, store_url, materialize=False)
    assert report.ok, report.error
    planner = open_planner(store_url)
    try:
        expected = stored_records(planner.service)
        rows = EventRows(planner.service.recorder).read(0, len(expected) + 10)
        decoded = list(EventDecoder().stream(rows))
        assert len(decoded) == len(expected) > 50
        names = set()
        for mine, theirs in zip(decoded, expected, strict=True):
            position, name, oid, ts, fields = mine
            assert (position, name, oid) == (theirs.position, theirs.name, theirs.oid)
            assert ts == theirs.ts.isoformat()
            library = {k: _plain(v) for k, v in theirs.fields.items() if k not in LIBRARY_ONLY}
            mine_plain = {k: _plain(v) for k, v in fields.items() if k not in LIBRARY_ONLY}
            assert mine_plain == library, name
            names.add(name)
        assert {"Camp.SectorAssigned", "Stockpile.SuppliesDispatched"} <= names
    finally:
        planner.close()


def test_rows_can_be_read_in_slices(store_url: str) -> None:
    report = replay_scenario(load_scenario(str(SCENARIOS[0])), store_url, materialize=False)
    assert report.ok
    planner = open_planner(store_url)
    try:
        rows = EventRows(planner.service.recorder)
        every = rows.read(0, 10_000)
        assert [r[0] for r in rows.read(5, 3)] == [r[0] for r in every[5:8]]
        assert [r[0] for r in rows.read(5, 100, upto=9)] == [r[0] for r in every[5:9]]
        assert rows.read(every[-1][0], 10) == []
    finally:
        planner.close()
