"""Projections resume where they stopped, on a SQLite file and on PostgreSQL.

A few hundred events are stored first. A follower with a small batch size is then stopped
mid-stream (dropped without stopping, or crashed by a failing write), and a new follower on the
same store resumes from the tracked position. The views it ends with must equal, row for row, the
views of a clean rebuild with the same batch size, and the pure fold; no status change may be
stored twice, every checkpoint must hold exactly the fold of the events up to it, and views as of
past times must equal the fold of the events up to those times. The library's ProjectionRunner
path is tested on PostgreSQL (the SQLite recorder has no subscriptions).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, ClassVar
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.projection import ProjectionRunner

from domain.service import PlannerService
from planner.config import persistence_env
from planner.wiring import Planner, new_service, open_planner
from projections import follower as follower_module
from projections import projector as projector_module
from projections.events import EventRows, event_record
from projections.follower import ProjectionFollower
from projections.projector import ReadinessProjection
from projections.queries import ReadinessQueries
from projections.store import PostgresViewStore, SQLiteViewStore
from projections.time_travel import TimeTraveller
from tests.conftest import SimulatedClock
from tests.projections_helpers import (
    fold_of,
    fold_views,
    store_views,
    stored_records,
    table_rows,
)

BATCH = 25
CHECKPOINT = 40  # a checkpoint of the fold every 40 events or so (in production 500)
CAMPS = ("north", "south", "east")


def store_history(service: PlannerService, clock: SimulatedClock, days: range) -> None:
    """Store a response's events day by day (several events often share a time)."""
    s = service
    if days.start == 0:
        with s.batch():
            for slug, kind, sectors in (
                ("care", "ngo", None),
                ("msf", "ngo", ["HEA", "WSH"]),
                ("acme", "business", None),
                ("gov", "government", None),
                ("unhcr", "un_agency", None),
                ("ifrc", "ngo", None),
            ):
                s.register_partner(partner=slug, name=slug.upper(), kind=kind, sectors=sectors)
            s.draft_plan(plan="p", title="Kosovo", crisis="kosovo", planning_figure=5_000)
            for slug in ("care", "msf", "acme", "gov", "unhcr", "ifrc"):
                s.join_plan(plan="p", partner=slug, role="implementer")
            for depot in ("tirana", "kukes"):
                s.open_stockpile(stockpile=depot, partner="unhcr", location=depot.title())
                s.commit_stockpile(plan="p", stockpile=depot)
            for number, camp in enumerate(CAMPS):
                s.establish_camp(
                    camp=camp,
                    plan="p",
                    location=camp.title(),
                    site_area_m2=20_000 + 15_000 * number,
                    shelter_capacity=800,
                )
                for sector in ("CCM", "SHL", "WSH", "FSC", "HEA", "PRO"):
                    lead = "msf" if sector == "HEA" else "care"
                    s.assign_sector(camp=camp, sector=sector, partner=lead)
        days = range(1, days.stop)
    for day in days:
        clock.advance(days=1)
        with s.batch():
            s.pledge_funds(plan="p", partner="acme", amount=10_000 + day, currency="EUR")
            s.receive_funds(plan="p", partner="acme", amount=10_000, currency="EUR")
            for number, camp in enumerate(CAMPS):
                if camp == "east" and day > 8:
                    continue  # closed on day 8
                clock.advance(hours=number)  # the first camp shares the day's start time
                s.register_arrivals(camp=camp, people=60 + 10 * number, under5=day)
                for item, quantity in (("water", 3_000), ("food_ration", 200)):
                    s.receive_supplies(stockpile="tirana", item=item, quantity=quantity)
                    s.dispatch_supplies(stockpile="tirana", camp=camp, item=item, quantity=quantity)
                s.build_facilities(camp=camp, facility="latrine", count=1 + day % 2)
                s.distribute_supplies(camp=camp, item="food_ration", quantity=50)
            s.receive_supplies(stockpile="kukes", item="medical_kit", quantity=1)
            s.reserve_supplies(stockpile="kukes", camp="north", item="medical_kit", quantity=1)
            if day == 3:
                s.withdraw_partner(partner="msf")  # HEA leads count as uncovered
            if day == 4:
                for camp in CAMPS:
                    s.reassign_sector(camp=camp, sector="HEA", partner="ifrc")
                s.activate_plan(plan="p")
            if day == 6:
                s.release_sector(camp="east", sector="PRO")
                s.register_departures(camp="south", people=30, under5=2)
                s.split_pool(plan="p", currency="EUR")
            if day == 8:
                s.close_camp(camp="east")


