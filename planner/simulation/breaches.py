"""Checking the `require:` entries of a `simulate:` section on a view: what is wrong, in words,
and the view fields a reproduction's check asserts."""

from __future__ import annotations

from typing import Any

from planner.simulation.requirements import Requirement, figure
from projections.shapes import ViewDoc


def requirement_breach(requirement: Requirement, doc: ViewDoc | None) -> str | None:
    """None if the requirement holds on a view document, else what is wrong, in words."""
    subject = f"{requirement.subject} {requirement.slug}"
    prop, value = requirement.prop, requirement.value
    if doc is None:
        if prop == "status_not":
            return None  # a camp that does not exist (yet) is in no forbidden status
        return f"{subject} not existing"
    if prop in ("status_not", "status"):
        if (doc["status"] in value) == (prop == "status_not"):
            return f"{subject} {doc['status']}{_gap_hint(doc)}"
        return None
    if prop == "tripartite":
        return _tripartite_breach(subject, value, doc)
    if prop == "max_uncommitted_need":
        short = _excesses(value, doc)
    else:
        short = _shortages(prop, value, doc)
    return f"{subject} with " + ", ".join(short) if short else None


def _shortages(prop: str, value: Any, doc: ViewDoc) -> list[str]:
    if prop == "min_days_of_cover":
        cover = doc["days_of_cover"]
        return [
            f"{figure(cover[item])} days of {item} (at least {figure(days)} needed)"
            for item, days in value.items()
            if cover.get(item) is not None and cover[item] < days - 1e-9
        ]
    if prop == "min_preparedness_days":
        ready = doc["preparedness_days"]
        return [
            f"{figure(ready[item])} preparedness days of {item} (at least {figure(days)} needed)"
            for item, days in value.items()
            if ready[item] < days - 1e-9
        ]
    pool = doc["pool_balance"]
    return [
        f"a pool of {pool.get(currency, 0):,} {currency} (at least {amount:,} needed)"
        for currency, amount in value.items()
        if pool.get(currency, 0) < amount
    ]


def _uncommitted(doc: ViewDoc, key: str) -> int:
    """A view's uncommitted need of one key (0 when the key has no shortfall)."""
    need = (doc.get("needs") or {}).get(key)
    return 0 if need is None else int(need["uncommitted"])


def _excesses(value: dict[str, int], doc: ViewDoc) -> list[str]:
    return [
        f"an uncommitted need of {_uncommitted(doc, key):,} {key} (at most {cap:,} allowed)"
        for key, cap in value.items()
        if _uncommitted(doc, key) > cap
    ]


def _tripartite_breach(subject: str, value: bool, doc: ViewDoc) -> str | None:
    if doc["tripartite"] == value:
        return None
    if value:
        return f"{subject} not tripartite (no active {', '.join(doc['missing_kinds'])})"
    return f"{subject} tripartite"


def _gap_hint(doc: ViewDoc) -> str:
    gaps = doc.get("gaps") or []
    return f" ({gaps[0]})" if gaps else ""


def expected_fields(requirement: Requirement, view: ViewDoc) -> ViewDoc:
    """The view fields a requirement is about (what a reproduction's check asserts)."""
    value = requirement.value
    if requirement.prop in ("status", "status_not"):
        return {"status": view["status"]}
    if requirement.prop == "min_days_of_cover":
        return {"days_of_cover": {item: view["days_of_cover"].get(item) for item in value}}
    if requirement.prop == "min_preparedness_days":
        return {"preparedness_days": {item: view["preparedness_days"][item] for item in value}}
    if requirement.prop == "min_pool_balance":
        return {"pool_balance": {c: view["pool_balance"].get(c, 0) for c in value}}
    if requirement.prop == "max_uncommitted_need":
        return {"needs": {key: {"uncommitted": _uncommitted(view, key)} for key in value}}
    return {"tripartite": view["tripartite"]}
