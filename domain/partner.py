"""Partner: an organization in the registry (NGO, business, government, UN agency, …)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import PlannerAggregate
from domain.catalog import PARTNER_KINDS, SECTORS
from domain.errors import DomainRefusal, StatusError


class Partner(PlannerAggregate):
    """An organization that can join plans, lead sectors, pledge funds and hold stockpiles."""

    class Registered(PlannerAggregate.Created):
        """The partner entered the registry."""

        slug: str
        name: str
        kind: str
        sectors: list[str] | None

    class Withdrew(PlannerAggregate.Event):
        """The partner withdrew: it stays on record but no longer counts."""

        reason: str

    @classmethod
    def register(
        cls, *, id: UUID, slug: str, name: str, kind: str, sectors: list[str] | None
    ) -> Partner:
        """Register a partner after checking its kind and declared sectors."""
        if kind not in PARTNER_KINDS:
            raise DomainRefusal(
                f"unknown partner kind {kind!r}", rule="partner kinds", field="kind"
            )
        for sector in sectors or ():
            if sector not in SECTORS:
                raise DomainRefusal(f"unknown cluster code {sector!r}", field="sectors")
        return cls._create(cls.Registered, id=id, slug=slug, name=name, kind=kind, sectors=sectors)

    @event(Registered)
    def __init__(self, *, slug: str, name: str, kind: str, sectors: list[str] | None) -> None:
        self.slug = slug
        self.name = name
        self.kind = kind
        self.sectors = None if sectors is None else list(sectors)
        self.withdrawn = False
        self.withdraw_reason = ""

    @property
    def active(self) -> bool:
        """True until the partner withdraws."""
        return not self.withdrawn

    def can_lead(self, sector: str) -> bool:
        """True if the partner declared this sector (or declared none, meaning any)."""
        return self.sectors is None or sector in self.sectors

    def require_active(self, doing: str) -> None:
        """Refuse an action of a withdrawn partner."""
        if self.withdrawn:
            raise StatusError(
                f"partner '{self.slug}' has withdrawn and cannot {doing}",
                rule="a withdrawn partner no longer counts",
                field="partner",
            )

    def withdraw(self, *, reason: str = "") -> None:
        """Withdraw from the registry (once)."""
        if self.withdrawn:
            raise StatusError(f"partner '{self.slug}' has already withdrawn", field="partner")
        self._withdraw(reason=reason)

    @event(Withdrew)
    def _withdraw(self, reason: str) -> None:
        self.withdrawn = True
        self.withdraw_reason = reason