@pytest.fixture
def planner(store_url: str, clock: SimulatedClock) -> Iterator[Planner]:
    """A planner on a fresh store holding a few hundred events, its views not caught up."""
    planner = open_planner(store_url, clock_fn=clock)
    store_history(planner.service, clock, range(0, 11))
    yield planner
    planner.close()


def batch_ends(planner: Planner, batch: int = BATCH, count: int = 4) -> list[int]:
    """Where a follower's full batches end: at whole moments (the trailing events that share
    the last one's time wait for the next batch)."""
    records = stored_records(planner.service)
    ends: list[int] = []
    position = 0
    for _ in range(count):
        chunk = [r for r in records if r.position > position][:batch]
        if len(chunk) == batch:
            whole = [r for r in chunk if r.ts != chunk[-1].ts]
            chunk = whole or chunk
        position = chunk[-1].position
        ends.append(position)
    return ends


def last_position(planner: Planner) -> int:
    return stored_records(planner.service)[-1].position


def snapshot(views: SQLiteViewStore | PostgresViewStore) -> dict[str, Any]:
    return table_rows(views)


def clean_rebuild(planner: Planner, batch_size: int = BATCH) -> dict[str, Any]:
    """Drop every view, rebuild from the first event, return the tables."""
    planner.views.drop_all()
    assert planner.views.position() == 0
    ProjectionFollower(
        planner.service, planner.views, batch_size=batch_size, checkpoint_every=CHECKPOINT
    ).catch_up()
    return snapshot(planner.views)


def assert_no_duplicates(planner: Planner) -> None:
    """Checkpoints: each the exact fold up to its position; timeline: a chain, no repeats."""
    views = planner.views
    records = stored_records(planner.service)
    for row in views._query("SELECT position, state FROM {p}rp_checkpoints", ()):
        stored = bytes(row["state"])
        state = orjson.loads(stored if stored[:1] == b"{" else zlib.decompress(stored))["state"]
        upto = [r for r in records if r.position <= row["position"]]
        expected = fold_of(upto).export_state(ledger=False)  # checkpoints keep no offers
        assert _canonical(state) == _canonical(expected), row["position"]
    last: dict[tuple[str, str], str | None] = {}
    seen: set[tuple[str, str, int]] = set()
    for entry in views.timeline():
        key = (entry["kind"], entry["id"])
        assert (*key, entry["position"]) not in seen
        seen.add((*key, entry["position"]))
        assert entry["from"] == last.get(key), entry
        assert entry["from"] != entry["to"], entry
        last[key] = entry["to"]


