"""The `simulate:` section of a scenario: `validate_simulate` reads it into a `SimulationSpec`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from planner.scenario import Scenario, ScenarioError, key_line, load_yaml, shown
from planner.simulation.kinds import registered
from planner.simulation.reader import SpecReader
from planner.simulation.requirements import Requirement, read_requirements
from planner.simulation.shock import ShockSpace

SIMULATE_KEYS: Final = ("shocks", "require")


@dataclass(frozen=True)
class SimulationSpec:
    """A validated `simulate:` section: each enabled shock kind's parameters, the requirements.

    A kind's parameters also read as an attribute named after it (`spec.arrival_surge`, None
    when the section does not enable it).
    """

    shocks: Mapping[str, object] = field(default_factory=dict)
    requirements: tuple[Requirement, ...] = ()

    def params(self, kind: str) -> object | None:
        """The parameters of one shock kind, or None if the section does not enable it."""
        return self.shocks.get(kind)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and any(kind.name == name for kind in registered()):
            return self.shocks.get(name)
        raise AttributeError(name)

    @property
    def shock_kinds(self) -> tuple[str, ...]:
        """The shock kinds the section enables, in registry order."""
        return tuple(kind.name for kind in registered() if kind.name in self.shocks)


def shock_kind_names() -> tuple[str, ...]:
    """The `simulate.shocks` keys, in registry order."""
    return tuple(kind.name for kind in registered())


def validate_simulate(scenario: Scenario, text: str | None = None) -> SimulationSpec | None:
    """Validate a scenario's `simulate:` section; return it parsed (None if there is none).

    Errors are ScenarioErrors naming the file and the line. `text` is the file's text (for line
    numbers); without it the file at `scenario.path` is read again, and if that fails the
    section is validated without line numbers.
    """
    if scenario.simulate is None:
        return None
    raw, line = _section_with_lines(scenario, text)
    return read_section(SpecReader(scenario, line), raw)


def _section_with_lines(scenario: Scenario, text: str | None) -> tuple[object, int | None]:
    """The raw section as parsed with line numbers (if the text is at hand) and its line."""
    if text is None:
        try:
            text = Path(scenario.path).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
    if text is not None:
        try:
            top = load_yaml(text, scenario.path)
        except ScenarioError:
            top = None
        if isinstance(top, dict) and isinstance(top.get("simulate"), dict):
            return top["simulate"], key_line(top, "simulate")
    return scenario.simulate, None


def read_section(reader: SpecReader, raw: object) -> SimulationSpec:
    """Validate one raw `simulate:` mapping against its scenario."""
    if not isinstance(raw, dict):
        raise reader.error(f"'simulate' must be a mapping with {', '.join(SIMULATE_KEYS)}")
    reader.keys(raw, SIMULATE_KEYS, "simulate", reader.line)
    if "shocks" not in raw:
        raise reader.error("'simulate' has no 'shocks' (the perturbations to explore)")
    shocks = raw["shocks"]
    shocks_line = key_line(raw, "shocks") or reader.line
    names = shock_kind_names()
    if not isinstance(shocks, dict) or not shocks:
        raise reader.error(
            f"'simulate.shocks' must be a mapping naming one or more of "
            f"{', '.join(names)}; got {shown(shocks)}",
            shocks_line,
        )
    reader.keys(shocks, names, "simulate.shocks", shocks_line)
    parsed = _read_shocks(reader, shocks, shocks_line)
    requirements = read_requirements(reader, raw.get("require"), key_line(raw, "require"))
    spec = SimulationSpec(parsed, requirements)
    _refuse_empty_kinds(reader, spec, shocks, shocks_line)
    return spec


def _read_shocks(
    reader: SpecReader, shocks: Mapping[object, object], line: int | None
) -> dict[str, object]:
    """Each enabled kind's parameters, read by the kind, in registry order."""
    parsed: dict[str, object] = {}
    for kind in registered():
        if kind.name not in shocks:
            continue
        here = key_line(shocks, kind.name) or line
        body = shocks[kind.name]
        what = f"simulate.shocks.{kind.name}"
        if not isinstance(body, dict):
            raise reader.error(
                f"'{what}' must be a mapping with {', '.join(kind.keys)}; got {shown(body)}", here
            )
        reader.keys(body, kind.keys, what, here)
        parsed[kind.name] = kind.read(body, reader, here)
    return parsed


def _refuse_empty_kinds(
    reader: SpecReader, spec: SimulationSpec, shocks: Mapping[object, object], line: int | None
) -> None:
    space = ShockSpace.of(reader.scenario, spec)
    for kind, part in space.parts:
        if kind.name in spec.shocks and kind.is_empty(part):
            raise reader.error(
                f"'simulate.shocks.{kind.name}' finds nothing to perturb: {kind.empty_reason}",
                key_line(shocks, kind.name) or line,
            )
