"""A scenario's checks against the views: compare expected with actual as the contract says."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.report_shapes import CheckDoc, Mismatch
from planner.scenario import Check, format_time
from projections.shapes import ViewDoc

TOLERANCE = 0.01


@dataclass
class CheckResult:
    """One check: PASS or FAIL with expected vs actual for each field that differs."""

    check: Check
    passed: bool
    mismatches: list[Mismatch] = field(default_factory=list)
    actual: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> CheckDoc:
        """JSON-ready form."""
        return {
            "check": self.check.number,
            "line": self.check.line,
            "at": format_time(self.check.at),
            "entity": self.check.entity,
            "slug": self.check.slug,
            "result": "PASS" if self.passed else "FAIL",
            "expected": self.check.expect,
            "actual": self.actual,
            "mismatches": self.mismatches,
        }


def evaluate_check(check: Check, view: ViewDoc | None) -> CheckResult:
    """Compare a check's expectations with the named entity's view at the check's time."""
    if view is None:
        return CheckResult(
            check, False, [{"field": check.entity, "expected": "exists", "actual": None}]
        )
    mismatches: list[Mismatch] = []
    for name, expected in check.expect.items():
        mismatches.extend(compare(name, expected, view.get(name, _MISSING)))
    actual = {name: view.get(name) for name in check.expect}
    return CheckResult(check, not mismatches, mismatches, actual)


class _Missing:
    def __repr__(self) -> str:
        return "(no such field)"


_MISSING = _Missing()


def compare(path: str, expected: object, actual: object) -> list[Mismatch]:
    """Compare a check's expected value with the view's, as the contract says.

    Integers, booleans, strings and null exactly; other numbers within ±0.01; lists as sets;
    mappings key by key for the keys the check names, recursively.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [_mismatch(path, expected, actual)]
        found: list[Mismatch] = []
        for key, value in expected.items():
            found.extend(compare(f"{path}.{key}", value, actual.get(str(key), _MISSING)))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or not _same_set(expected, actual):
            return [_mismatch(path, expected, actual)]
        return []
    if not _scalar_equal(expected, actual):
        return [_mismatch(path, expected, actual)]
    return []


def _scalar_equal(expected: object, actual: object) -> bool:
    if expected is None or isinstance(expected, bool | str):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    if isinstance(expected, int):
        return actual == expected
    if isinstance(expected, float):
        return abs(actual - expected) <= TOLERANCE + 1e-9
    return bool(expected == actual)


def _same_set(expected: list[object], actual: list[object]) -> bool:
    def key(value: object) -> str:
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()

    return {key(v) for v in expected} == {key(v) for v in actual}


def _mismatch(path: str, expected: object, actual: object) -> Mismatch:
    return {
        "field": path,
        "expected": expected,
        "actual": None if actual is _MISSING else actual,
        "missing": actual is _MISSING,
    }
