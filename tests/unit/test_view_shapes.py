"""Every view document the fold computes has its declared shape (`projections.shapes`): only
declared keys, every required key, each value of its declared type.

The documents are those of the bundled scenarios, replayed in memory and folded at several
points of their history, read back through JSON as the store and the API hand them on.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints

import pytest

import api.view_models as schemas
import projections.shapes as shapes
from domain.catalog import OFFER_STATUSES, SHIPMENT_STATUSES
from planner.replay import replay_scenario
from planner.scenario import load_scenario
from planner.wiring import open_planner
from projections.readiness import ReadinessFold
from projections.shapes import VIEW_SHAPES, CampView, PlanView
from tests.projections_helpers import normalise, stored_records

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [*sorted((ROOT / "scenarios").glob("*.yaml")), ROOT / "docs" / "example.yaml"]
CUTS = 8  # points of each scenario's history at which every view is checked


def problems(value: Any, shape: Any, where: str) -> Iterator[str]:
    """What in `value` does not fit `shape` (a TypedDict, a union, a list, a dict or a class)."""
    if typing.is_typeddict(shape):
        if not isinstance(value, dict):
            yield f"{where}: {value!r} is not a mapping"
            return
        hints = get_type_hints(shape)
        yield from (f"{where}.{key}: not declared" for key in value if key not in hints)
        missing = shape.__required_keys__ - set(value)
        yield from (f"{where}.{key}: missing" for key in sorted(missing))
        for key, hint in hints.items():
            if key in value:
                yield from problems(value[key], hint, f"{where}.{key}")
        return
    origin, args = get_origin(shape), get_args(shape)
    if origin is NotRequired:
        yield from problems(value, args[0], where)
    elif origin is Literal:
        if value not in args:
            yield f"{where}: {value!r} is none of {args}"
    elif origin in (Union, types.UnionType):
        found = [list(problems(value, arm, where)) for arm in args]
        if all(found):
            yield f"{where}: {value!r} is none of {shape}"
    elif origin is list:
        if not isinstance(value, list):
            yield f"{where}: {value!r} is not a list"
            return
        for index, item in enumerate(value):
            yield from problems(item, args[0], f"{where}[{index}]")
    elif origin is dict:
        if not isinstance(value, dict):
            yield f"{where}: {value!r} is not a mapping"
            return
        for key, item in value.items():
            yield from problems(key, args[0], f"{where} key")
            yield from problems(item, args[1], f"{where}[{key!r}]")
    elif shape is type(None):
        if value is not None:
            yield f"{where}: {value!r} is not null"
    elif shape is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{where}: {value!r} is not a number"
    elif isinstance(value, bool) is not (shape is bool) or not isinstance(value, shape):
        yield f"{where}: {value!r} is not {shape.__name__}"


def test_the_checker_finds_what_does_not_fit() -> None:
    assert list(problems({"plan": "p"}, PlanView, "plan"))
    found = list(problems({"camp": 1, "extra": True}, CampView, "camp"))
    assert "camp.extra: not declared" in found and "camp.camp: 1 is not str" in found
    assert "camp.population: missing" in found


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_view_of_the_bundled_scenarios_has_its_shape(path: Path) -> None:
    scenario = load_scenario(path)
    planner = open_planner("memory:")
    try:
        report = replay_scenario(scenario, planner=planner, materialize=False)
        assert report.error is None, report.error
        records = stored_records(planner.service)
    finally:
        planner.close()
    checked: set[str] = set()
    seen: set[str] = set()  # the kinds of view the scenario has at the cuts
    fold = ReadinessFold()
    cuts = {len(records) * cut // CUTS for cut in range(1, CUTS + 1)}
    for count, record in enumerate(records, 1):
        fold.apply(record.name, record.oid, record.ts, record.fields)
        if count not in cuts:
            continue
        for kind, entity_id in fold.view_keys():
            seen.add(kind)
            shape = VIEW_SHAPES.get(kind)
            if shape is not None:
                doc = normalise(fold.view(kind, entity_id))
                assert not list(problems(doc, shape, kind)), doc
                checked.add(kind)
    assert checked == seen & set(VIEW_SHAPES)
    # Part 1 kinds in every scenario; shipments and offers in the scenarios that have them.
    assert checked >= set(VIEW_SHAPES) - {"shipment", "offer"}
    SEEN_KINDS.update(checked)
    SCENARIOS_RUN.add(path)


SEEN_KINDS: set[str] = set()  # the kinds checked in any bundled scenario
SCENARIOS_RUN: set[Path] = set()


def test_the_bundled_scenarios_have_every_kind_of_view() -> None:
    if set(SCENARIOS) != SCENARIOS_RUN:
        pytest.skip("not every scenario test ran")
    assert set(VIEW_SHAPES) == SEEN_KINDS


def test_the_status_types_are_the_catalogs_words() -> None:
    assert get_args(shapes.ShipmentStatus) == SHIPMENT_STATUSES
    assert get_args(shapes.OfferStatus) == OFFER_STATUSES


@pytest.mark.parametrize(
    ("schema", "shape"),
    [(schemas.ShipmentView, shapes.ShipmentView), (schemas.OfferView, shapes.OfferView)],
    ids=["shipment", "offer"],
)
def test_the_api_schema_of_a_view_names_only_fields_of_its_shape(schema: Any, shape: Any) -> None:
    served = {"position", "updated_at"}  # added to every view as it is served
    assert set(schema.model_fields) - served <= set(get_type_hints(shape))
    hints = get_type_hints(shape)
    assert schema.model_fields["status"].annotation == hints["status"]
