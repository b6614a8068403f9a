"""Replay from the command line: bundled scenarios, determinism, every error path, options."""

from __future__ import annotations

import gc
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from planner.cli import main
from planner.replay import compare

pytestmark = pytest.mark.integration

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))

SMALL = textwrap.dedent(
    """\
    scenario: small
    title: A small camp
    start: 2030-01-01T00:00:00Z
    steps:
      - {at: +0d, do: register_partner, with: {partner: ngo, name: NGO, kind: ngo}}
      - {at: +0d, do: draft_plan, with: {plan: p, title: P, crisis: C, planning_figure: 100,
                                         required_sectors: [WSH]}}
      - {at: +0d, do: join_plan, with: {plan: p, partner: ngo, role: coordinator}}
      - {at: +0d, do: establish_camp, with: {camp: c, plan: p, location: L, site_area_m2: 4500,
                                             shelter_capacity: 100}}
      - {at: +1d, do: open_stockpile, with: {stockpile: s, partner: ngo, location: Depot}}
      - {at: +1d, do: receive_supplies, with: {stockpile: s, item: water, quantity: 3000}}
      - {at: +2d, do: register_arrivals, with: {camp: c, people: 100, elderly: 10}}
      - {at: +2d, do: dispatch_supplies, with: {stockpile: s, camp: c, item: water, quantity: 1500}}
      - {at: +3d, do: assign_sector, with: {camp: c, sector: WSH, partner: ngo}}
    checks:
      - {at: +2d, camp: c, expect: {status: not_ready, uncovered_sectors: [WSH],
                                    days_of_cover: {water: 1.0}, population: 100}}
      - {at: +3d, camp: c, expect: {uncovered_sectors: []}}
      - {at: +1d, stockpile: s, expect: {items: {water: {on_hand: 3000, available: 3000}}}}
    """
)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_passes_every_check(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(path)]) == 0, capsys.readouterr().out
    assert "FAIL" not in capsys.readouterr().out.replace("0 FAIL", "")


def test_bundled_scenarios_pass_check() -> None:
    assert main(["check", *map(str, SCENARIOS)]) == 0


def test_text_report_puts_the_summary_first_and_says_what_each_check_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(write(tmp_path, SMALL))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("   OK: 3 of 3 checks passed, 0 failed; 9 of 9 steps applied")
    summary = lines[lines.index("-- readiness at the last check, 2030-01-04T00:00:00Z") + 1]
    assert summary.startswith("   camp c: NOT READY · population 100 · days of cover water 1.00")
    out = "\n".join(lines)
    assert "PASS  check 1 (line 17) camp c at 2030-01-03T00:00:00Z:" in out
    assert "population 100 = 100" in out
    assert "days_of_cover.water 1.00 = 1.00" in out
    assert "assign_sector" not in out  # the command timeline only on request
    assert out.index("-- readiness at the last check") < out.index("-- checks")


def test_text_report_prints_the_timeline_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--timeline", str(write(tmp_path, SMALL))]) == 0
    out = capsys.readouterr().out
    assert "#9    assign_sector(camp=c, sector=WSH, partner=ngo)" in out
    assert "-- readiness at 2030-01-03T00:00:00Z" in out
    assert "camp c: NOT READY · population 100 · uncovered sectors [WSH]" in out


