"""An offline map of sites: each site drawn from its lat/lon as an SVG circle coloured by status.

No tile server and no external asset: an equirectangular projection of the sites' own bounding
box (longitudes scaled by the cosine of the middle latitude, so that distances look right at
the sites' latitude). The project ships no outlines, so none are drawn; a scale bar and the
north arrow give the reader a sense of distance and direction. Shapes carry classes, never
colours (the stylesheet colours them); each circle links to its camp page and names itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

WIDTH = 900
MARGIN = 30
KM_PER_DEGREE = 111.32  # of latitude


def site_map(
    sites: Sequence[Mapping[str, Any]], link: Callable[[Mapping[str, Any]], str]
) -> Markup:
    """The sites with coordinates as an SVG map (empty markup when none has coordinates)."""
    placed = [s for s in sites if s.get("lat") is not None and s.get("lon") is not None]
    if not placed:
        return Markup("")
    lats = [float(s["lat"]) for s in placed]
    lons = [float(s["lon"]) for s in placed]
    middle = math.radians((min(lats) + max(lats)) / 2)
    squeeze = max(math.cos(middle), 0.01)
    span_x = max((max(lons) - min(lons)) * squeeze, 0.01)
    span_y = max(max(lats) - min(lats), 0.01)
    scale = (WIDTH - 2 * MARGIN) / max(span_x, span_y * 0.75)
    height = round(span_y * scale + 2 * MARGIN + 30)

    def x(lon: float) -> float:
        return MARGIN + (lon - min(lons)) * squeeze * scale

    def y(lat: float) -> float:
        return MARGIN + (max(lats) - lat) * scale

    shapes = []
    # the largest first, so that small sites stay visible on top
    for site in sorted(placed, key=lambda s: -int(s.get("population") or 0)):
        radius = 5 + min(9.0, math.sqrt(int(site.get("population") or 0)) / 6)
        label = (
            f"{site.get('name') or site['camp']} — {site['status'].replace('_', ' ')}, "
            f"{int(site.get('population') or 0):,} people"
        )
        shapes.append(
            f'<a href="{escape(link(site))}"><circle class="site st-{escape(site["status"])}" '
            f'cx="{x(float(site["lon"])):.1f}" cy="{y(float(site["lat"])):.1f}" r="{radius:.1f}" '
            f'data-camp="{escape(site["camp"])}"><title>{escape(label)}</title></circle></a>'
        )
    km = _round_km(span_x * KM_PER_DEGREE / 4)  # a quarter of the map's width
    bar = km / KM_PER_DEGREE * scale
    y0 = height - 14
    scale_bar = (
        f'<line class="scale" x1="{MARGIN}" y1="{y0}" x2="{MARGIN + bar:.1f}" y2="{y0}"/>'
        f'<text x="{MARGIN}" y="{y0 - 6}">{km:g} km</text>'
        f'<text class="north" x="{WIDTH - MARGIN}" y="{MARGIN}">N ↑</text>'
    )
    return Markup(
        f'<svg class="map" id="site-map" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="Map of {len(placed)} sites coloured by readiness status">'
        f'<rect class="sea" x="0" y="0" width="{WIDTH}" height="{height}"/>'
        + "".join(shapes)
        + scale_bar
        + "</svg>"
    )


def _round_km(value: float) -> float:
    """A round distance for the scale bar: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if value >= step * power:
            return float(step * power)
    return float(power)