def assert_final_views(planner: Planner) -> None:
    assert planner.views.position() == last_position(planner)
    records = stored_records(planner.service)
    assert store_views(planner.queries) == fold_views(records)
    times = sorted({r.ts for r in records})
    for at in times[:: max(1, len(times) // 6)]:  # time travel, from checkpoints and events
        past = fold_views([r for r in records if r.ts <= at])
        assert store_views(planner.queries, as_of=at) == past, at
    assert_no_duplicates(planner)


def _canonical(state: Any) -> Any:
    return orjson.loads(orjson.dumps(state, option=orjson.OPT_SORT_KEYS))


def assert_final_views_as_rebuilt(planner: Planner) -> None:
    """The final views, and the same tables as a clean rebuild of them."""
    assert_final_views(planner)
    tables = snapshot(planner.views)
    assert clean_rebuild(planner) == tables


def fail_third_write(
    planner: Planner, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> list[int]:
    """The views' third write raises `error` (the others go through); the positions written."""
    write = planner.views.write
    calls: list[int] = []

    def failing(batch: Any) -> None:
        calls.append(batch.last_position)
        if len(calls) == 3:
            raise error
        write(batch)

    monkeypatch.setattr(planner.views, "write", failing)
    return calls


# -- a follower stopped mid-stream --------------------------------------------------------------


def test_a_follower_dropped_mid_stream_is_resumed_by_a_new_one(planner: Planner) -> None:
    assert 250 <= last_position(planner) <= 600  # a few hundred events
    assert planner.views.position() == 0
    follower = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    ends = batch_ends(planner)
    assert follower.catch_up(max_batches=2) == ends[1]
    assert planner.views.position() == ends[1]
    del follower  # killed: never stopped, never told

    resumed = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    assert resumed.position == ends[1]  # from the tracking record, not from zero
    assert resumed.catch_up() == last_position(planner)
    assert_final_views_as_rebuilt(planner)


def test_a_follower_that_crashes_in_a_write_is_resumed(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fail_third_write(planner, monkeypatch, RuntimeError("power cut"))
    follower = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    with pytest.raises(RuntimeError, match="power cut"):
        follower.catch_up()
    ends = batch_ends(planner)
    assert calls == ends[:3]
    assert planner.views.position() == ends[1]  # the third batch left no trace
    monkeypatch.undo()

    resumed = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    assert resumed.position == ends[1]
    resumed.catch_up()
    assert_final_views_as_rebuilt(planner)


def test_the_same_follower_retries_a_failed_write(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failed write the follower must not skip that batch (as its thread would)."""
    calls = fail_third_write(planner, monkeypatch, ConnectionError("database went away"))
    follower = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    with pytest.raises(ConnectionError):
        follower.catch_up()
    ends = batch_ends(planner)
    assert follower.position == planner.views.position() == ends[1]
    follower.catch_up()  # the database is back
    assert calls[3] == ends[2]  # the failed batch again, not the one after it
    monkeypatch.undo()
    assert_final_views_as_rebuilt(planner)


def test_a_restart_with_another_batch_size_gives_the_same_views(planner: Planner) -> None:
    ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    ).catch_up(max_batches=3)
    ProjectionFollower(
        planner.service, planner.views, batch_size=40, checkpoint_every=CHECKPOINT
    ).catch_up(max_batches=2)
    ProjectionFollower(
        planner.service, planner.views, batch_size=7, checkpoint_every=CHECKPOINT
    ).catch_up()
    assert_final_views(planner)


def test_a_second_follower_on_the_same_store_takes_over(planner: Planner) -> None:
    """Two followers with the same batch size: the late one takes the stored state and goes on."""
    early = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    late = ProjectionFollower(
        planner.service, planner.views, batch_size=BATCH, checkpoint_every=CHECKPOINT
    )
    early.catch_up(max_batches=2)
    late.catch_up(max_batches=1)  # its batch up to 25 is already stored: it restores at 50
    ends = batch_ends(planner)
    assert late.position == ends[1]
    late.catch_up(max_batches=1)
    assert planner.views.position() == ends[2]
    early.catch_up()
    late.catch_up()
    assert_final_views(planner)


def test_the_planner_catches_up_after_reopening(
    store_url: str, planner: Planner, clock: SimulatedClock
) -> None:
    planner.follower.batch_size = BATCH
    planner.follower.catch_up(max_batches=4)
    planner.close()
    reopened = open_planner(store_url, clock_fn=clock)  # catches up on opening
    try:
        assert reopened.views.position() == last_position(reopened)
        store_history(reopened.service, clock, range(11, 13))
        reopened.catch_up()
        assert_final_views(reopened)
    finally:
        reopened.close()


# -- the library's ProjectionRunner (PostgreSQL) ------------------------------------------------


class RecordingProjection(ReadinessProjection):
    """The readiness projection, noting where it resumed and which events it processed."""

    restored_at: ClassVar[list[int]] = []
    processed: ClassVar[list[int]] = []

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.restored_at.append(self.projector.position)

    def process_event(self, domain_event: Any, tracking: Any) -> None:
        self.processed.append(tracking.notification_id)
        super().process_event(domain_event, tracking)


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)  # SQLite: no subscribe()
def test_the_library_projection_runner_resumes_on_postgres(
    store_kind: str, store_url: str, clock: SimulatedClock
) -> None:
    env = persistence_env(store_url) | {"CREATE_TABLE": "y"}
    service = new_service(env, clock_fn=clock)
    RecordingProjection.restored_at.clear()
    RecordingProjection.processed.clear()
    try:
        store_history(service, clock, range(0, 3))
        first = stored_records(service)[-1].position
        with ProjectionRunner(
            application_class=PlannerService,
            projection_class=RecordingProjection,
            view_class=PostgresViewStore,
            env=env,
        ) as runner:
            runner.wait(first, timeout=30)
            assert runner.view.position() == first
        store_history(service, clock, range(3, 5))
        records = stored_records(service)
        with ProjectionRunner(
            application_class=PlannerService,
            projection_class=RecordingProjection,
            view_class=PostgresViewStore,
            env=env,
        ) as runner:
            runner.wait(records[-1].position, timeout=30)
            views = runner.view
            assert views.position() == records[-1].position
            queries = ReadinessQueries(views, TimeTraveller(views, EventRows(service.recorder)))
            assert store_views(queries) == fold_views(records)
            changes = views.timeline()
            assert len(changes) == len({(c["kind"], c["id"], c["position"]) for c in changes})
        # the second runner restored the fold at `first` and processed only the new events
        assert RecordingProjection.restored_at == [0, first]
        positions = [r.position for r in records]
        assert RecordingProjection.processed == positions
    finally:
        service.close()


def test_views_of_the_earlier_layout_are_rebuilt_on_opening(
    store_url: str, planner: Planner, clock: SimulatedClock
) -> None:
    """A store whose views kept every version (`rp_versions`) gets checkpointed views."""
    planner.catch_up()
    with planner.views.datastore.transaction(commit=True) as c:
        c.execute(planner.views._sql("DELETE FROM {p}rp_checkpoints"))
        c.execute(planner.views._sql("CREATE TABLE {p}rp_versions (kind TEXT)"))
    planner.close()
    reopened = open_planner(store_url, clock_fn=clock)
    try:
        assert reopened.views._retired_layout() == []
        assert_final_views(reopened)
    finally:
        reopened.close()


# -- batches of several reads (a long catch-up) --------------------------------------------------


def several_reads_follower(planner: Planner) -> ProjectionFollower:
    """A follower on emptied views whose batches fold up to four reads."""
    planner.views.drop_all()
    return ProjectionFollower(
        planner.service,
        planner.views,
        batch_size=4 * BATCH,
        read_size=BATCH,
        checkpoint_every=CHECKPOINT,
    )


def test_batches_of_several_reads_give_the_same_tables_as_one_read_each(planner: Planner) -> None:
    """A rebuild folds several reads into a batch and writes its views once: the tables equal a
    rebuild that writes after every read, and the fold."""
    expected = clean_rebuild(planner)
    follower = several_reads_follower(planner)
    assert follower.catch_up(max_batches=1) < last_position(planner)  # several batches
    follower.catch_up()
    assert snapshot(planner.views) == expected
    assert_final_views(planner)


def test_a_batch_of_several_reads_that_fails_to_write_is_folded_again(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fail_third_write(planner, monkeypatch, ConnectionError("database went away"))
    follower = ProjectionFollower(
        planner.service, planner.views, batch_size=75, read_size=BATCH, checkpoint_every=CHECKPOINT
    )
    with pytest.raises(ConnectionError):
        follower.catch_up()
    assert follower.position == planner.views.position() == calls[1]
    follower.catch_up()
    assert calls[3] == calls[2]  # the failed batch again, not the one after it
    monkeypatch.undo()
    assert_final_views_as_rebuilt(planner)


def test_an_event_that_cannot_be_folded_in_a_later_read_is_quarantined(
    store_url: str, clock: SimulatedClock
) -> None:
    """The poisoned event sits in the third read of a batch: the reads before it are stored, it
    is quarantined, and the views go on to the end, as the fold of the other events."""
    planner = open_planner(store_url, clock_fn=clock)
    try:
        store_history(planner.service, clock, range(0, 3))
        before = stored_records(planner.service)
        planner.service.recorder.insert_events(
            [StoredEvent(uuid4(), 1, "domain.camp:Camp.NoSuchEvent", b'{"timestamp": 1}')]
        )
        poisoned = before[-1].position + 1
        assert poisoned > 2 * BATCH
        store_history(planner.service, clock, range(3, 6))
        after = [
            event_record(planner.service.mapper.to_domain_event(n), n.id)
            for n in planner.service.recorder.select_notifications(start=poisoned + 1, limit=10**6)
        ]
        follower = ProjectionFollower(
            planner.service, planner.views, batch_size=8 * BATCH, read_size=BATCH
        )
        assert follower.catch_up() == after[-1].position
        assert [entry["position"] for entry in planner.views.quarantined()] == [poisoned]
        assert store_views(planner.queries) == fold_views(before + after)
    finally:
        planner.close()


def test_compressed_checkpoints_give_the_same_past_views(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints as large as thousands of sites make are stored compressed: their contents,
    the other tables and the views as of past times are those of plain checkpoints."""
    plain = clean_rebuild(planner)
    monkeypatch.setattr(projector_module, "COMPRESS_FROM", 0)
    compressed = clean_rebuild(planner)
    table = "{p}rp_checkpoints"
    assert {k: v for k, v in compressed.items() if k != table} == {
        k: v for k, v in plain.items() if k != table
    }
    assert plain[table] and all(state[:1] == b"{" for *_, state in plain[table])
    assert all(state[:1] != b"{" for *_, state in compressed[table])
    unpacked = [(*row, zlib.decompress(state)) for *row, state in compressed[table]]
    assert unpacked == plain[table]
    assert_final_views(planner)  # time travel from the compressed checkpoints


def test_a_batch_that_touched_many_views_is_written_early(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch stops once it has touched `BATCH_VIEWS` views (its memory is theirs), at the end
    of a read: here after the first; the tables are those of any other batching."""
    expected = clean_rebuild(planner)
    monkeypatch.setattr(follower_module, "BATCH_VIEWS", 1)
    follower = several_reads_follower(planner)
    assert follower.catch_up(max_batches=1) == batch_ends(planner)[0]
    follower.catch_up()
    assert snapshot(planner.views) == expected
