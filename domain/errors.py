"""Named errors of the domain, with messages a planner understands."""

from __future__ import annotations

from domain.catalog import MAX_WHOLE_NUMBER


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class DomainRefusal(PlannerError):
    """A command the rules refuse; `rule` names the rule in a few words."""

    rule = "domain rule"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        if rule is not None:
            self.rule = rule
        self.field = field


class StockError(DomainRefusal):
    """Stock would go negative, or more is taken than may be taken."""

    rule = "stock never goes below zero"


class FundingError(DomainRefusal):
    """A receipt exceeds the pledge, or a disbursement exceeds the pool."""

    rule = "money never exceeds what was pledged or received"


class PopulationError(DomainRefusal):
    """Departures would exceed the registered population."""

    rule = "departures never exceed the population"


class StatusError(DomainRefusal):
    """The entity's status does not allow this command (closed plan or camp, withdrawn partner)."""

    rule = "status allows no such change"


class SectorError(DomainRefusal):
    """A sector assignment breaks the one-lead-per-sector or partner eligibility rules."""

    rule = "one eligible lead per sector"


class MembershipError(DomainRefusal):
    """A partner joins, leaves or acts in a plan against the membership rules."""

    rule = "plan membership"


class BoundError(DomainRefusal):
    """A total, balance, stock level or population would pass the planner's bound."""

    rule = "totals, balances and stock stay within 2^53 - 1"


def require_within_bound(current: int, added: int, what: str, field: str) -> None:
    """Refuse (BoundError) if `current + added` passes MAX_WHOLE_NUMBER."""
    if current + added > MAX_WHOLE_NUMBER:
        raise BoundError(
            f"{what} would reach {current + added}, beyond the bound {MAX_WHOLE_NUMBER} "
            "(2^53 - 1) of every total the planner keeps",
            field=field,
        )


class NotFoundError(PlannerError):
    """A command names an entity that does not exist."""

    def __init__(self, kind: str, slug: str):
        super().__init__(f"unknown {kind} '{slug}'")
        self.kind = kind
        self.slug = slug


class AlreadyExistsError(PlannerError):
    """A command would create an entity whose slug is taken."""

    def __init__(self, kind: str, slug: str):
        super().__init__(f"a {kind} named '{slug}' already exists")
        self.kind = kind
        self.slug = slug


class ConcurrencyError(PlannerError):
    """Another writer changed the same entity first; reload and try again."""


class VersionMismatchError(PlannerError):
    """The caller expected another version of the entity (a stale If-Match)."""

    def __init__(self, kind: str, slug: str, expected: int, actual: int):
        super().__init__(
            f"{kind} '{slug}' is at version {actual}, not the expected version {expected}"
        )
        self.expected = expected
        self.actual = actual


class AlreadyRecorded(Exception):
    """A command's receipt key was recorded by an earlier command: it was not run again.

    `recorded` is what the earlier command's receipt stored (the caller replays it).
    """

    def __init__(self, recorded: object) -> None:
        super().__init__("this request was already recorded")
        self.recorded = recorded
