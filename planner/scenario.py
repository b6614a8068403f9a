"""Load and fully validate scenario files (see the scenario-format contract) without any store.

Everything a file can get wrong without asking the domain is caught here: YAML syntax, unknown or
missing keys, unknown commands, ill-typed arguments, times going backwards and unknown slugs.
Every error names the file, the step (or check) number and its line, and what is wrong.

The parts: planner/scenario_model.py (the validated data, errors, times), scenario_yaml.py (YAML
with lines), scenario_fields.py (one field's checks) and scenario_builder.py (the whole file).
"""

from __future__ import annotations

from pathlib import Path

from planner.scenario_builder import ScenarioBuilder
from planner.scenario_model import (
    CHECK_ENTITIES,
    CHECK_KEYS,
    CHECK_TIME_FIELDS,
    REQUIRED_KEYS,
    STANDARDS_KEYS,
    STEP_KEYS,
    TOP_LEVEL_KEYS,
    Check,
    Scenario,
    ScenarioError,
    Standards,
    Step,
    format_time,
    parse_offset,
    parse_offset_or_time,
    parse_timestamp,
    shown,
    suggestion,
)
from planner.scenario_yaml import (
    Seq,
    key_line,
    load_yaml,
)


def load_scenario(path: str | Path) -> Scenario:
    """Read a UTF-8 scenario file and validate it fully."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(name, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            name, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line=line
        ) from None
    return parse_scenario(text, name)


def parse_scenario(text: str, path: str = "<string>") -> Scenario:
    """Parse and validate scenario YAML text; `path` is only used in error messages."""
    top = _top_mapping(load_yaml(text, path), path)
    return ScenarioBuilder(path, top).build()


def _top_mapping(data: object, path: str) -> dict[object, object]:
    if data is None:
        raise ScenarioError(
            path, "the file is empty; a scenario is a mapping with scenario, title, start, steps"
        )
    if not isinstance(data, dict):
        line = data.line if isinstance(data, Seq) else None
        raise ScenarioError(
            path,
            f"the top level must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}; "
            f"got {shown(data)}",
            line=line,
        )
    return data


__all__ = [
    "CHECK_ENTITIES",
    "CHECK_KEYS",
    "CHECK_TIME_FIELDS",
    "REQUIRED_KEYS",
    "STANDARDS_KEYS",
    "STEP_KEYS",
    "TOP_LEVEL_KEYS",
    "Check",
    "Scenario",
    "ScenarioError",
    "Standards",
    "Step",
    "format_time",
    "key_line",
    "load_scenario",
    "load_yaml",
    "parse_offset",
    "parse_offset_or_time",
    "parse_scenario",
    "parse_timestamp",
    "shown",
    "suggestion",
]
