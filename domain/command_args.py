"""A command's arguments: their declared shape and the checks that normalise them."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Final, TypeGuard

from domain.catalog import (
    CURRENCIES,
    FACILITIES,
    FORBIDDEN_TEXT_CHARACTERS,
    ITEMS,
    MAX_NUMBER,
    MAX_SLUG_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WHOLE_NUMBER,
    SECTORS,
    VULNERABLE_GROUPS,
)
from domain.clock import iso_utc
from domain.site import LATITUDE_RANGE, LONGITUDE_RANGE, in_range, is_area_code


@dataclass(frozen=True)
class Arg:
    """One argument of a command.

    `type` is one of: "slug" (names an entity of kind `entity`; `creates` when the command
    brings it into being), "slugs" (a list of distinct slugs of kind `entity`), "text",
    "positive_int", "non_negative_int", "positive_number", "choice" (one of `choices`),
    "sector", "sectors" (list of cluster codes), "item", "currency", "facility", "time" (an
    ISO 8601 time with offset, or an aware datetime; normalised to ISO 8601 UTC text; scenario
    files may also write an offset from their start, which the loader resolves first),
    "area_code" (an administrative area code, a string), "latitude", "longitude" (WGS 84
    degrees).
    """

    name: str
    type: str
    required: bool = True
    entity: str | None = None
    creates: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    """A command of the contract: the entity kind it acts on and its arguments."""

    name: str
    entity: str
    args: tuple[Arg, ...]

    @cached_property
    def arg_names(self) -> tuple[str, ...]:
        """Names of all arguments, in table order."""
        return tuple(a.name for a in self.args)


class ArgumentError(ValueError):
    """An argument value does not fit its type in the command table; `field` names it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# The contract's slug: lowercase letters, digits and '-' (scenario files and HTTP alike).
SLUG_PATTERN: Final = r"^[a-z0-9-]+$"


# Text: at least one visible character, none of the forbidden ones.
TEXT_PATTERN: Final = (
    rf"^[^{FORBIDDEN_TEXT_CHARACTERS}]*[^\s{FORBIDDEN_TEXT_CHARACTERS}]"
    rf"[^{FORBIDDEN_TEXT_CHARACTERS}]*$"
)


_SLUG_RE: Final = re.compile(SLUG_PATTERN)


_FORBIDDEN_RE: Final = re.compile(f"[{FORBIDDEN_TEXT_CHARACTERS}\ud800-\udfff]")


# A checker validates one argument value and returns it normalised.
Checker = Callable[["Arg", object], object]


