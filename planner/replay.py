"""Replay a scenario through the planner service in simulated time, then evaluate its checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.base import workspace_namespace
from domain.commands import COMMANDS
from domain.errors import PlannerError
from domain.site import AREA_LEVELS
from planner.area_report import area_summary
from planner.checks import CheckResult, compare, evaluate_check
from planner.report_shapes import EntitySummary, ReplayDoc, Snapshot
from planner.scenario import Scenario, ScenarioError, Step, format_time
from planner.wiring import Planner, open_planner
from projections.areas import area_view
from projections.follower import collector_paused
from projections.logistics import time_us
from projections.readiness import ReadinessFold
from projections.shapes import ViewDoc

BATCH_STEPS = 5000  # steps per transaction: each commit waits for the disk (fsync)


class SimulatedClock:
    """The replay's clock: it reads the time of the step being applied."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class ScenarioAlreadyReplayed(PlannerError):
    """The store already holds this scenario's events (all of them, or a part: `progress`)."""

    def __init__(self, message: str, progress: str = "") -> None:
        super().__init__(message)
        self.progress = progress


@dataclass
class ReplayReport:
    """What a replay did: steps applied, readiness at each check time, check results, error."""

    scenario: Scenario
    steps_applied: list[Step] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    error: ScenarioError | None = None
    events_stored: int = 0
    until: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when the replay ran to its end and every check passed."""
        return self.error is None and all(c.passed for c in self.checks)

    def as_dict(self) -> ReplayDoc:
        """JSON-ready form (the `--json` report)."""
        return {
            "scenario": self.scenario.slug,
            "title": self.scenario.title,
            "file": self.scenario.path,
            "ok": self.ok,
            "until": None if self.until is None else format_time(self.until),
            "steps_total": len(self.scenario.steps),
            "steps_applied": len(self.steps_applied),
            "events_stored": self.events_stored,
            "timeline": [
                {
                    "step": s.number,
                    "line": s.line,
                    "at": format_time(s.at),
                    "do": s.command,
                    "with": s.args,
                }
                for s in self.steps_applied
            ],
            "readiness": self.snapshots,
            "checks": [c.as_dict() for c in self.checks],
            "passed": sum(c.passed for c in self.checks),
            "failed": sum(not c.passed for c in self.checks),
            "error": None if self.error is None else str(self.error),
        }


def replay_scenario(
    scenario: Scenario,
    url: str | None = None,
    *,
    until: datetime | None = None,
    planner: Planner | None = None,
    materialize: bool = True,
) -> ReplayReport:
    """Replay a validated scenario into the store at `url` and evaluate its checks.

    Checks are evaluated as the replay passes their times, on the readiness views computed by
    the same fold the materialised views use; with `materialize` the store's views are then
    brought up to date too (a throw-away store can skip that). A domain refusal stops the replay
    at that step: the steps before it are stored, nothing after. Raises ScenarioAlreadyReplayed
    if the store already holds this scenario.
    """
    clock = SimulatedClock(scenario.start)
    own = planner is None
    if planner is None:
        planner = open_planner(url, namespace=workspace_namespace(scenario.slug), clock_fn=clock)
    else:
        planner.service.clock_fn = clock
    report = ReplayReport(scenario, until=until)
    evaluator = _CheckEvaluator(planner, scenario, report, until)
    planner.service.observers.append(evaluator.observe)
    try:
        _refuse_if_replayed(planner, scenario)
        before = planner.service.recorder.max_notification_id() or 0
        with collector_paused():
            _apply_steps(planner, scenario, clock, report, until, evaluator)
        report.events_stored = (planner.service.recorder.max_notification_id() or 0) - before
        if report.error is None:
            evaluator.finish()
        if materialize:
            planner.catch_up()
    finally:
        planner.service.observers.remove(evaluator.observe)
        if own:
            planner.close()
    return report


def _refuse_if_replayed(planner: Planner, scenario: Scenario) -> None:
    first = next(created_entities(scenario.steps), None)
    if first is None or not planner.service.exists(*first):
        return
    created = [(step, kind, slug) for step in scenario.steps for kind, slug in _created(step)]
    progress = replay_progress(planner, scenario, created)
    raise ScenarioAlreadyReplayed(
        f"{scenario.path}: the store {planner.url} already holds {progress}; use --reset to "
        "start afresh or --db to choose another store",
        progress,
    )


def replay_progress(
    planner: Planner, scenario: Scenario, created: list[tuple[Step, str, str]]
) -> str:
    """How much of a scenario the store holds: all of it, or how far a replay got.

    The events carry the simulated time of their step, so the latest time among the
    scenario's stored entities tells where an interrupted (or refused) replay stopped.
    """
    service = planner.service
    reached: datetime | None = None
    missing = 0
    for _, kind, slug in created:
        if not service.exists(kind, slug):
            missing += 1
            continue
        modified: datetime = service.repository.get(service.id_of(kind, slug)).modified_on
        reached = modified if reached is None else max(reached, modified)
    steps = scenario.steps
    upto = [s for s in steps if reached is not None and s.at <= reached]
    name = f"scenario '{scenario.slug}'"
    if not missing and len(upto) == len(steps):
        return f"{name} (all {len(steps):,} steps, up to {format_time(steps[-1].at)})"
    last = upto[-1] if upto else steps[0]
    return (
        f"only part of {name}: its events reach {format_time(last.at)}, as far as step "
        f"{last.number:,} of {len(steps):,} (line {last.line}); the rest was never stored "
        "(a replay stopped early: by --until, interrupted or refused)"
    )


def created_entities(steps: Iterable[Step]) -> Iterator[tuple[str, str]]:
    """(kind, slug) of every entity the steps create, in order."""
    creating = _CREATING_ARGS
    for step in steps:
        for kind, name in creating[step.command]:
            yield kind, step.args[name]


def _created(step: Step) -> list[tuple[str, str]]:
    return [(kind, step.args[name]) for kind, name in _CREATING_ARGS[step.command]]


_CREATING_ARGS = {
    spec.name: [(arg.entity, arg.name) for arg in spec.args if arg.creates and arg.entity]
    for spec in COMMANDS.values()
}


def _apply_steps(
    planner: Planner,
    scenario: Scenario,
    clock: SimulatedClock,
    report: ReplayReport,
    until: datetime | None,
    evaluator: _CheckEvaluator,
) -> None:
    service = planner.service
    before = evaluator.before
    steps = [s for s in scenario.steps if until is None or s.at <= until]
    # One identity map for the whole replay; events go to disk every BATCH_STEPS steps.
    with service.batch():
        # Each new slug would otherwise cost a read of the store (a fifth of the replay).
        service.known_absent(created_entities(steps))
        for index, step in enumerate(steps, start=1):
            before(step.at)
            clock.now = step.at
            try:
                service.execute(step.command, service_args(scenario, step))
            except PlannerError as refusal:
                report.error = ScenarioError(
                    scenario.path,
                    f"{step.command} refused: {refusal}",
                    step=step.number,
                    line=step.line,
                )
                return
            report.steps_applied.append(step)
            if index % BATCH_STEPS == 0:
                service.flush()
                evaluator.fold_pending()  # the batch's events are let go of once folded


def service_args(scenario: Scenario, step: Step) -> dict[str, Any]:
    """The service arguments of a step: a plan is drafted with the scenario's standards."""
    if step.command != "draft_plan":
        return step.args
    return {
        **step.args,
        "standards_profile": scenario.standards.profile,
        "standards_overrides": dict(scenario.standards.overrides),
    }


