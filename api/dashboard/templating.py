"""The dashboard's Jinja2 templates (autoescaped, as FastAPI documents) and their filters.

Templates live in `templates/` of this package (shipped as package data); every value they
insert is escaped unless it is markup made by the charts (`markupsafe.Markup`). A variable a
template names but the page did not give is an error, never an empty string.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

from api.dashboard.charts import status_label
from domain.catalog import CURRENCIES

PREFIX = "/dashboard"
STATIC_VERSION = "2"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def when(moment: datetime | str | None) -> str:
    """A time for people: 2001-10-17 08:30 UTC."""
    if moment is None:
        return "now"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(amount: int, currency: str) -> str:
    """Integer minor units as an amount: 200000000 JPY -> '200,000,000 JPY'."""
    digits = CURRENCIES.get(currency, 2)
    value = amount / 10**digits if digits else amount
    return f"{value:,.{digits}f} {currency}"


def number(value: float | int | None, places: int = 1) -> str:
    """A number for people, or a dash."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{places}f}"


def words(code: str) -> str:
    """A code in words: "food_ration" -> "food ration"."""
    return code.replace("_", " ")


def short(value: object, limit: int = 160) -> str:
    """A value as compact JSON, cut at `limit` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=number, money=money, when=when, words=words, short=short, status_label=status_label
    )
    env.globals.update(prefix=PREFIX, static_version=STATIC_VERSION)
    return env


templates = Jinja2Templates(env=_environment())
