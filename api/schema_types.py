"""The API's field types: slugs, texts, whole numbers, times and the catalog's enumerations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
)

from domain.catalog import (
    CURRENCIES,
    FACILITIES,
    ITEMS,
    MAX_NUMBER,
    MAX_SLUG_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WHOLE_NUMBER,
    SECTORS,
    STANDARD_KEYS,
    STANDARDS_PROFILES,
)
from domain.commands import (
    SLUG_PATTERN,
    TEXT_PATTERN,
)

MAX_WHOLE: Final = MAX_WHOLE_NUMBER  # exact in every JSON reader

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=MAX_SLUG_LENGTH, strict=True),
]
Text = Annotated[
    str, StringConstraints(pattern=TEXT_PATTERN, min_length=1, max_length=MAX_TEXT_LENGTH)
]


def _whole_float(value: object) -> object:
    """A whole-number float (5.0) is an integer in JSON Schema: take it as one."""
    if type(value) is float and value.is_integer() and abs(value) <= MAX_WHOLE:
        return int(value)
    return value


# The constraints before the validator: so the JSON schema says exclusiveMinimum/maximum.
PositiveInt = Annotated[int, Field(gt=0, le=MAX_WHOLE, strict=True), BeforeValidator(_whole_float)]
NonNegativeInt = Annotated[
    int, Field(ge=0, le=MAX_WHOLE, strict=True), BeforeValidator(_whole_float)
]
PositiveNumber = Annotated[float, Field(gt=0, le=MAX_NUMBER, allow_inf_nan=False)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=100)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# A time with an offset, as ISO 8601 text; the command table checks and normalises it to UTC.
Time = Annotated[
    str,
    StringConstraints(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
        max_length=40,
    ),
]
if TYPE_CHECKING:  # the enumerations are built from the catalog at run time
    Sector = str
    Item = str
    Currency = str
    Facility = str
    StandardsProfile = str
    StandardKey = str
else:
    Sector = Literal[tuple(SECTORS)]
    Item = Literal[tuple(ITEMS)]
    Currency = Literal[tuple(CURRENCIES)]
    Facility = Literal[FACILITIES]
    StandardsProfile = Literal[tuple(STANDARDS_PROFILES)]
    StandardKey = Literal[STANDARD_KEYS]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists a cluster code twice")
    return values


Sectors = Annotated[
    list[Sector],
    Field(max_length=len(SECTORS), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_unique),
]