class _CheckEvaluator:
    """Folds the replay's events in-process and evaluates each check when the replay passes
    its time (after every step at or before it), with a readiness snapshot per check time.

    Each command's events are kept, and folded together when a check is due or the batch is
    stored: the same fold, in the same order, at a fraction of the per-command cost.
    """

    def __init__(
        self, planner: Planner, scenario: Scenario, report: ReplayReport, until: datetime | None
    ) -> None:
        self.fold = ReadinessFold()
        self.report = report
        # the entities a snapshot names: camps and plans, by the fold's ids
        self.ids: dict[str, dict[str, str]] = {"camp": {}, "plan": {}}
        for kind, slug in created_entities(scenario.steps):
            if kind in self.ids:
                self.ids[kind][str(planner.service.id_of(kind, slug))] = slug
        self.id_of = planner.service.id_of
        # str() of a UUID is slow: each entity's is made once, keyed by the UUID's int.
        self.names: dict[int, str] = {}
        self.pending: list[Any] = []
        pending = [c for c in scenario.checks if until is None or c.at <= until]
        self.times = sorted({c.at for c in pending})
        self.checks = {t: [c for c in pending if c.at == t] for t in self.times}

    def observe(self, events: list[Any]) -> None:
        """Keep one command's new events to fold; none after the last check (nothing would
        read them)."""
        if self.times:
            self.pending += events

    def fold_pending(self) -> None:
        """Fold the events kept so far, in order."""
        events, self.pending = self.pending, []
        if events:
            self.fold.fold_events(self._named(events))

    def _named(self, events: list[Any]) -> Iterator[tuple[str, str, datetime, Any]]:
        names = self.names
        for event in events:
            originator_id = event.originator_id
            name = names.get(originator_id.int)
            if name is None:
                name = names[originator_id.int] = str(originator_id)
            yield type(event).__qualname__, name, event.timestamp, event.__dict__

    def before(self, moment: datetime) -> None:
        """A step at `moment` is next: evaluate the checks due before it."""
        if self.times and self.times[0] < moment:
            self.fold_pending()
            while self.times and self.times[0] < moment:
                self._evaluate(self.times.pop(0))

    def finish(self) -> None:
        """The replay ended: evaluate the remaining checks."""
        self.fold_pending()
        while self.times:
            self._evaluate(self.times.pop(0))

    def _view(self, kind: str, entity_id: str, moment: datetime) -> ViewDoc | None:
        if entity_id not in self.fold.table_of(kind):
            return None
        return self.fold.view(kind, entity_id, time_us(moment))

    def _evaluate(self, moment: datetime) -> None:
        snapshot: dict[str, EntitySummary] = {}
        # camps first: plan views count camps by status
        at_us = time_us(moment)
        camp_views = {c: self.fold.view("camp", c, at_us) for c in self.fold.camps}
        for entity_id, slug in self.ids["camp"].items():
            if entity_id in camp_views:
                snapshot[f"camp {slug}"] = _summary("camp", camp_views[entity_id])
        for entity_id, slug in self.ids["plan"].items():
            view = self._view("plan", entity_id, moment)
            if view is not None:
                snapshot[f"plan {slug}"] = _summary("plan", view)
        camps = list(camp_views.values())
        entry: Snapshot = {"at": format_time(moment), "entities": snapshot}
        areas = area_summary(camps)
        if areas:  # only when some camp carries an area code
            entry["areas"] = areas
        self.report.snapshots.append(entry)
        for check in self.checks[moment]:
            if check.entity in AREA_LEVELS:
                view = area_view(check.entity, check.slug, camps)
                if not view["camp_list"]:
                    view = None  # no camp carries the code (yet)
            else:
                view = self._view(check.entity, str(self.id_of(check.entity, check.slug)), moment)
            self.report.checks.append(evaluate_check(check, view))


def _summary(kind: str, view: ViewDoc) -> EntitySummary:
    if kind == "camp":
        return {
            "status": view["status"],
            "population": view["population"],
            "uncovered_sectors": view["uncovered_sectors"],
            "days_of_cover": view["days_of_cover"],
            "gaps": view["gaps"],
        }
    return {
        "status": view["status"],
        "tripartite": view["tripartite"],
        "camps": view["camps"],
        "pool_balance": view["pool_balance"],
    }


__all__ = [
    "BATCH_STEPS",
    "CheckResult",
    "ReplayReport",
    "ScenarioAlreadyReplayed",
    "SimulatedClock",
    "compare",
    "evaluate_check",
    "replay_progress",
    "replay_scenario",
    "service_args",
]
