"""Typed shapes of the JSON report of `planner simulate` (see docs: "Simulation report")."""

from typing import NotRequired, TypedDict


class Seconds(TypedDict):
    """Where the time went."""

    total: float
    sampling: float
    search: float


class RefusedShare(TypedDict):
    """A step the domain refused in some of the sampled runs."""

    step: str
    runs: int
    share: float


class BreachDoc(TypedDict):
    """When and how a requirement broke (time as an offset from the start)."""

    at: str
    message: str


class RefusedStep(TypedDict):
    """A step refused in the minimal failing run (step None: a step a shock added)."""

    step: int | None
    do: str
    at: str
    message: str


class MinimalDoc(TypedDict):
    """A requirement's minimal failing shock: as JSON, in words, as YAML."""

    shock: dict[str, object]
    words: str
    breach: BreachDoc
    refused: list[RefusedStep]
    fragment: str
    scenario: str


class Correlation(TypedDict):
    """How one part of the shocks correlates with breaking a requirement."""

    part: str
    r: float


class OutcomeDoc(TypedDict):
    """One requirement (or the invariants: requirement None) across the runs."""

    requirement: int | None
    kind: str
    line: int | None
    text: str
    broken_runs: int
    runs: int
    share: float
    fails_without_shock: bool
    search: str
    search_runs: int
    budget_exhausted: bool
    minimal: MinimalDoc | None
    correlations: NotRequired[dict[str, float | None]]  # only with sampled runs
    top_correlations: NotRequired[list[Correlation]]


class CoverStats(TypedDict):
    """A camp's lowest days of cover of one item across the runs."""

    runs: int
    min: float
    median: float
    max: float


class CampBaseline(TypedDict):
    """A camp in the unshocked run."""

    worst_status: str | None
    final_status: str | None
    min_days_of_cover: dict[str, float]


class CampSummary(TypedDict):
    """A camp across the sampled runs: status counts, lowest days of cover."""

    worst_status: dict[str, int]  # status (or "empty") -> runs
    final_status: dict[str, int]
    baseline: CampBaseline | None
    min_days_of_cover: dict[str, CoverStats]


class SimulationDoc(TypedDict):
    """The JSON report of `planner simulate`."""

    scenario: str
    title: str
    file: str
    runs: int
    seed: int
    total_runs: int
    seconds: Seconds
    shocks: list[str]
    ok: bool
    requirements: list[OutcomeDoc]
    refused_steps: list[RefusedShare]
    camps: dict[str, CampSummary]
    report_files: NotRequired[list[str]]  # the CLI's: the HTML report and scenario files written
