"""Where a camp is: display name, site kind, administrative area codes and coordinates.

The one home of the site rules of the contract (Part 2, "Sites and administrative areas"): the
command table checks argument types with these constants, the camp aggregate checks the rules
that tie arguments together.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final, TypedDict, TypeGuard

from domain.errors import DomainRefusal

SITE_KINDS: Final = (
    "camp",
    "collective_centre",
    "evacuation_centre",
    "host_community",
    "transit_centre",
)
DEFAULT_SITE_KIND: Final = "camp"
AREA_LEVELS: Final = ("adm1", "adm2")
AREA_CODE: Final = re.compile(r"[A-Za-z0-9_-]+")
LATITUDE_RANGE: Final = (-90.0, 90.0)
LONGITUDE_RANGE: Final = (-180.0, 180.0)


class SiteError(DomainRefusal):
    """A site's kind, area codes or coordinates break the site rules."""

    rule = "a site's area codes and coordinates are well-formed"


def is_area_code(value: object) -> bool:
    """True for a string of letters, digits, '_' and '-' (a P-code such as JP03202)."""
    return isinstance(value, str) and AREA_CODE.fullmatch(value) is not None


def in_range(value: object, bounds: tuple[float, float]) -> TypeGuard[float]:
    """True for a finite number (not a boolean) within the closed bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and bounds[0] <= value <= bounds[1]


class SiteDetails(TypedDict):
    """A site's details as its `SiteDescribed` event records them (None when not given)."""

    name: str | None
    kind: str | None
    adm1: str | None
    adm2: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Site:
    """The optional site details of a camp, as given (None when not given)."""

    name: str | None = None
    kind: str | None = None
    adm1: str | None = None
    adm2: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def given(self) -> bool:
        """True if any detail was given."""
        return any(
            v is not None for v in (self.name, self.kind, self.adm1, self.adm2, self.lat, self.lon)
        )

    def details(self) -> SiteDetails:
        """The details as keyword arguments of the `SiteDescribed` event."""
        return {
            "name": self.name,
            "kind": self.kind,
            "adm1": self.adm1,
            "adm2": self.adm2,
            "lat": self.lat,
            "lon": self.lon,
        }

    def validate(self) -> None:
        """Raise SiteError (with its field) unless the details fit the contract's rules."""
        if self.name is not None and not self.name.strip():
            raise SiteError("a site name cannot be empty", field="name")
        if self.kind is not None and self.kind not in SITE_KINDS:
            raise SiteError(
                f"unknown site kind {self.kind!r}; known: {', '.join(SITE_KINDS)}", field="kind"
            )
        for level in AREA_LEVELS:
            code = getattr(self, level)
            if code is not None and not is_area_code(code):
                raise SiteError(
                    f"{level} must be a code of letters, digits, '_' or '-', got {code!r}",
                    field=level,
                )
        if self.adm2 is not None and self.adm1 is None:
            raise SiteError(
                f"adm2 {self.adm2!r} is given without adm1: an adm2 area lies in an adm1 area",
                rule="adm2 only together with adm1",
                field="adm1",
            )
        if (self.lat is None) != (self.lon is None):
            missing = "lon" if self.lon is None else "lat"
            raise SiteError(
                f"{'lat' if missing == 'lon' else 'lon'} is given without {missing}: "
                "coordinates need both or neither",
                rule="lat and lon both or neither",
                field=missing,
            )
        for name, bounds in (("lat", LATITUDE_RANGE), ("lon", LONGITUDE_RANGE)):
            value = getattr(self, name)
            if value is not None and not in_range(value, bounds):
                raise SiteError(
                    f"{name} must be WGS 84 decimal degrees from {bounds[0]:g} to {bounds[1]:g}, "
                    f"got {value!r}",
                    field=name,
                )
