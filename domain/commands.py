"""The command table of the scenario contract: names, arguments and their types.

Scenario files, the HTTP API and the simulator all validate commands against this one table,
and the application service offers exactly these commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from domain.catalog import (
    OFFER_DECLINE_REASONS,
    PARTNER_KINDS,
    PLAN_ROLES,
    SHIPMENT_LOSS_REASONS,
    VULNERABLE_GROUPS,
    WRITE_OFF_REASONS,
)
from domain.command_args import (
    SLUG_PATTERN,
    TEXT_PATTERN,
    Arg,
    ArgumentError,
    CommandSpec,
    check_arg,
    validate_args,
)
from domain.site import SITE_KINDS

ENTITY_KINDS: Final = ("partner", "plan", "stockpile", "camp", "shipment", "offer")


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


__all__ = [
    "COMMANDS",
    "ENTITY_KINDS",
    "SLUG_PATTERN",
    "TEXT_PATTERN",
    "Arg",
    "ArgumentError",
    "CommandSpec",
    "check_arg",
    "validate_args",
]
