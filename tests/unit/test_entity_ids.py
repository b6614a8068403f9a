"""Entity ids are uuid5 of "kind:slug" in their namespace, however they are computed."""

from __future__ import annotations

from uuid import UUID, uuid4, uuid5

from hypothesis import given
from hypothesis import strategies as st

from domain.base import PLANNER_NAMESPACE, entity_id, workspace_namespace


@given(
    kind=st.sampled_from(["camp", "plan", "stockpile", "partner", "shipment", "offer"]),
    slug=st.text(min_size=1, max_size=40),
    namespace=st.sampled_from([PLANNER_NAMESPACE, workspace_namespace("bench-busy"), uuid4()]),
)
def test_entity_id_is_the_uuid5_of_kind_and_slug(kind: str, slug: str, namespace: UUID) -> None:
    made, expected = entity_id(kind, slug, namespace), uuid5(namespace, f"{kind}:{slug}")
    assert made == expected
    assert hash(made) == hash(expected)
    assert (made.version, made.variant, made.is_safe) == (5, expected.variant, expected.is_safe)
    assert (str(made), made.hex, made.bytes) == (str(expected), expected.hex, expected.bytes)
    assert entity_id(kind, slug) == uuid5(PLANNER_NAMESPACE, f"{kind}:{slug}")
