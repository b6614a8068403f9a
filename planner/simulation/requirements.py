"""The `require:` entries of a `simulate:` section: reading them and saying them in words
(checking them on a view: `planner.simulation.breaches`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from domain.catalog import CONSUMABLES, CURRENCIES, FACILITIES, ITEMS
from planner.scenario import format_time, key_line, parse_offset_or_time, shown, suggestion
from planner.simulation.reader import SpecReader
from planner.simulation.times import offset_text
from projections.readiness import CAMP_STATUSES

NEED_PROPERTIES: Final = ("max_uncommitted_need",)  # of a camp or a plan (Part 2 needs)
CAMP_PROPERTIES: Final = ("status_not", "status", "min_days_of_cover", *NEED_PROPERTIES)
PLAN_PROPERTIES: Final = (
    "tripartite",
    "min_preparedness_days",
    "min_pool_balance",
    *NEED_PROPERTIES,
)
REQUIREMENT_KEYS: Final = (
    "camp",
    "plan",
    "after",
    "until",
    "name",
    *CAMP_PROPERTIES,
    *(p for p in PLAN_PROPERTIES if p not in CAMP_PROPERTIES),
)
LIVE_STATUSES: Final = ("ready", "at_risk", "not_ready")


@dataclass(frozen=True)
class Requirement:
    """One entry of `require:`: a property of a camp or plan over a window of time.

    `prop` is one of CAMP_PROPERTIES or PLAN_PROPERTIES; `value` its normalised value. The
    property must hold at `after` and after every later step up to `until` (or the end of the
    run); without `after` it is checked once, on the final state of the run.
    """

    number: int
    line: int | None
    subject: str  # "camp" or "plan"
    slug: str
    prop: str
    value: Any
    after: datetime | None = None
    until: datetime | None = None
    name: str = ""

    def describe(self, start: datetime) -> str:
        """One line saying what the requirement demands."""
        what = property_words(self.prop, self.value)
        if self.after is None:
            window = "at the end of the run"
        else:
            window = f"from {offset_text(self.after - start)}"
            if self.until is not None:
                window += f" until {offset_text(self.until - start)}"
        label = f" [{self.name}]" if self.name else ""
        return f"{self.subject} {self.slug}: {what} {window}{label}"


def property_words(prop: str, value: Any) -> str:
    """What a property demands, in words: 'status never not_ready', 'at least 2 days of water'."""
    if prop == "status_not":
        return "status never " + " or ".join(value)
    if prop == "status":
        return "status " + " or ".join(value)
    if prop == "min_days_of_cover":
        return ", ".join(f"at least {_days(v)} of {item}" for item, v in value.items())
    if prop == "min_preparedness_days":
        return ", ".join(
            f"at least {_days(v, 'preparedness day')} of {item}" for item, v in value.items()
        )
    if prop == "min_pool_balance":
        return ", ".join(f"pool at least {v:,} {cur}" for cur, v in value.items())
    if prop == "max_uncommitted_need":
        return ", ".join(f"uncommitted need of {key} at most {v:,}" for key, v in value.items())
    return "tripartite" if value else "not tripartite"


def figure(value: float) -> str:
    """A number in its short form: 2, 2.5, 1e+06."""
    return f"{value:g}"


def _days(value: float, unit: str = "day") -> str:
    return f"{value:g} {unit}" + ("" if value == 1 else "s")


# --------------------------------------------------------------------------------------------
# Reading


def read_requirements(reader: SpecReader, raw: object, line: int | None) -> tuple[Requirement, ...]:
    """The `require:` list, validated (an absent list is no requirement)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise reader.error(
            f"'simulate.require' must be a list of requirements; got {shown(raw)}",
            line or reader.line,
        )
    result = []
    item_lines = getattr(raw, "item_lines", [])
    for index, entry in enumerate(raw):
        entry_line = getattr(entry, "line", None)
        if entry_line is None and index < len(item_lines):
            entry_line = item_lines[index]
        result.append(read_requirement(reader, entry, index + 1, entry_line or line or reader.line))
    return tuple(result)


def read_requirement(
    reader: SpecReader, entry: object, number: int, line: int | None
) -> Requirement:
    """One entry of `require:`, validated."""
    what = f"simulate requirement {number}"
    if not isinstance(entry, dict):
        raise reader.error(
            f"{what} must be a mapping like {{camp: SLUG, after: +10d, status_not: not_ready}}"
            f"; got {shown(entry)}",
            line,
        )
    reader.keys(entry, REQUIREMENT_KEYS, what, line)
    subject = _subject(reader, entry, what, line)
    prop = _property(reader, entry, subject, what, line)
    slug = _slug(reader, entry, subject, what, line)
    after, until = _window(reader, entry, subject, slug, what, line)
    value = property_value(
        reader, prop, entry[prop], f"{what}: '{prop}'", key_line(entry, prop) or line
    )
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise reader.error(f"{what}: 'name' must be a string; got {shown(name)}", line)
    return Requirement(number, line, subject, slug, prop, value, after, until, name.strip())


def _subject(
    reader: SpecReader, entry: Mapping[object, object], what: str, line: int | None
) -> str:
    subjects = [s for s in ("camp", "plan") if s in entry]
    if len(subjects) != 1:
        raise reader.error(
            f"{what} names exactly one of camp, plan; it names {' and '.join(subjects) or 'none'}",
            line,
        )
    return subjects[0]