def test_several_files_end_with_one_line_each_and_the_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = write(tmp_path, SMALL.replace("population: 100}}", "population: 99}}"), "f.yaml")
    assert main(["replay", str(write(tmp_path, SMALL)), str(failing)]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith("== 5 checks passed, 1 failed")
    assert f"FAILED  {failing}: 2 of 3 checks passed, 1 failed" in out


def test_numbers_are_shown_for_people() -> None:
    from planner.report import show

    assert show(1234567) == "1,234,567"
    assert show(2.9993) == "3.00"
    assert show({"JPY": 1000000}) == "JPY 1,000,000"
    assert show(["FSC", "WSH"]) == "[FSC, WSH]"
    assert show(None) == "none"


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--json", str(write(tmp_path, SMALL))]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["steps_applied"] == 9
    assert [c["result"] for c in report["checks"]] == ["PASS", "PASS", "PASS"]
    assert report["readiness"][0]["entities"]["camp c"]["status"] == "not_ready"


def test_failed_check_exits_1_with_expected_and_actual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL.replace("population: 100}}", "population: 99}}")
    assert main(["replay", str(write(tmp_path, text))]) == 1
    out = capsys.readouterr().out
    assert "FAIL  check 1" in out
    assert "population: expected 99, actual 100" in out


def test_until_stops_at_a_simulated_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--json", "--until", "+1d", str(write(tmp_path, SMALL))]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["steps_applied"] == 6
    assert [c["check"] for c in report["checks"]] == [3]


def stored_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_replay_is_deterministic(path: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    assert main(["replay", "--db", str(first), str(path)]) == 0
    assert main(["replay", "--db", str(second), str(path)]) == 0
    rows = stored_rows(first)
    assert rows and rows == stored_rows(second)


def test_replay_into_a_store_holding_the_scenario_refuses_unless_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, scenario = tmp_path / "store.db", write(tmp_path, SMALL)
    assert main(["replay", "--db", str(db), str(scenario)]) == 0
    before = stored_rows(db)
    assert main(["replay", "--db", str(db), str(scenario)]) == 2
    assert "already holds scenario 'small'" in capsys.readouterr().err
    assert stored_rows(db) == before
    assert main(["replay", "--reset", "--db", str(db), str(scenario)]) == 0
    assert stored_rows(db) == before


def test_a_store_holding_part_of_the_scenario_says_how_far_it_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, scenario = tmp_path / "store.db", write(tmp_path, SMALL)
    assert main(["replay", "--db", str(db), "--until", "+1d", str(scenario)]) == 0
    capsys.readouterr()
    assert main(["replay", "--db", str(db), str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "already holds only part of scenario 'small'" in err
    assert "its events reach 2030-01-02T00:00:00Z, as far as step 6 of 9 (line 12)" in err
    assert "use --reset to start afresh" in err


def test_rebuild_refuses_a_store_that_does_not_exist_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_DATABASE_URL", raising=False)
    assert main(["rebuild"]) == 2
    assert "there is no store at data/planner.sqlite (no such file)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_rebuild_of_a_new_store_says_it_is_new(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild", "--db", "memory:"]) == 0
    assert "store memory: is new: no events yet" in capsys.readouterr().out


BAD_FILES = {
    "unknown top-level key": ("colour: red\n", "unknown top-level key"),
    "unknown command": (
        "  - {at: +1d, do: build_latrines, with: {camp: c}}\n",
        "step 2 (line 6): unknown command 'build_latrines'",
    ),
    "missing argument": (
        "  - {at: +1d, do: register_partner, with: {partner: x, name: X}}\n",
        "step 2 (line 6): register_partner needs the argument 'kind'",
    ),
    "ill-typed argument": (
        "  - {at: +1d, do: register_partner, with: {partner: x, name: X, kind: charity}}\n",
        "step 2 (line 6): 'kind' must be one of",
    ),
    "unknown slug": (
        "  - {at: +1d, do: register_arrivals, with: {camp: nowhere, people: 5}}\n",
        "step 2 (line 6): unknown camp 'nowhere'",
    ),
    "time going backwards": (
        "  - {at: +1d, do: register_partner, with: {partner: y, name: Y, kind: ngo}}\n"
        "  - {at: +12h, do: register_partner, with: {partner: z, name: Z, kind: ngo}}\n",
        "step 3 (line 7)",
    ),
}

BASE = (
    "scenario: bad\ntitle: Bad\nstart: 2030-01-01T00:00:00Z\nsteps:\n"
    "  - {at: +0d, do: register_partner, with: {partner: ngo, name: NGO, kind: ngo}}\n"
)


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_is_rejected_with_file_step_line_and_reason(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = BAD_FILES[kind]
    text = BASE + extra if kind != "unknown top-level key" else extra + BASE
    db = tmp_path / "store.db"
    path = write(tmp_path, text, "bad.yaml")
    assert main(["replay", "--db", str(db), str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and message in err
    assert main(["check", str(path)]) == 2
    assert not db.exists() or stored_rows(db) == []  # validated fully before storing anything


def test_domain_refusal_stops_the_replay_with_nothing_after_it_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL.replace("quantity: 1500}}", "quantity: 9000}}")
    db = tmp_path / "store.db"
    assert main(["replay", "--json", "--db", str(db), str(write(tmp_path, text))]) == 2
    report = orjson.loads(capsys.readouterr().out)
    assert report["steps_applied"] == 7
    assert "s.yaml: step 8 (line 14): dispatch_supplies refused" in report["error"]
    assert "at most 3000" in report["error"]
    topics = [row[3] for row in stored_rows(db)]
    assert len(topics) == 7  # steps 1–7, one event each; nothing of step 8 or 9
    assert not any("Dispatched" in str(t) or "SectorAssigned" in str(t) for t in topics)


def test_rebuild_gives_the_same_views(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    assert main(["replay", "--db", str(db), str(SCENARIOS[0])]) == 0
    before = _view_tables(db)
    assert main(["rebuild", "--db", str(db)]) == 0
    assert _view_tables(db) == before


def _view_tables(db: Path) -> dict[str, list[Any]]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in ("rp_current", "rp_timeline", "rp_state", "rp_checkpoints")
        }


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (2, 2, True),
        (2, 2.0, True),
        (2, 2.004, False),
        (2.0, 2.004, True),
        (2.5, 2.52, False),
        (True, 1, False),
        (None, None, True),
        ("ready", "ready", True),
        (["WSH", "PRO"], ["PRO", "WSH"], True),
        (["WSH"], ["PRO", "WSH"], False),
        ({"water": 2.0}, {"water": 2.0, "food_ration": 1.0}, True),
        ({"water": {"on_hand": 5}}, {"water": {"on_hand": 5, "reserved": 1}}, True),
        ({"soap": 1}, {"water": 1}, False),
    ],
)
def test_check_comparison_follows_the_contract(expected: object, actual: object, ok: bool) -> None:
    assert (compare("f", expected, actual) == []) is ok


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_checks_hold_on_the_materialised_views_too(path: Path, tmp_path: Path) -> None:
    """The replay evaluates checks on its in-process fold; the stored views agree."""
    from domain.base import workspace_namespace
    from planner.replay import evaluate_check, replay_scenario
    from planner.scenario import load_scenario
    from planner.wiring import open_planner

    scenario = load_scenario(path)
    report = replay_scenario(scenario, str(tmp_path / "store.db"))
    assert report.ok
    planner = open_planner(str(tmp_path / "store.db"), namespace=workspace_namespace(scenario.slug))
    try:
        for check in scenario.checks:
            if check.entity in ("adm1", "adm2"):  # areas roll up the stored camp views
                view = planner.queries.area(check.entity, check.slug, as_of=check.at)
            else:
                entity_id = str(planner.service.id_of(check.entity, check.slug))
                view = planner.queries.view(check.entity, entity_id, as_of=check.at)
            assert evaluate_check(check, view).passed, (check.number, check.expect)
    finally:
        planner.close()


def test_an_unreachable_store_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://postgres@127.0.0.1:9/test"  # nothing listens on port 9
    assert main(["replay", "--db", url, str(write(tmp_path, SMALL))]) == 2
    err = capsys.readouterr().err
    assert "s.yaml: cannot use the store postgresql://postgres@127.0.0.1:9/test" in err


def test_replay_leaves_the_garbage_collector_as_it_found_it() -> None:
    from planner.replay import replay_scenario
    from planner.scenario import parse_scenario

    def replay() -> bool:
        report = replay_scenario(parse_scenario(SMALL, "s.yaml"), "memory:")
        return report.ok

    assert gc.get_freeze_count() == 0
    assert replay() and gc.get_freeze_count() == 0
    gc.freeze()  # as an application might: the replay must not unfreeze its objects
    try:
        assert replay() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_replay_folds_no_event_after_its_last_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from planner.replay import replay_scenario
    from planner.scenario import parse_scenario
    from projections.readiness import ReadinessFold

    folded: list[datetime] = []
    fold = ReadinessFold.fold_events

    def spy(self: ReadinessFold, events: Any) -> Any:
        events = list(events)
        folded.extend(ts for _, _, ts, _ in events)
        return fold(self, events)

    monkeypatch.setattr(ReadinessFold, "fold_events", spy)
    checks = SMALL.index("checks:")
    text = SMALL[:checks] + "checks:\n  - {at: +1d, stockpile: s, expect: {items: {water: {}}}}\n"
    report = replay_scenario(parse_scenario(text, "s.yaml"), "memory:", materialize=False)
    assert report.ok and report.events_stored == 10
    assert len(folded) == 6 and max(folded) == datetime(2030, 1, 2, tzinfo=UTC)
