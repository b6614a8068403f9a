"""Partners: registry, slug uniqueness, withdrawal and what a withdrawn partner may not do."""

from __future__ import annotations

from typing import Any

import pytest

from domain.base import entity_id
from domain.errors import (
    AlreadyExistsError,
    DomainRefusal,
    NotFoundError,
    StatusError,
)
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.service import PlannerService


def stored_count(service: PlannerService) -> int:
    return len(service.recorder.select_notifications(start=1, limit=10_000))


def test_register_records_the_partner(service: PlannerService, clock) -> None:
    result = service.register_partner(
        partner="msf", name="Médecins Sans Frontières", kind="ngo", sectors=["HEA", "WSH"]
    )
    assert result.entity == "partner"
    assert result.slug == "msf"
    assert result.version == 1
    assert result.aggregate_id == entity_id("partner", "msf")
    partner: Partner = service.repository.get(result.aggregate_id)
    assert isinstance(partner, Partner)
    assert (partner.slug, partner.name, partner.kind) == ("msf", "Médecins Sans Frontières", "ngo")
    assert partner.sectors == ["HEA", "WSH"]
    assert partner.active and not partner.withdrawn
    assert partner.created_on == clock.now


def test_ids_are_deterministic_per_kind_and_slug(service: PlannerService) -> None:
    assert service.id_of("partner", "x") == entity_id("partner", "x")
    assert service.id_of("partner", "x") != service.id_of("plan", "x")


def test_slugs_are_unique_per_kind(service: PlannerService) -> None:
    service.register_partner(partner="acme", name="ACME", kind="business")
    before = stored_count(service)
    with pytest.raises(AlreadyExistsError, match="a partner named 'acme' already exists") as info:
        service.register_partner(partner="acme", name="Another ACME", kind="ngo")
    assert (info.value.kind, info.value.slug) == ("partner", "acme")
    assert stored_count(service) == before
    # the same slug for another kind of entity is fine
    service.draft_plan(plan="acme", title="t", crisis="c", planning_figure=10)


def test_unknown_kind_and_unknown_sector_are_refused(service: PlannerService) -> None:
    with pytest.raises(DomainRefusal, match="unknown partner kind 'church'"):
        service.register_partner(partner="p", name="P", kind="church")
    with pytest.raises(DomainRefusal, match="unknown cluster code 'XYZ'") as info:
        service.register_partner(partner="p", name="P", kind="ngo", sectors=["HEA", "XYZ"])
    assert info.value.field == "sectors"
    assert stored_count(service) == 0
    assert not service.exists("partner", "p")


def test_sectors_omitted_means_any_sector() -> None:
    anyone = Partner.register(
        id=entity_id("partner", "a"), slug="a", name="A", kind="ngo", sectors=None
    )
    some = Partner.register(
        id=entity_id("partner", "b"), slug="b", name="B", kind="ngo", sectors=["WSH"]
    )
    assert anyone.can_lead("PRO") and anyone.can_lead("WSH")
    assert some.can_lead("WSH") and not some.can_lead("PRO")


def test_withdraw_keeps_the_partner_on_record(service: PlannerService) -> None:
    service.register_partner(partner="red-cross", name="Red Cross", kind="ngo")
    result = service.withdraw_partner(partner="red-cross", reason="mandate ended")
    assert result.version == 2
    partner: Partner = service.repository.get(result.aggregate_id)
    assert partner.withdrawn and not partner.active
    assert partner.withdraw_reason == "mandate ended"
    assert service.exists("partner", "red-cross")


def test_withdraw_twice_is_refused(service: PlannerService) -> None:
    service.register_partner(partner="rc", name="RC", kind="ngo")
    service.withdraw_partner(partner="rc")
    before = stored_count(service)
    with pytest.raises(StatusError, match="partner 'rc' has already withdrawn"):
        service.withdraw_partner(partner="rc")
    assert stored_count(service) == before


