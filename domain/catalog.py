"""Reference data: cluster codes, partner kinds, item catalog, facilities, standards profiles.

Everything here is data from the scenario contract (Sphere minimum standards, IASC clusters,
ISO 4217); code elsewhere looks things up here instead of repeating constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Final

SECTORS: Final = MappingProxyType(
    {
        "CCM": "camp coordination and camp management",
        "SHL": "shelter and non-food items",
        "WSH": "water, sanitation and hygiene",
        "FSC": "food security",
        "HEA": "health",
        "NUT": "nutrition",
        "PRO": "protection (social welfare)",
        "EDU": "education",
        "LOG": "logistics",
        "TEL": "emergency telecommunications",
        "ERY": "early recovery",
    }
)
DEFAULT_REQUIRED_SECTORS: Final = ("CCM", "SHL", "WSH", "FSC", "HEA", "PRO")
PROTECTION_SECTOR: Final = "PRO"

PARTNER_KINDS: Final = ("ngo", "business", "government", "un_agency", "academia", "media")
TRIPARTITE_KINDS: Final = ("ngo", "business", "government")
PLAN_ROLES: Final = ("coordinator", "implementer", "funder", "supplier")
PLAN_STATUSES: Final = ("drafted", "activated", "standing_down", "closed")
WRITE_OFF_REASONS: Final = ("expired", "damaged", "lost")
SHIPMENT_LOSS_REASONS: Final = ("lost", "damaged", "stolen")
SHIPMENT_STATUSES: Final = ("in_transit", "delivered", "lost", "returned")
OFFER_DECLINE_REASONS: Final = ("not_needed", "unsuitable", "duplicate")
OFFER_STATUSES: Final = ("open", "committed", "fulfilled", "declined", "expired", "withdrawn")
VULNERABLE_GROUPS: Final = (
    "under5",
    "elderly",
    "disabled",
    "pregnant_lactating",
    "unaccompanied_minors",
)
DEFAULT_READY_DAYS: Final = 3

# Bounds of what a command may carry, checked before anything is stored (docs/api.md, "Bounds").
# Every whole number the planner stores — a quantity, amount, count or number of people, and
# every total, balance, stock level and population they add up to in one entity — stays within
# MAX_WHOLE_NUMBER: exact in every JSON reader (2^53 − 1).
MAX_WHOLE_NUMBER: Final = 2**53 - 1
MAX_NUMBER: Final = 1e15  # other numbers (site area, ready days): finite and at most this
MAX_TEXT_LENGTH: Final = 4000  # characters of a text argument
MAX_SLUG_LENGTH: Final = 128
# Characters no text argument may hold: control characters (C0 with NUL, DEL, C1) and the
# bidirectional marks, embeddings, overrides and isolates (Trojan Source), as regex ranges.
FORBIDDEN_TEXT_CHARACTERS: Final = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"


@dataclass(frozen=True)
class Item:
    """A catalog item: its unit and how the readiness rules treat it."""

    name: str
    unit: str
    kind: str  # "consumable", "per_person", "shelter" or "stock_only"


ITEMS: Final = MappingProxyType(
    {
        "water": Item("water", "litre", "consumable"),
        "food_ration": Item("food_ration", "ration (2,100 kcal)", "consumable"),
        "medical_kit": Item("medical_kit", "kit (serves 1,000 people for 90 days)", "consumable"),
        "blanket": Item("blanket", "piece", "per_person"),
        "sleeping_mat": Item("sleeping_mat", "piece", "per_person"),
        "tent": Item("tent", "piece", "shelter"),
        "hygiene_kit": Item("hygiene_kit", "piece", "stock_only"),
        "jerrycan": Item("jerrycan", "piece", "stock_only"),
        "soap": Item("soap", "piece", "stock_only"),
        "latrine_slab": Item("latrine_slab", "piece", "stock_only"),
    }
)
CONSUMABLES: Final = tuple(name for name, item in ITEMS.items() if item.kind == "consumable")
PER_PERSON_ITEMS: Final = tuple(name for name, item in ITEMS.items() if item.kind == "per_person")

FACILITIES: Final = ("latrine", "water_tap", "health_post", "waste_container", "bathing_shelter")

# The cluster whose lead does the camp work with an item or facility (distributions, building).
ITEM_SECTORS: Final = MappingProxyType(
    {
        "water": "WSH",
        "hygiene_kit": "WSH",
        "jerrycan": "WSH",
        "soap": "WSH",
        "latrine_slab": "WSH",
        "food_ration": "FSC",
        "medical_kit": "HEA",
        "blanket": "SHL",
        "sleeping_mat": "SHL",
        "tent": "SHL",
    }
)
FACILITY_SECTORS: Final = MappingProxyType(
    {
        "latrine": "WSH",
        "water_tap": "WSH",
        "waste_container": "WSH",
        "bathing_shelter": "WSH",
        "health_post": "HEA",
    }
)
CAMP_MANAGEMENT_SECTOR: Final = "CCM"

# Daily need per person (consumables) and at most this many people per unit (facilities).
STANDARDS_PROFILES: Final = MappingProxyType(
    {
        "sphere-emergency": MappingProxyType(
            {
                "water": Fraction(15),
                "food_ration": Fraction(1),
                "medical_kit": Fraction(1, 90_000),
                "latrine": Fraction(50),
                "water_tap": Fraction(250),
                "health_post": Fraction(10_000),
                "waste_container": Fraction(50),
                "bathing_shelter": Fraction(50),
            }
        ),
        "sphere-post-emergency": MappingProxyType(
            {
                "water": Fraction(20),
                "food_ration": Fraction(1),
                "medical_kit": Fraction(1, 90_000),
                "latrine": Fraction(20),
                "water_tap": Fraction(250),
                "health_post": Fraction(10_000),
                "waste_container": Fraction(50),
                "bathing_shelter": Fraction(20),
            }
        ),
    }
)
DEFAULT_PROFILE: Final = "sphere-emergency"
STANDARD_KEYS: Final = (*CONSUMABLES, *FACILITIES)
MIN_SITE_AREA_PER_PERSON_M2: Final = 45
# Congestion by site area per person (m²): the first band whose floor the area reaches.
CONGESTION_BANDS: Final = (
    ("none", MIN_SITE_AREA_PER_PERSON_M2),
    ("low", 30),
    ("moderate", 20),
    ("high", 0),
)
CONGESTED_BANDS: Final = ("moderate", "high")  # these bands put a camp at risk
# Pieces of each per-person item (blanket, sleeping mat) a camp needs per person, both profiles.
PER_PERSON_STANDARD: Final = 1

# ISO 4217 active codes with their number of minor-unit digits (money is integer minor units).
CURRENCIES: Final = MappingProxyType(
    {
        **dict.fromkeys(
            [
                "AED",
                "AFN",
                "ALL",
                "AMD",
                "ANG",
                "AOA",
                "ARS",
                "AUD",
                "AWG",
                "AZN",
                "BAM",
                "BBD",
                "BDT",
                "BGN",
                "BMD",
                "BND",
                "BOB",
                "BRL",
                "BSD",
                "BTN",
                "BWP",
                "BYN",
                "BZD",
                "CAD",
                "CDF",
                "CHF",
                "CNY",
                "COP",
                "CRC",
                "CUP",
                "CVE",
                "CZK",
                "DKK",
                "DOP",
                "DZD",
                "EGP",
                "ERN",
                "ETB",
                "EUR",
                "FJD",
                "FKP",
                "GBP",
                "GEL",
                "GHS",
                "GIP",
                "GMD",
                "GTQ",
                "GYD",
                "HKD",
                "HNL",
                "HTG",
                "HUF",
                "IDR",
                "ILS",
                "INR",
                "IRR",
                "JMD",
                "KES",
                "KGS",
                "KHR",
                "KPW",
                "KYD",
                "KZT",
                "LAK",
                "LBP",
                "LKR",
                "LRD",
                "LSL",
                "MAD",
                "MDL",
                "MGA",
                "MKD",
                "MMK",
                "MNT",
                "MOP",
                "MRU",
                "MUR",
                "MVR",
                "MWK",
                "MXN",
                "MYR",
                "MZN",
                "NAD",
                "NGN",
                "NIO",
                "NOK",
                "NPR",
                "NZD",
                "PAB",
                "PEN",
                "PGK",
                "PHP",
                "PKR",
                "PLN",
                "QAR",
                "RON",
                "RSD",
                "RUB",
                "SAR",
                "SBD",
                "SCR",
                "SDG",
                "SEK",
                "SGD",
                "SHP",
                "SLE",
                "SOS",
                "SRD",
                "SSP",
                "STN",
                "SVC",
                "SYP",
                "SZL",
                "THB",
                "TJS",
                "TMT",
                "TOP",
                "TRY",
                "TTD",
                "TWD",
                "TZS",
                "UAH",
                "USD",
                "UYU",
                "UZS",
                "VES",
                "WST",
                "XCD",
                "YER",
                "ZAR",
                "ZMW",
                "ZWG",
            ],
            2,
        ),
        **dict.fromkeys(
            [
                "BIF",
                "CLP",
                "DJF",
                "GNF",
                "ISK",
                "JPY",
                "KMF",
                "KRW",
                "PYG",
                "RWF",
                "UGX",
                "VND",
                "VUV",
                "XAF",
                "XOF",
                "XPF",
            ],
            0,
        ),
        **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    }
)


def standards_for(profile: str, overrides: dict[str, float] | None = None) -> dict[str, Fraction]:
    """Return the standards of a profile with a plan's overrides applied, as exact fractions."""
    figures = dict(STANDARDS_PROFILES[profile])
    for key, value in (overrides or {}).items():
        figures[key] = Fraction(value).limit_denominator(1_000_000)
    return figures
