"""Property-based simulation runs: stress-test a scenario's plan and find the smallest shock
that breaks it (see docs/simulation.md).

A scenario's `simulate:` section names the shocks to explore and the requirements the plan must
keep. The package, one module per concern:

- `spec` reads and validates the section (`validate_simulate`) with `reader`'s validators and
  `requirements`; errors name file and line;
- `kind` is what a kind of shock declares, `kinds/` holds one module per kind and the registry;
- `shock` describes a concrete perturbation (`Shock`), its integer units, the space a section
  allows and the scenario's steps under a shock (`apply_shock`);
- `engine` replays perturbed steps through an in-memory PlannerService, folding events with the
  readiness fold in-process (`Simulator.run`); `watch` checks the requirements at their times,
  `invariants` the domain invariants after every step;
- `search` samples N seeded runs and, per requirement, finds and shrinks a failing shock
  (`simulate_scenario`);
- `words`, `reproduction` and `stats` say a minimal failing shock in words, as scenario YAML
  that `planner replay` reproduces, and correlate shocks with failures.

Same scenario, same seed: same results.
"""

from __future__ import annotations

from planner.simulation.engine import RunContext, Simulator
from planner.simulation.invariants import INVARIANTS, invariant_problems
from planner.simulation.kind import ShockKind
from planner.simulation.kinds import registered
from planner.simulation.kinds.arrival_surge import ArrivalSurge, Surge
from planner.simulation.kinds.delivery_delay import Delay, DeliveryDelay
from planner.simulation.kinds.funding_shortfall import FundingShortfall, Shortfall
from planner.simulation.kinds.partner_withdrawal import PartnerWithdrawal, Withdrawal
from planner.simulation.kinds.supply_loss import LOSS_COMMAND, Loss, SupplyLoss
from planner.simulation.reader import created_slugs
from planner.simulation.reproduction import fragment_yaml, reproduction_yaml, yaml_value
from planner.simulation.requirements import Requirement
from planner.simulation.results import Breach, CampStats, Refusal, RunResult
from planner.simulation.search import (
    Outcome,
    SimulationReport,
    greedy_shrink,
    search_budget,
    simulate_scenario,
)
from planner.simulation.shock import Shock, ShockSpace, Units, apply_shock
from planner.simulation.spec import SimulationSpec, validate_simulate
from planner.simulation.stats import correlation, correlations, refusal_shares, shock_features
from planner.simulation.times import duration_words, offset_text, when_text
from planner.simulation.words import minimal_in_words, shock_phrases, shocks_summary, wrap_words

__all__ = [
    "INVARIANTS",
    "LOSS_COMMAND",
    "ArrivalSurge",
    "Breach",
    "CampStats",
    "Delay",
    "DeliveryDelay",
    "FundingShortfall",
    "Loss",
    "Outcome",
    "PartnerWithdrawal",
    "Refusal",
    "Requirement",
    "RunContext",
    "RunResult",
    "Shock",
    "ShockKind",
    "ShockSpace",
    "Shortfall",
    "SimulationReport",
    "SimulationSpec",
    "Simulator",
    "SupplyLoss",
    "Surge",
    "Units",
    "Withdrawal",
    "apply_shock",
    "correlation",
    "correlations",
    "created_slugs",
    "duration_words",
    "fragment_yaml",
    "greedy_shrink",
    "invariant_problems",
    "minimal_in_words",
    "offset_text",
    "refusal_shares",
    "registered",
    "reproduction_yaml",
    "search_budget",
    "shock_features",
    "shock_phrases",
    "shocks_summary",
    "simulate_scenario",
    "validate_simulate",
    "when_text",
    "wrap_words",
    "yaml_value",
]