def test_unknown_partner_is_not_found(service: PlannerService) -> None:
    with pytest.raises(NotFoundError, match="unknown partner 'ghost'") as info:
        service.withdraw_partner(partner="ghost")
    assert (info.value.kind, info.value.slug) == ("partner", "ghost")
    service.draft_plan(plan="p", title="t", crisis="c", planning_figure=10)
    with pytest.raises(NotFoundError, match="unknown partner 'ghost'"):
        service.join_plan(plan="p", partner="ghost", role="implementer")
    with pytest.raises(NotFoundError, match="unknown partner 'ghost'"):
        service.pledge_funds(plan="p", partner="ghost", amount=10, currency="EUR")
    with pytest.raises(NotFoundError, match="unknown partner 'ghost'"):
        service.open_stockpile(stockpile="s", partner="ghost", location="Kukës")


@pytest.fixture
def withdrawn(service: PlannerService) -> PlannerService:
    """A plan `p` with camp `c`; partner `gone` joined, pledged and then withdrew."""
    service.register_partner(partner="gone", name="Gone", kind="ngo", sectors=["WSH"])
    service.draft_plan(plan="p", title="t", crisis="c", planning_figure=100)
    service.join_plan(plan="p", partner="gone", role="implementer")
    service.pledge_funds(plan="p", partner="gone", amount=1_000, currency="EUR")
    service.establish_camp(
        camp="c", plan="p", location="Kukës", site_area_m2=45_000, shelter_capacity=1_000
    )
    service.withdraw_partner(partner="gone", reason="left the country")
    return service


def test_withdrawn_partner_cannot_join_a_plan(withdrawn: PlannerService) -> None:
    withdrawn.draft_plan(plan="q", title="t", crisis="c", planning_figure=100)
    before = stored_count(withdrawn)
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn and cannot join plan 'q'"):
        withdrawn.join_plan(plan="q", partner="gone", role="implementer")
    # nor take another role in a plan it is still a member of
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn"):
        withdrawn.join_plan(plan="p", partner="gone", role="funder")
    assert stored_count(withdrawn) == before


def test_withdrawn_partner_cannot_pledge(withdrawn: PlannerService) -> None:
    before = stored_count(withdrawn)
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn and cannot pledge funds"):
        withdrawn.pledge_funds(plan="p", partner="gone", amount=5, currency="EUR")
    assert stored_count(withdrawn) == before


def test_withdrawn_partner_cannot_lead_a_sector(withdrawn: PlannerService) -> None:
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn and cannot lead WSH") as e:
        withdrawn.assign_sector(camp="c", sector="WSH", partner="gone")
    assert e.value.rule == "a withdrawn partner no longer counts"


def test_withdrawn_partner_cannot_take_over_a_sector(withdrawn: PlannerService) -> None:
    withdrawn.register_partner(partner="oxfam", name="Oxfam", kind="ngo")
    withdrawn.join_plan(plan="p", partner="oxfam", role="implementer")
    withdrawn.assign_sector(camp="c", sector="WSH", partner="oxfam")
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn"):
        withdrawn.reassign_sector(camp="c", sector="WSH", partner="gone")


def test_withdrawn_partner_cannot_open_a_stockpile_or_receive_money(
    withdrawn: PlannerService,
) -> None:
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn and cannot open"):
        withdrawn.open_stockpile(stockpile="s", partner="gone", location="Durrës")
    with pytest.raises(StatusError, match="partner 'gone' has withdrawn and cannot receive"):
        withdrawn.disburse_funds(plan="p", partner="gone", amount=1, currency="EUR")


def test_withdrawn_partner_may_still_pay_in_its_pledge(withdrawn: PlannerService) -> None:
    """A pledge made before withdrawing can still be honoured (money only flows in)."""
    withdrawn.receive_funds(plan="p", partner="gone", amount=1_000, currency="EUR")
    plan = withdrawn.load("plan", "p", ResponsePlan)
    assert plan.pool_balance("EUR") == 1_000


def test_withdrawn_partner_keeps_its_past_lead(service: PlannerService) -> None:
    """Its lead stays on record (the readiness view counts it as uncovered)."""
    service.register_partner(partner="w", name="W", kind="ngo")
    service.draft_plan(plan="p", title="t", crisis="c", planning_figure=100)
    service.join_plan(plan="p", partner="w", role="implementer")
    service.establish_camp(camp="c", plan="p", location="L", site_area_m2=1, shelter_capacity=1)
    service.assign_sector(camp="c", sector="WSH", partner="w")
    service.withdraw_partner(partner="w")
    camp: Any = service.repository.get(service.id_of("camp", "c"))
    assert camp.leads == {"WSH": service.id_of("partner", "w")}