def check_arg(arg: Arg, value: object) -> object:
    """Validate one argument value against its type; return the normalised value.

    Raises ArgumentError with a message that says what was expected.
    """
    checker = _CHECKERS[arg.type]
    try:
        return checker(arg, value)
    except ArgumentError as error:
        error.field = error.field or arg.name
        raise


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(arg: Arg, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArgumentError(f"'{arg.name}' must be a non-empty string, got {value!r}", arg.name)
    if len(value) > MAX_TEXT_LENGTH:
        raise ArgumentError(
            f"'{arg.name}' is {len(value)} characters long; at most {MAX_TEXT_LENGTH}", arg.name
        )
    bad = _FORBIDDEN_RE.search(value)
    if bad is not None:
        raise ArgumentError(
            f"'{arg.name}' holds the character U+{ord(bad.group()):04X} at offset {bad.start()}: "
            "text may not hold control characters (NUL included), lone surrogates or "
            "bidirectional overrides",
            arg.name,
        )
    return value


def _slug_value(arg: Arg, value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_SLUG_LENGTH or _SLUG_RE.match(value) is None:
        raise ArgumentError(
            f"'{arg.name}' must be a {arg.entity} slug of lowercase letters, digits and '-' "
            f"(at most {MAX_SLUG_LENGTH}), got {value!r}",
            arg.name,
        )
    return value


def _slugs(arg: Arg, value: object) -> list[str]:
    if not isinstance(value, list):
        raise ArgumentError(f"'{arg.name}' must be a list of {arg.entity} slugs, got {value!r}")
    slugs = [_slug_value(arg, item) for item in value]
    if len(set(slugs)) != len(slugs):
        raise ArgumentError(f"'{arg.name}' names a {arg.entity} twice: {value!r}")
    return slugs


def _positive_int(arg: Arg, value: object) -> int:
    if not _is_int(value) or not 0 < value <= MAX_WHOLE_NUMBER:
        raise ArgumentError(
            f"'{arg.name}' must be a whole number from 1 to {MAX_WHOLE_NUMBER}, got {value!r}",
            arg.name,
        )
    return int(value)


def _non_negative_int(arg: Arg, value: object) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_WHOLE_NUMBER:
        raise ArgumentError(
            f"'{arg.name}' must be a whole number from 0 to {MAX_WHOLE_NUMBER}, got {value!r}",
            arg.name,
        )
    return int(value)


def _positive_number(arg: Arg, value: object) -> int | float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_NUMBER  # NaN fails too
    ):
        raise ArgumentError(
            f"'{arg.name}' must be a number greater than 0, got {value!r} (at most {MAX_NUMBER:g})",
            arg.name,
        )
    return value


def _choice(arg: Arg, value: object) -> str:
    if value not in arg.choices:
        raise ArgumentError(f"'{arg.name}' must be one of {', '.join(arg.choices)}; got {value!r}")
    return str(value)


def _one_of(what: str, known: Collection[str]) -> Checker:
    def check(arg: Arg, value: object) -> str:
        if not isinstance(value, str) or value not in known:
            raise ArgumentError(
                f"'{arg.name}' must be a known {what} ({', '.join(sorted(known)[:12])}"
                f"{', …' if len(known) > 12 else ''}); got {value!r}"
            )
        return value

    return check


def _time(arg: Arg, value: object) -> str:
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ArgumentError(
            f"'{arg.name}' must be an ISO 8601 time with an offset "
            f"(like 2011-03-20T09:00:00Z), got {value!r}"
        )
    try:
        return iso_utc(moment)
    except OverflowError:
        raise ArgumentError(f"'{arg.name}' is out of range: {value!r}") from None


def _sectors(arg: Arg, value: object) -> list[str]:
    if not isinstance(value, list):
        raise ArgumentError(f"'{arg.name}' must be a list of cluster codes, got {value!r}")
    unknown = [v for v in value if not isinstance(v, str) or v not in SECTORS]
    if unknown:
        raise ArgumentError(
            f"'{arg.name}' has unknown cluster codes {unknown!r}; known: {', '.join(SECTORS)}"
        )
    if len(set(value)) != len(value):
        raise ArgumentError(f"'{arg.name}' lists a cluster code twice: {value!r}")
    return list(value)


def _area_code(arg: Arg, value: object) -> str:
    if is_area_code(value):
        return str(value)
    if _is_int(value) or isinstance(value, float):
        # YAML reads unquoted digits as a number (leading zeros lost, 0-prefixed as octal).
        raise ArgumentError(
            f"'{arg.name}' must be a code string of letters, digits, '_' or '-', got the number "
            f"{value!r}; quote codes that look like numbers ({arg.name}: '04202')"
        )
    raise ArgumentError(
        f"'{arg.name}' must be a code string of letters, digits, '_' or '-', got {value!r}"
    )


def _degrees(bounds: tuple[float, float]) -> Checker:
    def check(arg: Arg, value: object) -> float:
        if not in_range(value, bounds):
            raise ArgumentError(
                f"'{arg.name}' must be WGS 84 decimal degrees from {bounds[0]:g} to "
                f"{bounds[1]:g}, got {value!r}"
            )
        return float(value)

    return check


_CHECKERS: Final[Mapping[str, Checker]] = {
    "slug": _slug_value,
    "slugs": _slugs,
    "text": _text,
    "positive_int": _positive_int,
    "non_negative_int": _non_negative_int,
    "positive_number": _positive_number,
    "choice": _choice,
    "sector": _one_of("cluster code", SECTORS),
    "sectors": _sectors,
    "item": _one_of("catalog item", ITEMS),
    "currency": _one_of("ISO 4217 currency code", CURRENCIES),
    "facility": _one_of("facility", FACILITIES),
    "time": _time,
    "area_code": _area_code,
    "latitude": _degrees(LATITUDE_RANGE),
    "longitude": _degrees(LONGITUDE_RANGE),
}


def validate_args(spec: CommandSpec, args: Mapping[str, object]) -> dict[str, object]:
    """Check a command's arguments against the table; return them normalised.

    Raises ArgumentError naming the first unknown, missing or ill-typed argument.
    """
    unknown = [name for name in args if name not in spec.arg_names]
    if unknown:
        raise ArgumentError(
            f"{spec.name} has no argument {unknown[0]!r}; it takes {', '.join(spec.arg_names)}"
        )
    checked: dict[str, Any] = {}
    for arg in spec.args:
        if arg.name not in args or args[arg.name] is None:
            if arg.required:
                raise ArgumentError(f"{spec.name} needs the argument '{arg.name}'")
            continue
        checked[arg.name] = check_arg(arg, args[arg.name])
    if spec.name in ("register_arrivals", "register_departures"):
        for group in VULNERABLE_GROUPS:
            if checked.get(group, 0) > checked["people"]:
                raise ArgumentError(
                    f"'{group}' ({checked[group]}) cannot exceed 'people' ({checked['people']})"
                )
    return checked
