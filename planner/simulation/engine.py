"""One simulation run: replay the scenario's steps under a shock through an in-memory
PlannerService, fold each command's events in-process (the service's observers hook), check the
requirements at their times and the domain invariants after every step. A step the domain
refuses is recorded and skipped."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from domain.base import entity_id, workspace_namespace
from domain.errors import PlannerError
from domain.service import PlannerService
from planner.replay import SimulatedClock
from planner.scenario import Scenario, Step
from planner.simulation.invariants import EVENT_KIND, invariant_problems
from planner.simulation.kinds import registered
from planner.simulation.reader import created_slugs
from planner.simulation.results import Breach, RunResult, step_label
from planner.simulation.shock import Shock, ShockSpace, apply_shock
from planner.simulation.spec import SimulationSpec
from planner.simulation.watch import Watch
from planner.wiring import new_service
from projections.readiness import ReadinessFold

Probe = tuple[datetime, str, str]


class Simulator:
    """Runs perturbed replays of one scenario; build it once, run it many times."""

    def __init__(self, scenario: Scenario, spec: SimulationSpec | None = None) -> None:
        self.scenario = scenario
        self.spec = spec if spec is not None else SimulationSpec()
        self.space = ShockSpace.of(scenario, self.spec)
        self.namespace = workspace_namespace(scenario.slug)
        created = created_slugs(scenario)
        self.ids: dict[tuple[str, str], str] = {
            (kind, slug): str(entity_id(kind, slug, self.namespace))
            for kind, slugs in created.items()
            for slug in slugs
        }
        self.camps = [(slug, self.ids[("camp", slug)]) for slug in created.get("camp", {})]
        self.standards = {
            "standards_profile": scenario.standards.profile,
            "standards_overrides": dict(scenario.standards.overrides),
        }
        requirements = self.spec.requirements
        self.windowed = sorted(
            (r for r in requirements if r.after is not None), key=lambda r: (r.after, r.number)
        )
        self.at_end = [r for r in requirements if r.after is None]

    def run(
        self,
        shock: Shock | None = None,
        *,
        stats: bool = False,
        probes: Sequence[Probe] = (),
        record: bool = False,
    ) -> RunResult:
        """Replay the scenario under a shock; `stats` collects camp statistics for reports,
        `probes` captures (time, kind, slug) views as of those times, `record` keeps the stored
        events as (originator id, version, topic, state) in `RunResult.stored`."""
        shock = shock if shock is not None else Shock()
        return RunContext(self, shock, stats, probes, record).execute()


class RunContext:
    """The state of one run while it executes (what a kind's `resolve` may look at)."""

    def __init__(
        self, sim: Simulator, shock: Shock, stats: bool, probes: Sequence[Probe], record: bool
    ) -> None:
        self.sim = sim
        self.start = sim.scenario.start
        self.record = record
        self.result = RunResult(shock)
        self.steps = apply_shock(sim.scenario, shock)
        self.fold = ReadinessFold()
        self.watch = Watch(self, stats, probes)
        self.pseudo = {k.pseudo_command: k for k in registered() if k.pseudo_command}
        self.sink: list[Any] = []

    def entity_id(self, kind: str, slug: str) -> str:
        """The id of an entity of the scenario, as the fold keys it."""
        return self.sim.ids[(kind, slug)]

    def skip(self, message: str) -> None:
        """Record a shock step that had nothing to do."""
        self.result.skipped.append(message)

    def execute(self) -> RunResult:
        """Run every step, evaluating requirements at their times; return the result."""
        clock = SimulatedClock(self.start)
        service = new_service(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"},
            namespace=self.sim.namespace,
            clock_fn=clock,
        )
        service.observers.append(self.sink.extend)
        stack = ExitStack()
        try:
            stack.enter_context(service.batch())
            stack = self._steps(service, clock, stack)
            end = self.steps[-1].at if self.steps else self.start
            self.watch.finish(end)
            stack.close()
            if self.record:
                self.result.stored = [
                    (n.originator_id, n.originator_version, n.topic, n.state)
                    for n in service.recorder.select_notifications(start=1, limit=10**9)
                ]
        finally:
            stack.close()
            service.close()
        return self.result

    def _steps(self, service: PlannerService, clock: SimulatedClock, stack: ExitStack) -> ExitStack:
        steps, index, total = self.steps, 0, len(self.steps)
        while index < total:
            moment = steps[index].at
            self.watch.before(moment)
            clock.now = moment
            while index < total and steps[index].at == moment:
                index += 1
                if not self._step(service, steps[index - 1]):
                    stack.close()  # drop the identity map: reload from the store
                    stack = ExitStack()
                    stack.enter_context(service.batch())
            self.watch.at_moment(moment)
        return stack

    def _step(self, service: PlannerService, step: Step) -> bool:
        """Run one step; False if the domain refused it (recorded in the timeline)."""
        concrete = self.resolve(step)
        if concrete is None:
            return True
        args = concrete.args
        if concrete.command == "draft_plan":
            args = {**args, **self.sim.standards}
        self.sink.clear()
        try:
            service.execute(concrete.command, args)
        except PlannerError as refusal:
            self.result.timeline.append((concrete, str(refusal)))
            return False
        self.result.timeline.append((concrete, None))
        self.fold_events(concrete)
        return True

    def resolve(self, step: Step) -> Step | None:
        """The command to run for a step: a kind's pseudo-step is decided by the kind now."""
        kind = self.pseudo.get(step.command)
        return step if kind is None else kind.resolve(step, self)

    def fold_events(self, step: Step) -> None:
        """Fold the step's events; check the invariants on the entities they touched."""
        fold = self.fold
        touched: set[tuple[str, str]] = set()
        for event in self.sink:
            oid = str(event.originator_id)
            name = type(event).__qualname__
            touched |= fold.apply(name, oid, event.timestamp, event.__dict__)
            kind = EVENT_KIND.get(name.split(".", 1)[0])
            if kind is not None:
                touched.add((kind, oid))
        self.result.events += len(self.sink)
        self.sink.clear()
        self.watch.forget()
        for problem in invariant_problems(fold, touched):
            self.result.invariants.append(Breach(step.at, f"{problem} after {step_label(step)}"))
