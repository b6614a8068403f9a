"""`PlannerService.known_absent` (the replay's one existence query instead of one per new slug):
within a batch, `exists` answers from it exactly as the store would, on SQLite, PostgreSQL and
in memory (where the store is asked id by id)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import AlreadyExistsError
from domain.service import PlannerService


def check(service: PlannerService) -> None:
    service.register_partner(partner="old", name="Old", kind="ngo")
    with service.batch():
        service.known_absent([("partner", "old"), ("partner", "new"), ("plan", "p")] * 2)
        assert service.exists("partner", "old")
        assert not service.exists("partner", "new") and not service.exists("plan", "p")
        service.register_partner(partner="new", name="New", kind="ngo")
        assert service.exists("partner", "new")
        service.flush()
        assert service.exists("partner", "new")
        with pytest.raises(AlreadyExistsError):
            service.register_partner(partner="new", name="Again", kind="ngo")
        with pytest.raises(AlreadyExistsError):
            service.register_partner(partner="old", name="Again", kind="ngo")
    assert service.exists("partner", "new") and not service.exists("plan", "p")


def test_in_a_real_store(service_factory: Callable[..., PlannerService], store_url: str) -> None:
    service = service_factory(store_url)
    assert hasattr(service.recorder, "stored_originators")  # one query, not one per id
    check(service)


def test_in_memory(service: PlannerService) -> None:
    check(service)


def test_outside_a_batch_it_changes_nothing(service: PlannerService) -> None:
    service.known_absent([("partner", "x")])
    service.register_partner(partner="x", name="X", kind="ngo")
    assert service.exists("partner", "x")
