"""The field outbox records headquarters' answers: plain applied ones in one statement, the
others one each, only over waiting entries; entries are read in order after a position."""

from __future__ import annotations

import uuid
from pathlib import Path

from domain.rights import Actor
from planner.field.store import FieldStore
from planner.wiring import open_planner

ADMIN = Actor("admin", None)


def test_answers_and_entries_after(tmp_path: Path) -> None:
    path = str(tmp_path / "field.sqlite")
    plain = open_planner(path)
    FieldStore.of(plain.service).create(str(uuid.uuid4()), "http://hq.invalid", "-", [])
    plain.close()
    planner = open_planner(path)
    try:
        planner.service.execute_all(
            [
                ("register_partner", {"partner": f"p{n}", "name": "P", "kind": "ngo"})
                for n in range(5)
            ],
            actor=ADMIN,
        )
        store = FieldStore.of(planner.service)
        first, second, third, *rest = store.entries(["waiting"])
        assert [e.seq for e in store.entries(["waiting"], 2, first.seq)] == [second.seq, third.seq]
        store.answer(
            [
                (first.command_id, "applied", None, None, None),
                (second.command_id, "conflict", "a rule", "partner", "refused"),
                (third.command_id, "applied", None, None, None),
            ]
        )
        store.answer([(first.command_id, "conflict", "late", None, None)])  # not waiting: kept
        by_id = {e.command_id: e for e in store.entries()}
        assert by_id[first.command_id].status == "applied" and by_id[first.command_id].rule is None
        assert (by_id[second.command_id].status, by_id[second.command_id].rule) == (
            "conflict",
            "a rule",
        )
        assert by_id[third.command_id].status == "applied"
        assert store.counts() == {
            "waiting": len(rest),
            "applied": 2,
            "conflict": 1,
            "resolved": 0,
            "refused": 0,
        }
    finally:
        planner.close()
