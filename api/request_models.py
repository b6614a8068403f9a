"""Command request bodies, generated from the contract's command table (one model per command)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
)

from api.schema_types import (
    AreaCode,
    Currency,
    Facility,
    Item,
    Latitude,
    Longitude,
    NonNegativeInt,
    PositiveInt,
    PositiveNumber,
    Sector,
    Sectors,
    Slug,
    StandardKey,
    StandardsProfile,
    Text,
    Time,
)
from domain.commands import (
    COMMANDS,
    Arg,
    CommandSpec,
)

# -- command requests ---------------------------------------------------------------------------

# Arguments carried by the URL path (e.g. POST /plans/{plan}/join): the entity the command acts
# on, and the sector for the per-sector camp commands. Commands creating an entity take its
# slug in the body (POST /plans with {"plan": "…"}).
PATH_ARGS: Final[Mapping[str, tuple[str, ...]]] = {
    name: (
        ()
        if any(a.creates for a in spec.args)
        else ("camp", "sector")
        if name in ("reassign_sector", "release_sector")
        else (spec.entity,)
    )
    for name, spec in COMMANDS.items()
}

_EXAMPLES: Final[Mapping[str, object]] = {
    "partner": "pwj",
    "source": "jpf",
    "plan": "kosovo-1999",
    "stockpile": "durres-port",
    "camp": "korce",
    "name": "Peace Winds Japan",
    "title": "Camp Japan",
    "crisis": "Kosovo refugee crisis 1999",
    "region": "Albania",
    "location": "Korçë district",
    "planning_figure": 5000,
    "ready_days": 3,
    "site_area_m2": 200000,
    "shelter_capacity": 5000,
    "people": 120,
    "under5": 18,
    "elderly": 9,
    "disabled": 3,
    "pregnant_lactating": 6,
    "unaccompanied_minors": 2,
    "amount": 5_000_000,
    "currency": "JPY",
    "quantity": 2000,
    "item": "water",
    "facility": "latrine",
    "count": 10,
    "sector": "WSH",
    "sectors": ["SHL", "CCM"],
    "required_sectors": ["CCM", "SHL", "WSH", "FSC", "HEA", "PRO"],
    "kind": "ngo",
    "role": "implementer",
    "shipment": "truck-7",
    "offer": "acme-water-1",
}


_FIELD_TYPES: Final[Mapping[str, object]] = {
    "slug": Slug,
    "slugs": list[Slug],
    "text": Text,
    "positive_int": PositiveInt,
    "non_negative_int": NonNegativeInt,
    "positive_number": PositiveNumber,
    "sector": Sector,
    "sectors": Sectors,
    "item": Item,
    "currency": Currency,
    "facility": Facility,
    "area_code": AreaCode,
    "latitude": Latitude,
    "longitude": Longitude,
    "time": Time,
}


def _field_type(arg: Arg) -> Any:  # a type form for create_model
    if arg.type == "choice":
        return Literal[arg.choices]
    if arg.type in _FIELD_TYPES:
        return _FIELD_TYPES[arg.type]
    raise ValueError(f"no schema type for argument type {arg.type!r}")  # pragma: no cover


def _description(spec: CommandSpec, arg: Arg) -> str:
    if arg.type == "slug":
        what = f"slug of the {arg.entity}"
        return f"{what} to create" if arg.creates else what
    return {
        "positive_int": "whole number greater than 0",
        "non_negative_int": "whole number, 0 or more",
        "positive_number": "number greater than 0",
        "currency": "ISO 4217 currency code (amounts are integer minor units)",
        "item": "catalog item",
        "facility": "facility kind",
        "sector": "cluster code",
        "sectors": "cluster codes",
        "area_code": "administrative area code (P-code), letters, digits, '_' or '-'",
        "latitude": "WGS 84 latitude, decimal degrees (with lon)",
        "longitude": "WGS 84 longitude, decimal degrees (with lat)",
        "time": "ISO 8601 time with an offset, strictly after the command's time",
    }.get(arg.type, arg.name.replace("_", " "))


def _class_name(command: str) -> str:
    return "".join(part.capitalize() for part in command.split("_")) + "Request"


class CommandBody(BaseModel):
    """Base of every command request body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    def arguments(self) -> dict[str, object]:
        """The arguments given (unset optional ones left out)."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


_DRAFT_EXTRAS: Final[dict[str, object]] = {
    "standards_profile": (
        StandardsProfile | None,
        Field(None, description="standards profile (default sphere-emergency)"),
    ),
    "standards_overrides": (
        dict[StandardKey, PositiveNumber] | None,
        Field(
            None,
            description="per-plan overrides: daily need per person of a consumable, or people "
            "per unit of a facility",
            examples=[{"water": 20}],
        ),
    ),
}
SERVICE_ONLY_ARGS: Final = frozenset(_DRAFT_EXTRAS)


def _request_model(name: str, spec: CommandSpec) -> type[CommandBody]:
    fields: dict[str, object] = {}
    example: dict[str, object] = {}
    for arg in spec.args:
        if arg.name in PATH_ARGS[name]:
            continue
        kind = _field_type(arg)
        description = _description(spec, arg)
        if arg.required:
            fields[arg.name] = (kind, Field(..., description=description))
        else:
            fields[arg.name] = (kind | None, Field(None, description=description))
        if arg.name in _EXAMPLES and (arg.required or arg.name in ("sectors", "under5")):
            example[arg.name] = _EXAMPLES[arg.name]
    if name == "draft_plan":
        fields.update(_DRAFT_EXTRAS)
    if name == "write_off_supplies":
        example["reason"] = "expired"
    model = create_model(  # type: ignore[call-overload]
        _class_name(name),
        __base__=CommandBody,
        __doc__=f"Body of the `{name}` command.",
        **fields,
    )
    model.model_config["json_schema_extra"] = {"examples": [example]}
    model.model_rebuild(force=True)
    return model  # type: ignore[no-any-return]


REQUEST_MODELS: Final[Mapping[str, type[CommandBody]]] = {
    name: _request_model(name, spec) for name, spec in COMMANDS.items()
}
