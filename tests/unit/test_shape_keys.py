"""Typed shapes that spell out the catalog's names keep them in the catalog's order."""

from __future__ import annotations

import dataclasses
from typing import get_type_hints

from domain.camp import Camp
from domain.catalog import VULNERABLE_GROUPS
from domain.site import SiteDetails
from projections.readiness_views import SITE_FIELDS
from projections.shapes import CampView, SiteFields, VulnerableCounts


def test_vulnerable_counts_name_the_catalog_groups_in_order() -> None:
    assert tuple(get_type_hints(VulnerableCounts)) == VULNERABLE_GROUPS
    assert set(VULNERABLE_GROUPS) <= set(get_type_hints(CampView))


def test_site_shapes_name_the_site_fields_in_order() -> None:
    assert tuple(get_type_hints(SiteFields)) == SITE_FIELDS
    assert tuple(get_type_hints(SiteDetails)) == SITE_FIELDS
    # the event that records them: `Site.details()` gives its keyword arguments
    recorded = [f.name for f in dataclasses.fields(Camp.SiteDescribed)]
    assert tuple(recorded[-len(SITE_FIELDS) :]) == SITE_FIELDS
    assert not set(recorded[: -len(SITE_FIELDS)]) & set(SITE_FIELDS)
