"""The scenario use cases as the HTTP API calls them (`api.ports.ScenarioUseCases`).

The same functions serve `planner check` and `planner replay`: parse_scenario and
replay_scenario. The API replays only into a fresh in-memory store, never the main one.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from planner import scratch
from planner.replay import replay_scenario
from planner.report_shapes import ReplayDoc
from planner.scenario import Scenario, ScenarioError, parse_offset_or_time, parse_scenario


class ScenarioFiles:
    """Check a scenario file, or replay it in a scratch store and report."""

    error = ScenarioError

    def parse(self, text: str, name: str) -> Scenario:
        """Parse and validate scenario text; ScenarioError names the step and line."""
        return parse_scenario(text, name)

    def parse_until(self, text: str, start: datetime) -> datetime:
        """A stop time (+3d or ISO 8601) of a scenario starting at `start`; ValueError if bad."""
        return parse_offset_or_time(text, start)

    def replay(self, scenario: object, until: datetime | None) -> ReplayDoc:
        """Replay a scenario made by `parse` in a fresh in-memory store; its JSON report."""
        if not isinstance(scenario, Scenario):
            raise TypeError(f"not a parsed scenario: {type(scenario).__name__}")
        return replay_scenario(scenario, "memory:", until=until).as_dict()

    def submit_check(self, text: str, name: str) -> Future[scratch.Outcome]:
        """Check a scenario file in a low-priority worker process (planner.scratch)."""
        return scratch.submit_check(text, name)

    def submit_replay(self, text: str, name: str, until: str | None) -> Future[scratch.Outcome]:
        """Replay a scenario file in a worker process's fresh in-memory store."""
        return scratch.submit_replay(text, name, until)

    def warm_up(self) -> None:
        """Start the worker processes in the background."""
        scratch.warm_up()

    def forget_broken_pool(self) -> None:
        """Drop a worker pool whose worker died."""
        scratch.forget_broken_pool()


SCENARIO_FILES = ScenarioFiles()
