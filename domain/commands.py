"""The command table of the scenario contract: names, arguments and their types.

Scenario files, the HTTP API and the simulator all validate commands against this one table,
and the application service offers exactly these commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from domain.catalog import (
    CURRENCIES,
    FACILITIES,
    FORBIDDEN_TEXT_CHARACTERS,
    ITEMS,
    MAX_NUMBER,
    MAX_SLUG_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WHOLE_NUMBER,
    OFFER_DECLINE_REASONS,
    PARTNER_KINDS,
    PLAN_ROLES,
    SECTORS,
    SHIPMENT_LOSS_REASONS,
    VULNERABLE_GROUPS,
    WRITE_OFF_REASONS,
)
from domain.clock import iso_utc
from domain.site import LATITUDE_RANGE, LONGITUDE_RANGE, SITE_KINDS, in_range, is_area_code

ENTITY_KINDS: Final = ("partner", "plan", "stockpile", "camp", "shipment", "offer")


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


def _slug(
    kind: str, *, creates: bool = False, name: str | None = None, required: bool = True
) -> Arg:
    return Arg(name or kind, "slug", required=required, entity=kind, creates=creates)


_BREAKDOWN = tuple(Arg(group, "non_negative_int", required=False) for group in VULNERABLE_GROUPS)
_MONEY = (Arg("amount", "positive_int"), Arg("currency", "currency"))
_STOCK_FOR_CAMP = (
    _slug("stockpile"),
    _slug("camp"),
    Arg("item", "item"),
    Arg("quantity", "positive_int"),
)

# `co_leads` (optional, beyond the contract's table): partners sharing the sector with its lead.
_SECTOR_LEAD = (
    _slug("camp"),
    Arg("sector", "sector"),
    _slug("partner"),
    Arg("co_leads", "slugs", required=False, entity="partner"),
)

# Part 2, "Sites and administrative areas": optional details of where a camp is.
_SITE = (
    Arg("name", "text", required=False),
    Arg("kind", "choice", required=False, choices=SITE_KINDS),
    Arg("adm1", "area_code", required=False),
    Arg("adm2", "area_code", required=False),
    Arg("lat", "latitude", required=False),
    Arg("lon", "longitude", required=False),
)

COMMANDS: Final[Mapping[str, CommandSpec]] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "register_partner",
            "partner",
            (
                _slug("partner", creates=True),
                Arg("name", "text"),
                Arg("kind", "choice", choices=PARTNER_KINDS),
                Arg("sectors", "sectors", required=False),
            ),
        ),
        CommandSpec(
            "withdraw_partner", "partner", (_slug("partner"), Arg("reason", "text", required=False))
        ),
        CommandSpec(
            "draft_plan",
            "plan",
            (
                _slug("plan", creates=True),
                Arg("title", "text"),
                Arg("crisis", "text"),
                Arg("planning_figure", "positive_int"),
                Arg("region", "text", required=False),
                Arg("required_sectors", "sectors", required=False),
                Arg("ready_days", "positive_number", required=False),
            ),
        ),
        CommandSpec(
            "join_plan",
            "plan",
            (_slug("plan"), _slug("partner"), Arg("role", "choice", choices=PLAN_ROLES)),
        ),
        CommandSpec("leave_plan", "plan", (_slug("plan"), _slug("partner"))),
        CommandSpec("pledge_funds", "plan", (_slug("plan"), _slug("partner"), *_MONEY)),
        CommandSpec("receive_funds", "plan", (_slug("plan"), _slug("partner"), *_MONEY)),
        CommandSpec("disburse_funds", "plan", (_slug("plan"), _slug("partner"), *_MONEY)),
        CommandSpec("split_pool", "plan", (_slug("plan"), Arg("currency", "currency"))),
        CommandSpec("activate_plan", "plan", (_slug("plan"),)),
        CommandSpec(
            "stand_down_plan", "plan", (_slug("plan"), Arg("reason", "text", required=False))
        ),
        CommandSpec("close_plan", "plan", (_slug("plan"), Arg("reason", "text", required=False))),
        CommandSpec(
            "open_stockpile",
            "stockpile",
            (_slug("stockpile", creates=True), _slug("partner"), Arg("location", "text")),
        ),
        CommandSpec("commit_stockpile", "plan", (_slug("plan"), _slug("stockpile"))),
        CommandSpec("withdraw_stockpile", "plan", (_slug("plan"), _slug("stockpile"))),
        CommandSpec(
            "receive_supplies",
            "stockpile",
            (
                _slug("stockpile"),
                Arg("item", "item"),
                Arg("quantity", "positive_int"),
                _slug("partner", name="source", required=False),
            ),
        ),
        CommandSpec("reserve_supplies", "stockpile", _STOCK_FOR_CAMP),
        CommandSpec("release_reservation", "stockpile", _STOCK_FOR_CAMP),
        CommandSpec("dispatch_supplies", "stockpile", _STOCK_FOR_CAMP),
        CommandSpec(
            "write_off_supplies",
            "stockpile",
            (
                _slug("stockpile"),
                Arg("item", "item"),
                Arg("quantity", "positive_int"),
                Arg("reason", "choice", choices=WRITE_OFF_REASONS),
            ),
        ),
        CommandSpec(
            "establish_camp",
            "camp",
            (
                _slug("camp", creates=True),
                _slug("plan"),
                Arg("location", "text"),
                Arg("site_area_m2", "positive_number"),
                Arg("shelter_capacity", "non_negative_int"),
                *_SITE,
            ),
        ),
        CommandSpec("assign_sector", "camp", _SECTOR_LEAD),
        CommandSpec("reassign_sector", "camp", _SECTOR_LEAD),
        CommandSpec("release_sector", "camp", (_slug("camp"), Arg("sector", "sector"))),
        CommandSpec(
            "register_arrivals",
            "camp",
            (_slug("camp"), Arg("people", "positive_int"), *_BREAKDOWN),
        ),
        CommandSpec(
            "register_departures",
            "camp",
            (_slug("camp"), Arg("people", "positive_int"), *_BREAKDOWN),
        ),
        CommandSpec(
            "distribute_supplies",
            "camp",
            (_slug("camp"), Arg("item", "item"), Arg("quantity", "positive_int")),
        ),
        CommandSpec(
            "build_facilities",
            "camp",
            (_slug("camp"), Arg("facility", "facility"), Arg("count", "positive_int")),
        ),
        CommandSpec("close_camp", "camp", (_slug("camp"),)),
        CommandSpec(
            "send_shipment",
            "shipment",
            (
                _slug("shipment", creates=True),
                *_STOCK_FOR_CAMP,
                Arg("eta", "time", required=False),
            ),
        ),
        CommandSpec(
            "deliver_shipment",
            "shipment",
            (_slug("shipment"), Arg("quantity", "positive_int", required=False)),
        ),
        CommandSpec(
            "lose_shipment",
            "shipment",
            (_slug("shipment"), Arg("reason", "choice", choices=SHIPMENT_LOSS_REASONS)),
        ),
        CommandSpec("return_shipment", "shipment", (_slug("shipment"),)),
        CommandSpec(
            "offer_supplies",
            "offer",
            (
                _slug("offer", creates=True),
                _slug("partner"),
                Arg("item", "item"),
                Arg("quantity", "positive_int"),
                _slug("plan", required=False),
                Arg("expires", "time", required=False),
            ),
        ),
        CommandSpec(
            "accept_offer",
            "offer",
            (_slug("offer"), _slug("camp"), Arg("quantity", "positive_int")),
        ),
        CommandSpec(
            "decline_offer",
            "offer",
            (_slug("offer"), Arg("reason", "choice", choices=OFFER_DECLINE_REASONS)),
        ),
        CommandSpec(
            "deliver_offer",
            "offer",
            (_slug("offer"), _slug("camp"), Arg("quantity", "positive_int")),
        ),
        CommandSpec(
            "withdraw_offer", "offer", (_slug("offer"), Arg("reason", "text", required=False))
        ),
    )
}


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


def check_arg(arg: Arg, value: Any) -> Any:
    """Validate one argument value against its type; return the normalised value.

    Raises ArgumentError with a message that says what was expected.
    """
    checker = _CHECKERS[arg.type]
    try:
        return checker(arg, value)
    except ArgumentError as error:
        error.field = error.field or arg.name
        raise


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(arg: Arg, value: Any) -> str:
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


def _slug_value(arg: Arg, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_SLUG_LENGTH or _SLUG_RE.match(value) is None:
        raise ArgumentError(
            f"'{arg.name}' must be a {arg.entity} slug of lowercase letters, digits and '-' "
            f"(at most {MAX_SLUG_LENGTH}), got {value!r}",
            arg.name,
        )
    return value


def _slugs(arg: Arg, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ArgumentError(f"'{arg.name}' must be a list of {arg.entity} slugs, got {value!r}")
    slugs = [_slug_value(arg, item) for item in value]
    if len(set(slugs)) != len(slugs):
        raise ArgumentError(f"'{arg.name}' names a {arg.entity} twice: {value!r}")
    return slugs


def _positive_int(arg: Arg, value: Any) -> int:
    if not _is_int(value) or not 0 < value <= MAX_WHOLE_NUMBER:
        raise ArgumentError(
            f"'{arg.name}' must be a whole number from 1 to {MAX_WHOLE_NUMBER}, got {value!r}",
            arg.name,
        )
    return int(value)


def _non_negative_int(arg: Arg, value: Any) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_WHOLE_NUMBER:
        raise ArgumentError(
            f"'{arg.name}' must be a whole number from 0 to {MAX_WHOLE_NUMBER}, got {value!r}",
            arg.name,
        )
    return int(value)


def _positive_number(arg: Arg, value: Any) -> int | float:
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


def _choice(arg: Arg, value: Any) -> str:
    if value not in arg.choices:
        raise ArgumentError(f"'{arg.name}' must be one of {', '.join(arg.choices)}; got {value!r}")
    return str(value)


def _one_of(what: str, known: Any) -> Any:
    def check(arg: Arg, value: Any) -> str:
        if not isinstance(value, str) or value not in known:
            raise ArgumentError(
                f"'{arg.name}' must be a known {what} ({', '.join(sorted(known)[:12])}"
                f"{', …' if len(known) > 12 else ''}); got {value!r}"
            )
        return value

    return check


def _time(arg: Arg, value: Any) -> str:
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


def _sectors(arg: Arg, value: Any) -> list[str]:
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


def _area_code(arg: Arg, value: Any) -> str:
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


def _degrees(bounds: tuple[float, float]) -> Any:
    def check(arg: Arg, value: Any) -> float:
        if not in_range(value, bounds):
            raise ArgumentError(
                f"'{arg.name}' must be WGS 84 decimal degrees from {bounds[0]:g} to "
                f"{bounds[1]:g}, got {value!r}"
            )
        return float(value)

    return check


_CHECKERS: Final = {
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


def validate_args(spec: CommandSpec, args: Mapping[str, Any]) -> dict[str, Any]:
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
