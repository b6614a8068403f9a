"""The planner's application service: one method per command of the contract.

Each method loads the aggregates it needs, calls them (they validate and compute), and saves
their new events. Entities are named by slug; ids are uuid5 of the slug within the service's
namespace, so a replay stores identical events. Inside `batch()` commands share one identity map
and their events are saved together, in command order, in one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    Mapper,
    Transcoder,
)

from domain import clock
from domain.base import PLANNER_NAMESPACE, PlannerAggregate, entity_id
from domain.camp import Camp
from domain.catalog import DEFAULT_PROFILE, DEFAULT_READY_DAYS
from domain.commands import COMMANDS
from domain.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    MembershipError,
    NotFoundError,
    PlannerError,
    SectorError,
    StatusError,
    VersionMismatchError,
)
from domain.group_commit import GroupCommitter, Submitted
from domain.locking import SharedExclusiveLock
from domain.offer import Offer
from domain.partner import Partner
from domain.plan import ResponsePlan
from domain.ports import PositionedEventStore, StorageAdapters
from domain.rights import Actor, authorize, revokes
from domain.shipment import Shipment
from domain.site import Site
from domain.stockpile import Stockpile

A = TypeVar("A", bound=PlannerAggregate)
# A command method: keyword arguments in, a CommandResult out (its signature is kept).
C = TypeVar("C", bound=Callable[..., "CommandResult"])

_ID_CACHE_SIZE = 100_000

AGGREGATE_CLASSES: Mapping[str, type[PlannerAggregate]] = {
    "partner": Partner,
    "plan": ResponsePlan,
    "stockpile": Stockpile,
    "camp": Camp,
    "shipment": Shipment,
    "offer": Offer,
}


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the aggregate it acted on, its new version, the last event's position.

    `position` is None while the command waits in an unflushed batch.
    """

    entity: str
    slug: str
    aggregate_id: UUID
    version: int
    position: int | None


def command(method: C) -> C:
    """Run a command method under the service's clock; on refusal, drop its half-made events."""

    @wraps(method)
    def run(self: PlannerService, *args: object, **kwargs: object) -> CommandResult:
        token = clock.set_clock(self.clock_fn)
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self._discard_pending()
            raise
        finally:
            clock.reset_clock(token)

    return cast(C, run)


class CommandsRefused(PlannerError):
    """A command of an all-or-nothing run was refused; nothing of the run was stored."""

    def __init__(self, index: int, command: str, error: PlannerError) -> None:
        super().__init__(f"{command} refused: {error}")
        self.index = index
        self.command = command
        self.error = error


class _UnitOfWork:
    """Aggregates loaded in a batch and their events in the order the commands made them.

    Aggregates are keyed by `id.int`: hashing a UUID runs Python code, hashing an int does not.
    """

    def __init__(self) -> None:
        self.aggregates: dict[int, PlannerAggregate] = {}
        self.events: list[DomainEventProtocol[UUID]] = []
        self.settled: dict[int, int] = {}  # versions after the last command that succeeded

    def settle(self) -> None:
        """Mark the current state as the one to go back to if a later command is refused."""
        self.settled = {key: aggregate.version for key, aggregate in self.aggregates.items()}

    def get(self, aggregate_id: UUID) -> PlannerAggregate | None:
        """The aggregate of this id loaded in the batch, if any."""
        return self.aggregates.get(aggregate_id.int)

    def keep(self, aggregate: PlannerAggregate) -> None:
        """Remember an aggregate loaded or changed in the batch."""
        self.aggregates[aggregate.id.int] = aggregate