def _property(
    reader: SpecReader, entry: Mapping[object, object], subject: str, what: str, line: int | None
) -> str:
    allowed = CAMP_PROPERTIES if subject == "camp" else PLAN_PROPERTIES
    other = PLAN_PROPERTIES if subject == "camp" else CAMP_PROPERTIES
    for key in other:
        if key in entry and key not in allowed:
            raise reader.error(
                f"{what}: '{key}' is a property of a {'plan' if subject == 'camp' else 'camp'}"
                f"; a {subject} requirement has one of {', '.join(allowed)}",
                key_line(entry, key) or line,
            )
    props = [p for p in allowed if p in entry]
    if len(props) != 1:
        raise reader.error(
            f"{what} has exactly one of {', '.join(allowed)}; it has "
            f"{' and '.join(props) or 'none'}",
            line,
        )
    return props[0]


def _slug(
    reader: SpecReader, entry: Mapping[object, object], subject: str, what: str, line: int | None
) -> str:
    slug = entry[subject]
    known = reader.created.get(subject, {})
    if not isinstance(slug, str) or slug not in known:
        raise reader.error(
            f"{what} names unknown {subject} {shown(slug)}{suggestion(slug, known)}: "
            "no step creates it",
            key_line(entry, subject) or line,
        )
    return slug


def _window(
    reader: SpecReader,
    entry: Mapping[object, object],
    subject: str,
    slug: str,
    what: str,
    line: int | None,
) -> tuple[datetime | None, datetime | None]:
    moments: dict[str, datetime] = {}
    for key in ("after", "until"):
        if key in entry:
            try:
                moments[key] = parse_offset_or_time(entry[key], reader.scenario.start)
            except ValueError as exc:
                raise reader.error(
                    f"{what}: bad '{key}': {exc}", key_line(entry, key) or line
                ) from None
    after, until = moments.get("after"), moments.get("until")
    if until is not None and after is None:
        raise reader.error(f"{what}: 'until' needs 'after' (the start of the window)", line)
    if after is not None and until is not None and until < after:
        raise reader.error(f"{what}: 'until' is earlier than 'after'", line)
    if after is not None:
        step_number, created_at = reader.created[subject][slug]
        if created_at > after:
            raise reader.error(
                f"{what}: {subject} {slug!r} does not exist yet at {format_time(after)} "
                f"(step {step_number} creates it at {format_time(created_at)})",
                key_line(entry, "after") or line,
            )
    return after, until


def property_value(
    reader: SpecReader, prop: str, value: object, what: str, line: int | None
) -> Any:
    """A property's value, validated and normalised."""
    if prop in ("status", "status_not"):
        return _statuses(reader, value, what, line)
    if prop == "tripartite":
        if not isinstance(value, bool):
            raise reader.error(f"{what} must be true or false; got {shown(value)}", line)
        return value
    if prop in ("min_days_of_cover", "min_preparedness_days"):
        return _days_by_item(reader, value, what, line)
    if prop == "max_uncommitted_need":
        return _need_caps(reader, value, what, line)
    return _pool(reader, value, what, line)


def _statuses(reader: SpecReader, value: object, what: str, line: int | None) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    allowed = CAMP_STATUSES
    if not values or any(not isinstance(v, str) or v not in allowed for v in values):
        raise reader.error(
            f"{what} must be a camp status or a list of them ({', '.join(allowed)}); "
            f"got {shown(value)}",
            line,
        )
    return tuple(values)


def _days_by_item(
    reader: SpecReader, value: object, what: str, line: int | None
) -> dict[str, object]:
    if not isinstance(value, dict) or not value:
        raise reader.error(
            f"{what} must be a mapping of consumable to days, e.g. {{water: 2}}; "
            f"got {shown(value)}",
            line,
        )
    result: dict[str, object] = {}
    for item, days in value.items():
        here = key_line(value, item) or line
        if item not in CONSUMABLES:
            raise reader.error(
                f"{what} names {shown(item)}{suggestion(item, CONSUMABLES)}, which "
                f"is not a consumable ({', '.join(CONSUMABLES)})",
                here,
            )
        number = reader.number(days, f"{what}.{item}", here)
        if number < 0:
            raise reader.error(f"{what}.{item} must be 0 or more", here)
        result[item] = float(number)
    return result


def _need_caps(reader: SpecReader, value: object, what: str, line: int | None) -> dict[str, int]:
    keys = (*ITEMS, *FACILITIES)
    if not isinstance(value, dict) or not value:
        raise reader.error(
            f"{what} must be a mapping of item or facility to a quantity, e.g. {{water: 5000}}; "
            f"got {shown(value)}",
            line,
        )
    caps: dict[str, int] = {}
    for key, cap in value.items():
        here = key_line(value, key) or line
        if key not in keys:
            raise reader.error(
                f"{what} names {shown(key)}{suggestion(key, keys)}, which is no item or facility",
                here,
            )
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            raise reader.error(
                f"{what}.{key} must be a whole number, 0 or more; got {shown(cap)}", here
            )
        caps[key] = cap
    return caps


def _pool(reader: SpecReader, value: object, what: str, line: int | None) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise reader.error(
            f"{what} must be a mapping of currency to an amount in minor units, "
            f"e.g. {{JPY: 100000000}}; got {shown(value)}",
            line,
        )
    pool: dict[str, int] = {}
    for currency, amount in value.items():
        here = key_line(value, currency) or line
        if currency not in CURRENCIES:
            raise reader.error(f"{what} names unknown currency {shown(currency)}", here)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise reader.error(
                f"{what}.{currency} must be a whole number of minor units, 0 or more; "
                f"got {shown(amount)}",
                here,
            )
        pool[currency] = amount
    return pool