class PlannerService(Application[UUID]):
    """The response planner: partners, plans, stockpiles and camps, kept as events."""

    name = "planner"
    # A bounded cache of loaded aggregates, fast-forwarded from the store on every load (so
    # other processes' writes are seen): a command costs O(new events), not O(history).
    env = {"IS_SNAPSHOTTING_ENABLED": "n", "AGGREGATE_CACHE_MAXSIZE": "1000"}  # noqa: RUF012

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        namespace: UUID = PLANNER_NAMESPACE,
        clock_fn: clock.Clock | None = None,
        storage: StorageAdapters | None = None,
    ) -> None:
        self.storage = storage  # read by the construct_* hooks that super().__init__ calls
        super().__init__(env)
        self.namespace = namespace
        self.clock_fn = clock_fn or clock.utc_now
        self._local = threading.local()
        self._ids: dict[tuple[str, str], UUID] = {}
        # Called with each command's new events, in order (the replay folds them in-process).
        self.observers: list[Callable[[list[DomainEventProtocol[UUID]]], None]] = []
        self._notify_overridden = type(self)._notify is not Application._notify
        # Recordings are only made if a subclass listens for them (overrides _notify).
        self._positioned: PositionedEventStore | None = (
            self.events
            if isinstance(self.events, PositionedEventStore) and not self._notify_overridden
            else None
        )
        self._rights_lock = SharedExclusiveLock()
        self._group: GroupCommitter[CommandResult] = GroupCommitter(self._run_group)

    @property
    def _uow(self) -> _UnitOfWork | None:
        # Per thread: concurrent callers (HTTP requests in a thread pool) never share a batch.
        uow: _UnitOfWork | None = getattr(self._local, "uow", None)
        return uow

    @_uow.setter
    def _uow(self, value: _UnitOfWork | None) -> None:
        self._local.uow = value

    def construct_transcoder(self) -> Transcoder:
        """The bootstrap's transcoder, or the library's."""
        if self.storage is None:
            return super().construct_transcoder()
        return self.storage.transcoder()

    def construct_mapper(self) -> Mapper[UUID]:
        """The bootstrap's mapper, or the library's."""
        if self.storage is None:
            return super().construct_mapper()
        return self.storage.mapper(self.factory, self.construct_transcoder())

    def construct_recorder(self) -> ApplicationRecorder:
        """The configured recorder, as the bootstrap's storage adapts it."""
        recorder = super().construct_recorder()
        return recorder if self.storage is None else self.storage.recorder(recorder)

    def construct_event_store(self) -> EventStore[UUID]:
        """The bootstrap's event store, or the library's."""
        if self.storage is None:
            return super().construct_event_store()
        return self.storage.event_store(self.mapper, self.recorder)

    # -- plumbing ------------------------------------------------------------------------------

    def id_of(self, kind: str, slug: str) -> UUID:
        """The id of the entity of this kind and slug in this service's namespace."""
        key = (kind, slug)
        found = self._ids.get(key)
        if found is None:
            if len(self._ids) >= _ID_CACHE_SIZE:  # bounded: lookups of unknown slugs add up
                self._ids.clear()
            found = self._ids[key] = entity_id(kind, slug, self.namespace)
        return found

    def load(self, kind: str, slug: str, cls: type[A]) -> A:
        """Load an entity by slug (from the batch first), or raise NotFoundError."""
        aggregate_id = self.id_of(kind, slug)
        uow = self._uow
        if uow is not None:
            found = uow.get(aggregate_id)
            if found is not None:
                return found  # type: ignore[return-value]
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(kind, slug) from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(kind, slug)
        if uow is not None:
            uow.keep(aggregate)
        return aggregate

    def exists(self, kind: str, slug: str) -> bool:
        """True if an entity of this kind and slug is stored (or created in this batch)."""
        aggregate_id = self.id_of(kind, slug)
        uow = self._uow
        if uow is not None and uow.get(aggregate_id) is not None:
            return True
        return aggregate_id in self.repository

    def _require_new(self, kind: str, slug: str) -> UUID:
        if self.exists(kind, slug):
            raise AlreadyExistsError(kind, slug)
        return self.id_of(kind, slug)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many commands with one identity map and save their events in one transaction.

        If a command raises, the events of the commands before it are still saved (they were
        valid), and the error propagates: nothing of the failing command is stored.
        """
        if self._uow is not None:
            yield
            return
        self._uow = _UnitOfWork()
        try:
            yield
        finally:
            try:
                self.flush()
            finally:
                self._uow = None

    def execute_all(
        self, commands: Sequence[tuple[str, Mapping[str, Any]]], *, actor: Actor | None = None
    ) -> int | None:
        """Run commands in order and store all their events in one transaction, or none.

        Unlike `batch()`, a refusal discards the events of the commands before it as well (an
        import is one decision: a list with one bad row is stored not at all); it is raised as
        CommandsRefused, naming the command's index. With an `actor`, each command's rights are
        checked as `execute` checks them, under the rights lock held for the whole run.
        Returns the position of the last event stored.
        """
        if self._uow is not None:
            raise RuntimeError("execute_all() cannot run inside a batch")
        exclusive = any(revokes(command) for command, _ in commands)
        lock = self._rights_lock.hold(exclusive=exclusive) if actor else nullcontext()
        with lock, self._writer_lock():
            self._uow = _UnitOfWork()
            try:
                for index, (command, args) in enumerate(commands):
                    try:
                        if actor is not None:
                            authorize(self, actor, command, args)
                        self._run(command, args, None)
                    except PlannerError as error:
                        self._discard_pending()
                        raise CommandsRefused(index, command, error) from error
                return self.flush()
            finally:
                self._uow = None

    def flush(self) -> int | None:
        """Save the events collected in the current batch; return the last position."""
        uow = self._uow
        if uow is None or not uow.events:
            return None
        events, uow.events = uow.events, []
        return self._store(events)

    def _store(self, events: list[DomainEventProtocol[UUID]]) -> int | None:
        with self._conflicts():
            # events.put() is what save() does for plain events, without save()'s runtime
            # Protocol checks, which cost more than the insert itself in long replays.
            if self._positioned is not None:
                return self._positioned.put_for_position(events)
            recordings = self.events.put(events)
        self._notify(recordings)
        return recordings[-1].notification.id if recordings else None

    def _store_each(self, events: list[DomainEventProtocol[UUID]]) -> Sequence[int]:
        """Store events in one transaction; return each one's position."""
        with self._conflicts():
            if self._positioned is not None:
                return self._positioned.put_for_positions(events)
            recordings = self.events.put(events)
        self._notify(recordings)
        return [recording.notification.id for recording in recordings]

    @contextmanager
    def _conflicts(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as error:
            uow = self._uow
            if uow is not None:
                uow.aggregates.clear()
            raise ConcurrencyError(
                "another writer changed the same entity first; nothing was stored, try again"
            ) from error

    def _commit(
        self, entity: str, primary: PlannerAggregate, *others: PlannerAggregate
    ) -> CommandResult:
        events: list[DomainEventProtocol[UUID]] = list(primary.collect_events())
        for other in others:
            events.extend(other.collect_events())
        for observe in self.observers:
            observe(events)
        uow = self._uow
        if uow is not None:
            uow.keep(primary)
            for other in others:
                uow.keep(other)
            uow.events.extend(events)
            position = None
        else:
            position = self._store(events)
        return CommandResult(entity, primary.slug, primary.id, primary.version, position)

    def _discard_pending(self) -> None:
        uow = self._uow
        if uow is not None:
            for aggregate in uow.aggregates.values():
                aggregate.collect_events()

    def execute(
        self,
        command: str,
        args: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        actor: Actor | None = None,
    ) -> CommandResult:
        """Run a command of the contract by name with already validated arguments.

        With an `actor`, its rights (domain.rights) are checked against the same state the
        command is validated with, under the rights lock, and its events are stored before the
        lock is let go: a command that may revoke a right runs alone, so every command ordered
        after it is checked against the new state. A coordinator drafting a plan joins it as
        coordinator in the same transaction.
        """
        if command not in COMMANDS:
            raise KeyError(f"unknown command {command!r}")
        if actor is None:
            return self._run(command, args, expected_version)
        if self._uow is not None:  # inside the caller's own batch
            return self._execute_alone(command, args, expected_version, actor)
        return self._group.submit(Submitted(command, args, expected_version, actor))

    def _execute_alone(
        self, command: str, args: Mapping[str, Any], expected_version: int | None, actor: Actor
    ) -> CommandResult:
        with self._rights_lock.hold(exclusive=revokes(command)), self.batch():
            result = self._authorized(command, args, expected_version, actor)
            position = self.flush()
        return replace(result, position=position)

    def _authorized(
        self, command: str, args: Mapping[str, Any], expected_version: int | None, actor: Actor
    ) -> CommandResult:
        authorize(self, actor, command, args)
        result = self._run(command, args, expected_version)
        if command == "draft_plan" and actor.role == "coordinator":
            result = self.join_plan(
                plan=args["plan"], partner=str(actor.partner), role="coordinator"
            )
        return result

    # -- group commit --------------------------------------------------------------------------

    def execute_group(
        self, calls: Sequence[tuple[str, Mapping[str, Any], int | None, Actor]]
    ) -> list[CommandResult | Exception]:
        """Run (command, args, expected version, actor) calls as one group, as concurrent
        callers of execute() are: each its own answer, an error for a refused one."""
        items: list[Submitted[CommandResult]] = [Submitted(*call) for call in calls]
        self._run_group(items)
        answers: list[CommandResult | Exception] = []
        for item in items:
            error = item.error
            answers.append(item.outcome() if error is None else cast(Exception, error))
        return answers

    def _run_group(self, group: list[Submitted[CommandResult]]) -> None:
        """Run a group's commands in order against one state; store their events together.

        A refused command is rolled back before the next runs (nothing of it is stored, the
        others do not see it). The group holds the rights lock alone, so each command's rights
        are checked against the state every command before it left. If storing the group
        conflicts with another process's write, each command is run again on its own.
        """
        done: list[tuple[Submitted[CommandResult], CommandResult, int]] = []
        with self._rights_lock.hold(exclusive=True), self._writer_lock():
            uow = self._uow = _UnitOfWork()
            try:
                for item in group:
                    start = len(uow.events)
                    try:
                        result = self._authorized(
                            item.command, item.args, item.expected_version, item.actor
                        )
                    except Exception as error:
                        self._roll_back(uow, start)
                        item.finish(error=error)
                        continue
                    uow.settle()
                    done.append((item, result, len(uow.events)))
                positions = self._store_each(uow.events) if uow.events else []
            except ConcurrencyError:
                self._uow = None
                self._run_each([item for item, _, _ in done])
                return
            finally:
                self._uow = None
        for item, result, end in done:
            item.finish(replace(result, position=positions[end - 1] if end else None))

    def _writer_lock(self) -> AbstractContextManager[None]:
        """The store's lock against other processes' groups (none without storage adapters)."""
        if self.storage is None:
            return nullcontext()
        return self.storage.writer_lock(self.recorder)

    def _run_each(self, items: list[Submitted[CommandResult]]) -> None:
        for item in items:
            try:
                result = self._execute_alone(
                    item.command, item.args, item.expected_version, item.actor
                )
            except Exception as error:
                item.finish(error=error)
            else:
                item.finish(result)

    def _roll_back(self, uow: _UnitOfWork, start: int) -> None:
        """Undo a refused command in a group: its events and what they did to the aggregates."""
        del uow.events[start:]
        for key, aggregate in list(uow.aggregates.items()):
            settled = uow.settled.get(key)
            if settled is None:
                del uow.aggregates[key]  # loaded or made by the refused command: load again
            elif aggregate.version != settled:
                uow.aggregates[key] = self._replayed(aggregate.id, uow.events)

    def _replayed(self, aggregate_id: UUID, events: list[DomainEventProtocol[UUID]]) -> Any:
        """The aggregate as stored, with the group's events of it (before a refusal) applied."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        for event in events:
            if event.originator_id == aggregate_id and (
                aggregate is None or event.originator_version > aggregate.version
            ):
                aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _run(
        self, command: str, args: Mapping[str, Any], expected_version: int | None
    ) -> CommandResult:
        method = getattr(self, command)
        if expected_version is not None:
            self.require_version(command, args, expected_version)
        result: CommandResult = method(**args)
        return result

    def require_version(self, command: str, args: Mapping[str, Any], expected: int) -> None:
        """Refuse (VersionMismatchError) if the command's entity is not at the expected version."""
        spec = COMMANDS[command]
        slug = args[spec.entity]
        aggregate = self.load(spec.entity, slug, AGGREGATE_CLASSES[spec.entity])
        if aggregate.version != expected:
            raise VersionMismatchError(spec.entity, slug, expected, aggregate.version)

    # -- partners ------------------------------------------------------------------------------

    @command
    def register_partner(
        self, *, partner: str, name: str, kind: str, sectors: list[str] | None = None
    ) -> CommandResult:
        """Enter an organization in the registry."""
        new = Partner.register(
            id=self._require_new("partner", partner),
            slug=partner,
            name=name,
            kind=kind,
            sectors=sectors,
        )
        return self._commit("partner", new)

    @command
    def withdraw_partner(self, *, partner: str, reason: str = "") -> CommandResult:
        """Withdraw a partner: it stays on record and no longer counts."""
        org = self.load("partner", partner, Partner)
        org.withdraw(reason=reason)
        return self._commit("partner", org)

    # -- plans ---------------------------------------------------------------------------------

    @command
    def draft_plan(
        self,
        *,
        plan: str,
        title: str,
        crisis: str,
        planning_figure: int,
        region: str = "",
        required_sectors: list[str] | None = None,
        ready_days: float = DEFAULT_READY_DAYS,
        standards_profile: str = DEFAULT_PROFILE,
        standards_overrides: dict[str, float] | None = None,
    ) -> CommandResult:
        """Write down a plan for a crisis (status drafted)."""
        new = ResponsePlan.draft(
            id=self._require_new("plan", plan),
            slug=plan,
            title=title,
            crisis=crisis,
            planning_figure=planning_figure,
            region=region,
            required_sectors=required_sectors,
            ready_days=ready_days,
            standards_profile=standards_profile,
            standards_overrides=standards_overrides,
        )
        return self._commit("plan", new)

    @command
    def join_plan(self, *, plan: str, partner: str, role: str) -> CommandResult:
        """Add an active partner to a plan in a role."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active(f"join plan '{plan}'")
        the_plan.join(partner_id=org.id, partner_slug=org.slug, kind=org.kind, role=role)
        return self._commit("plan", the_plan)

    @command
    def leave_plan(self, *, plan: str, partner: str) -> CommandResult:
        """Remove a member from a plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        the_plan.leave(partner_id=org.id, partner_slug=org.slug)
        return self._commit("plan", the_plan)

    @command
    def pledge_funds(self, *, plan: str, partner: str, amount: int, currency: str) -> CommandResult:
        """Record an active partner's pledge to the plan's pooled fund."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active("pledge funds")
        the_plan.pledge(partner_id=org.id, amount=amount, currency=currency)
        return self._commit("plan", the_plan)

    @command
    def receive_funds(
        self, *, plan: str, partner: str, amount: int, currency: str
    ) -> CommandResult:
        """Record money received against a partner's outstanding pledge."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        the_plan.receive(partner_id=org.id, partner_slug=org.slug, amount=amount, currency=currency)
        return self._commit("plan", the_plan)

    @command
    def disburse_funds(
        self, *, plan: str, partner: str, amount: int, currency: str
    ) -> CommandResult:
        """Pay from the pool to an active member partner."""
        the_plan = self.load("plan", plan, ResponsePlan)
        org = self.load("partner", partner, Partner)
        org.require_active("receive a disbursement")
        the_plan.disburse(
            partner_id=org.id, partner_slug=org.slug, amount=amount, currency=currency
        )
        return self._commit("plan", the_plan)

    @command
    def split_pool(self, *, plan: str, currency: str) -> CommandResult:
        """Share the undisbursed pool equally among the active member NGOs."""
        the_plan = self.load("plan", plan, ResponsePlan)
        ngos = [
            partner_id
            for partner_id, member in the_plan.members.items()
            if member.kind == "ngo" and self.by_id(partner_id).active
        ]
        the_plan.split_pool(currency=currency, ngo_members=ngos)
        return self._commit("plan", the_plan)

    def by_id(self, aggregate_id: UUID) -> Any:
        """The aggregate of this id (from the batch first)."""
        uow = self._uow
        if uow is not None:
            found = uow.get(aggregate_id)
            if found is not None:
                return found
        aggregate: Any = self.repository.get(aggregate_id)
        if uow is not None:
            uow.keep(aggregate)
        return aggregate

    @command
    def activate_plan(self, *, plan: str) -> CommandResult:
        """Activate a drafted plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.activate()
        return self._commit("plan", the_plan)

    @command
    def stand_down_plan(self, *, plan: str, reason: str = "") -> CommandResult:
        """Start standing down an activated plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.stand_down(reason=reason)
        return self._commit("plan", the_plan)

    @command
    def close_plan(self, *, plan: str, reason: str = "") -> CommandResult:
        """Close a plan (from drafted, activated or standing down)."""
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.close(reason=reason)
        return self._commit("plan", the_plan)

    @command
    def commit_stockpile(self, *, plan: str, stockpile: str) -> CommandResult:
        """Commit a stockpile's supplies to a plan."""
        the_plan = self.load("plan", plan, ResponsePlan)
        depot = self.load("stockpile", stockpile, Stockpile)
        the_plan.commit_stockpile(stockpile_id=depot.id, stockpile_slug=depot.slug)
        return self._commit("plan", the_plan)

    @command
    def withdraw_stockpile(self, *, plan: str, stockpile: str) -> CommandResult:
        """Withdraw a stockpile from a plan it is committed to."""
        the_plan = self.load("plan", plan, ResponsePlan)
        depot = self.load("stockpile", stockpile, Stockpile)
        the_plan.withdraw_stockpile(stockpile_id=depot.id, stockpile_slug=depot.slug)
        return self._commit("plan", the_plan)

    # -- stockpiles ----------------------------------------------------------------------------

    @command
    def open_stockpile(self, *, stockpile: str, partner: str, location: str) -> CommandResult:
        """Open a depot held by an active partner."""
        stockpile_id = self._require_new("stockpile", stockpile)
        org = self.load("partner", partner, Partner)
        org.require_active("open a stockpile")
        new = Stockpile.open(id=stockpile_id, slug=stockpile, partner_id=org.id, location=location)
        return self._commit("stockpile", new)

    @command
    def receive_supplies(
        self, *, stockpile: str, item: str, quantity: int, source: str | None = None
    ) -> CommandResult:
        """Take supplies into a stockpile, optionally from a source partner."""
        depot = self.load("stockpile", stockpile, Stockpile)
        source_id = None if source is None else self.load("partner", source, Partner).id
        depot.receive(item=item, quantity=quantity, source_id=source_id)
        return self._commit("stockpile", depot)

    @command
    def reserve_supplies(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Set free stock aside for an open camp."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("have supplies reserved for it")
        depot.reserve(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        return self._commit("stockpile", depot)

    @command
    def release_reservation(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Give back (part of) a camp's reservation."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        depot.release(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        return self._commit("stockpile", depot)

    @command
    def dispatch_supplies(
        self, *, stockpile: str, camp: str, item: str, quantity: int
    ) -> CommandResult:
        """Move supplies from a stockpile into an open camp's stock, atomically."""
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("receive supplies")
        depot.dispatch(camp_id=site.id, camp_slug=site.slug, item=item, quantity=quantity)
        site.receive_delivery(stockpile_id=depot.id, item=item, quantity=quantity)
        return self._commit("stockpile", depot, site)

    @command
    def write_off_supplies(
        self, *, stockpile: str, item: str, quantity: int, reason: str
    ) -> CommandResult:
        """Remove expired, damaged or lost free stock."""
        depot = self.load("stockpile", stockpile, Stockpile)
        depot.write_off(item=item, quantity=quantity, reason=reason)
        return self._commit("stockpile", depot)

    # -- camps ---------------------------------------------------------------------------------

    @command
    def establish_camp(
        self,
        *,
        camp: str,
        plan: str,
        location: str,
        site_area_m2: float,
        shelter_capacity: int,
        name: str | None = None,
        kind: str | None = None,
        adm1: str | None = None,
        adm2: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> CommandResult:
        """Set up a camp under an open plan, with its site details if given."""
        camp_id = self._require_new("camp", camp)
        the_plan = self.load("plan", plan, ResponsePlan)
        the_plan.require_open("establish a camp")
        new = Camp.establish(
            id=camp_id,
            slug=camp,
            plan_id=the_plan.id,
            location=location,
            site_area_m2=site_area_m2,
            shelter_capacity=shelter_capacity,
            site=Site(
                name=name,
                kind=kind,
                adm1=adm1,
                adm2=adm2,
                lat=None if lat is None else float(lat),
                lon=None if lon is None else float(lon),
            ),
        )
        return self._commit("camp", new)

    @command
    def assign_sector(
        self, *, camp: str, sector: str, partner: str, co_leads: list[str] | None = None
    ) -> CommandResult:
        """Give a sector without a lead to an eligible partner (and eligible co-leads)."""
        site, org = self._eligible_lead(camp, sector, partner)
        others = [self._eligible_lead(camp, sector, slug)[1].id for slug in co_leads or []]
        site.assign_sector(
            sector=sector, partner_id=org.id, partner_slug=org.slug, co_lead_ids=others
        )
        return self._commit("camp", site)

    @command
    def reassign_sector(
        self, *, camp: str, sector: str, partner: str, co_leads: list[str] | None = None
    ) -> CommandResult:
        """Hand a sector's lead over to another eligible partner (co-leads are given anew)."""
        site, org = self._eligible_lead(camp, sector, partner)
        others = [self._eligible_lead(camp, sector, slug)[1].id for slug in co_leads or []]
        site.reassign_sector(
            sector=sector, partner_id=org.id, partner_slug=org.slug, co_lead_ids=others
        )
        return self._commit("camp", site)

    def _eligible_lead(self, camp: str, sector: str, partner: str) -> tuple[Camp, Partner]:
        site = self.load("camp", camp, Camp)
        org = self.load("partner", partner, Partner)
        site.require_open("change sector leads")
        org.require_active(f"lead {sector}")
        if not org.can_lead(sector):
            raise SectorError(
                f"partner '{org.slug}' did not declare sector {sector} "
                f"(it declared {', '.join(org.sectors or [])})",
                rule="a partner leads only sectors it declared",
                field="sector",
            )
        the_plan: ResponsePlan = self.by_id(site.plan_id)
        if not the_plan.is_member(org.id):
            raise MembershipError(
                f"partner '{org.slug}' is not a member of plan '{the_plan.slug}' "
                f"that camp '{site.slug}' belongs to; it must join the plan first",
                rule="a lead must be an active member of the camp's plan",
                field="partner",
            )
        return site, org

    @command
    def release_sector(self, *, camp: str, sector: str) -> CommandResult:
        """Leave a sector without a lead."""
        site = self.load("camp", camp, Camp)
        site.release_sector(sector=sector)
        return self._commit("camp", site)

    @command
    def register_arrivals(self, *, camp: str, people: int, **groups: int) -> CommandResult:
        """Register people arriving in a camp."""
        site = self.load("camp", camp, Camp)
        site.register_arrivals(people=people, **groups)
        return self._commit("camp", site)

    @command
    def register_departures(self, *, camp: str, people: int, **groups: int) -> CommandResult:
        """Register people leaving a camp."""
        site = self.load("camp", camp, Camp)
        site.register_departures(people=people, **groups)
        return self._commit("camp", site)

    @command
    def distribute_supplies(self, *, camp: str, item: str, quantity: int) -> CommandResult:
        """Hand camp stock out to residents."""
        site = self.load("camp", camp, Camp)
        site.distribute(item=item, quantity=quantity)
        return self._commit("camp", site)

    @command
    def build_facilities(self, *, camp: str, facility: str, count: int) -> CommandResult:
        """Record facilities built in a camp."""
        site = self.load("camp", camp, Camp)
        site.build_facilities(facility=facility, count=count)
        return self._commit("camp", site)

    @command
    def close_camp(self, *, camp: str) -> CommandResult:
        """Close a camp."""
        site = self.load("camp", camp, Camp)
        site.close()
        return self._commit("camp", site)

    # -- shipments -----------------------------------------------------------------------------

    @command
    def send_shipment(
        self,
        *,
        shipment: str,
        stockpile: str,
        camp: str,
        item: str,
        quantity: int,
        eta: str | None = None,
    ) -> CommandResult:
        """Send supplies on the road to an open camp: they leave the stockpile now."""
        shipment_id = self._require_new("shipment", shipment)
        depot = self.load("stockpile", stockpile, Stockpile)
        site = self.load("camp", camp, Camp)
        site.require_open("have a shipment sent to it")
        new = Shipment.send(
            id=shipment_id,
            slug=shipment,
            stockpile_id=depot.id,
            camp_id=site.id,
            item=item,
            quantity=quantity,
            eta=eta,
            now=clock.now(),
        )
        depot.ship(
            shipment_id=shipment_id,
            camp_id=site.id,
            camp_slug=site.slug,
            item=item,
            quantity=quantity,
        )
        return self._commit("shipment", new, depot)

    @command
    def deliver_shipment(self, *, shipment: str, quantity: int | None = None) -> CommandResult:
        """A shipment arrives (all of it, or `quantity`; the rest counts as lost on the way)."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.require_in_transit("deliver it")
        site: Camp = self.by_id(cargo.camp_id)
        received = cargo.deliver(quantity=quantity)
        site.receive_shipment(
            shipment_id=cargo.id,
            stockpile_id=cargo.stockpile_id,
            item=cargo.item,
            quantity=received,
        )
        return self._commit("shipment", cargo, site)

    @command
    def lose_shipment(self, *, shipment: str, reason: str) -> CommandResult:
        """Nothing of a shipment arrives."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.lose(reason=reason)
        return self._commit("shipment", cargo)

    @command
    def return_shipment(self, *, shipment: str) -> CommandResult:
        """A shipment goes back, whole, on hand in its stockpile."""
        cargo = self.load("shipment", shipment, Shipment)
        cargo.send_back()
        depot: Stockpile = self.by_id(cargo.stockpile_id)
        depot.take_back(shipment_id=cargo.id, item=cargo.item, quantity=cargo.quantity)
        return self._commit("shipment", cargo, depot)

    # -- donor offers --------------------------------------------------------------------------

    @command
    def offer_supplies(
        self,
        *,
        offer: str,
        partner: str,
        item: str,
        quantity: int,
        plan: str | None = None,
        expires: str | None = None,
    ) -> CommandResult:
        """Record a registered, active partner's offer of goods (for one plan's camps, if named)."""
        offer_id = self._require_new("offer", offer)
        donor = self.load("partner", partner, Partner)
        donor.require_active("make offers")
        plan_id = None
        if plan is not None:
            the_plan = self.load("plan", plan, ResponsePlan)
            the_plan.require_open("receive an offer")
            plan_id = the_plan.id
        new = Offer.make(
            id=offer_id,
            slug=offer,
            partner_id=donor.id,
            item=item,
            quantity=quantity,
            plan_id=plan_id,
            expires=expires,
            now=clock.now(),
        )
        return self._commit("offer", new)

    @command
    def accept_offer(self, *, offer: str, camp: str, quantity: int) -> CommandResult:
        """Accept part of an open offer for an open camp (of the offer's plan, if it names one)."""
        gift = self.load("offer", offer, Offer)
        site = self.load("camp", camp, Camp)
        site.require_open("accept an offer for it")
        if gift.plan_id is not None and gift.plan_id != site.plan_id:
            the_plan: ResponsePlan = self.by_id(gift.plan_id)
            raise MembershipError(
                f"offer '{gift.slug}' is for plan '{the_plan.slug}'; camp '{site.slug}' "
                "belongs to another plan",
                rule="an offer for a plan goes to that plan's camps",
                field="camp",
            )
        gift.accept(camp_id=site.id, camp_slug=site.slug, quantity=quantity, now=clock.now())
        return self._commit("offer", gift)

    @command
    def decline_offer(self, *, offer: str, reason: str) -> CommandResult:
        """Decline all that remains of an offer."""
        gift = self.load("offer", offer, Offer)
        gift.decline(reason=reason, now=clock.now())
        return self._commit("offer", gift)

    @command
    def deliver_offer(self, *, offer: str, camp: str, quantity: int) -> CommandResult:
        """The donor delivers accepted goods into an open camp's stock."""
        gift = self.load("offer", offer, Offer)
        site = self.load("camp", camp, Camp)
        site.require_open("receive a donor's delivery")
        gift.deliver(camp_id=site.id, camp_slug=site.slug, quantity=quantity)
        site.receive_offer(
            offer_id=gift.id, partner_id=gift.partner_id, item=gift.item, quantity=quantity
        )
        return self._commit("offer", gift, site)

    @command
    def withdraw_offer(self, *, offer: str, reason: str = "") -> CommandResult:
        """The donor withdraws an offer: what remains and what is undelivered are cancelled."""
        gift = self.load("offer", offer, Offer)
        gift.withdraw(reason=reason, now=clock.now())
        return self._commit("offer", gift)


__all__ = ["AGGREGATE_CLASSES", "CommandResult", "PlannerService", "StatusError"]
