"""Validating a parsed scenario mapping, in file order, into a Scenario."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from domain.catalog import DEFAULT_PROFILE, STANDARD_KEYS
from domain.commands import CommandSpec
from domain.site import AREA_LEVELS
from planner.scenario_fields import (
    Where,
    check_entity,
    check_expectations,
    check_order,
    command_arguments,
    command_spec,
    override_value,
    reject_unknown_keys,
    standards_profile,
    time_field,
    times_resolved,
)
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
    parse_timestamp,
    plain_value,
    shown,
    suggestion,
)
from planner.scenario_yaml import item_line, key_line

_CHECK_FORM: Final = "|".join(CHECK_ENTITIES)


_SCENARIO_SLUG: Final = re.compile(r"[a-z0-9-]+")


_Created = dict[str, dict[str, tuple[int, datetime]]]


class ScenarioBuilder:
    """Validates one parsed scenario mapping, step by step, and builds the Scenario."""

    def __init__(self, path: str, top: Mapping[object, object]) -> None:
        self.path = path
        self.top = top
        self.created: _Created = {}

    def at_key(self, key: str) -> Where:
        """The place of a top-level key."""
        return Where(self.path, line=key_line(self.top, key))

    def build(self) -> Scenario:
        """Validate everything, in file order, and return the Scenario."""
        self._check_top_keys()
        slug, title, description = self._slug(), self._title(), self._description()
        sources, start, standards = self._sources(), self._start(), self._standards()
        steps = self._steps(start)
        return Scenario(
            path=self.path,
            slug=slug,
            title=title,
            description=description,
            sources=sources,
            start=start,
            standards=standards,
            steps=steps,
            checks=self._checks(start),
            simulate=self._simulate(),
        )

    # -- top level ---------------------------------------------------------------------------

    def _check_top_keys(self) -> None:
        for key in self.top:
            if key not in TOP_LEVEL_KEYS:
                raise Where(self.path, line=key_line(self.top, key)).error(
                    f"unknown top-level key {key!r}{suggestion(key, TOP_LEVEL_KEYS)}; "
                    f"allowed: {', '.join(TOP_LEVEL_KEYS)}"
                )
        for key in REQUIRED_KEYS:
            if key not in self.top:
                raise ScenarioError(self.path, f"missing required key {key!r}")

    def _slug(self) -> str:
        value = self.top["scenario"]
        if not isinstance(value, str) or not _SCENARIO_SLUG.fullmatch(value):
            raise self.at_key("scenario").error(
                f"'scenario' must be a slug of lowercase letters, digits and '-'; "
                f"got {shown(value)}"
            )
        return value

    def _title(self) -> str:
        value = self.top["title"]
        if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
            raise self.at_key("title").error(
                f"'title' must be a non-empty one-line string; got {shown(value)}"
            )
        return value.strip()

    def _description(self) -> str:
        value = self.top.get("description")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.at_key("description").error(
                f"'description' must be a string; got {shown(value)}"
            )
        return value

    def _sources(self) -> tuple[str, ...]:
        value = self.top.get("sources")
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.at_key("sources").error(
                f"'sources' must be a list of strings; got {shown(value)}"
            )
        for index, item in enumerate(value):
            if not isinstance(item, str):
                line = item_line(value, index, item) or key_line(self.top, "sources")
                raise Where(self.path, line=line).error(
                    f"'sources' must be a list of strings; item {index + 1} is {shown(item)}"
                )
        return tuple(value)

    def _start(self) -> datetime:
        value = self.top["start"]
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise self.at_key("start").error(
                f"'start' must be an ISO 8601 timestamp with offset: {exc}"
            ) from None

    def _simulate(self) -> dict[str, object] | None:
        value = self.top.get("simulate")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.at_key("simulate").error(f"'simulate' must be a mapping; got {shown(value)}")
        result: dict[str, object] = plain_value(value)
        return result

    # -- standards ---------------------------------------------------------------------------

    def _standards(self) -> Standards:
        value = self.top.get("standards")
        where = self.at_key("standards")
        if value is None:
            return Standards(DEFAULT_PROFILE, {})
        if isinstance(value, str):
            return Standards(standards_profile(value, where), {})
        if not isinstance(value, dict):
            raise where.error(
                "'standards' must be a profile name or a mapping {profile: NAME, overrides: "
                f"{{KEY: NUMBER}}}}; got {shown(value)}"
            )
        for key in value:
            if key not in STANDARDS_KEYS:
                raise Where(self.path, line=key_line(value, key) or where.line).error(
                    f"unknown key {key!r} in 'standards'{suggestion(key, STANDARDS_KEYS)}; "
                    f"allowed: {', '.join(STANDARDS_KEYS)}"
                )
        profile = standards_profile(value.get("profile", DEFAULT_PROFILE), where)
        return Standards(profile, self._overrides(value.get("overrides"), where))

    def _overrides(self, value: object, where: Where) -> dict[str, float]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise where.error(
                f"'standards.overrides' must be a mapping {{KEY: NUMBER}}; got {shown(value)}"
            )
        overrides: dict[str, float] = {}
        for key, number in value.items():
            here = Where(self.path, line=key_line(value, key) or where.line)
            if key not in STANDARD_KEYS:
                raise here.error(
                    f"unknown standards override {key!r}{suggestion(key, STANDARD_KEYS)}; "
                    f"known: {', '.join(STANDARD_KEYS)}"
                )
            overrides[key] = override_value(key, number, here)
        return overrides

    # -- steps -------------------------------------------------------------------------------

    def _steps(self, start: datetime) -> tuple[Step, ...]:
        raw = self.top["steps"]
        if not isinstance(raw, list) or not raw:
            raise self.at_key("steps").error(
                f"'steps' must be a non-empty list of steps {{at, do, with}}; got {shown(raw)}"
            )
        steps: list[Step] = []
        for index, entry in enumerate(raw):
            where = Where(self.path, line=item_line(raw, index, entry), step=index + 1)
            previous = steps[-1] if steps else None
            steps.append(self._step(entry, where, start, previous))
            raw[index] = None  # the parsed entry is no longer needed: keep peak memory low
        return tuple(steps)

    def _step(self, entry: object, where: Where, start: datetime, previous: Step | None) -> Step:
        if not isinstance(entry, dict):
            raise where.error(f"a step must be a mapping {{at, do, with}}; got {shown(entry)}")
        reject_unknown_keys(entry, STEP_KEYS, "step", where)
        for key, meaning in (("at", "the time"), ("do", "the command")):
            if key not in entry:
                raise where.error(f"the step has no {key!r} ({meaning})")
        at = time_field(entry["at"], start, where)
        check_order(at, start, previous, where)
        spec = command_spec(entry["do"], where)
        args = command_arguments(spec, times_resolved(spec, entry.get("with"), start, where), where)
        self._track_slugs(spec, args, at, where)
        assert where.step is not None and where.line is not None
        return Step(where.step, where.line, at, spec.name, args)

    def _track_slugs(
        self, spec: CommandSpec, args: Mapping[str, Any], at: datetime, where: Where
    ) -> None:
        slug_args = [a for a in spec.args if a.type == "slug" and a.name in args]
        for arg in slug_args:
            if not arg.creates:
                self._require_slug(str(arg.entity), args[arg.name], where)
        for arg in spec.args:
            if arg.type == "slugs" and arg.name in args:
                for slug in args[arg.name]:
                    self._require_slug(str(arg.entity), slug, where)
        for arg in slug_args:
            if arg.creates:
                self._create_slug(str(arg.entity), args[arg.name], at, where)
        if spec.name == "establish_camp":
            self._create_areas(args, at, where)

    def _create_areas(self, args: Mapping[str, Any], at: datetime, where: Where) -> None:
        """The first camp to carry an area code brings the area into being."""
        for level in AREA_LEVELS:
            if level in args:
                assert where.step is not None
                self.created.setdefault(level, {}).setdefault(args[level], (where.step, at))

    def _require_slug(self, kind: str, slug: str, where: Where) -> None:
        known = self.created.get(kind, {})
        if slug not in known:
            raise where.error(
                f"unknown {kind} {slug!r}{suggestion(slug, known)}: no earlier step creates it"
            )

    def _create_slug(self, kind: str, slug: str, at: datetime, where: Where) -> None:
        known = self.created.setdefault(kind, {})
        if slug in known:
            raise where.error(
                f"{kind} {slug!r} already exists (step {known[slug][0]} created it); "
                f"slugs are unique per kind"
            )
        assert where.step is not None
        known[slug] = (where.step, at)

    # -- checks ------------------------------------------------------------------------------

    def _checks(self, start: datetime) -> tuple[Check, ...]:
        raw = self.top.get("checks")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.at_key("checks").error(
                f"'checks' must be a list of checks {{at, {_CHECK_FORM}, expect}}; got {shown(raw)}"
            )
        return tuple(
            self._check(entry, Where(self.path, line=item_line(raw, i, entry), check=i + 1), start)
            for i, entry in enumerate(raw)
        )

    def _check(self, entry: object, where: Where, start: datetime) -> Check:
        if not isinstance(entry, dict):
            raise where.error(
                f"a check must be a mapping {{at, {_CHECK_FORM}, expect}}; got {shown(entry)}"
            )
        reject_unknown_keys(entry, CHECK_KEYS, "check", where)
        if "at" not in entry:
            raise where.error("the check has no 'at' (the time)")
        at = time_field(entry["at"], start, where)
        kind = check_entity(entry, where)
        slug = entry[kind]
        if kind in AREA_LEVELS:
            self._require_area_at(kind, slug, at, where)
        else:
            self._require_slug_at(kind, slug, at, where)
        if "expect" not in entry:
            raise where.error("the check has no 'expect' (the expected field values)")
        expect = check_expectations(entry["expect"], where)
        for name in CHECK_TIME_FIELDS.get(kind, ()):
            if expect.get(name) is not None:
                expect[name] = format_time(time_field(expect[name], start, where, name))
        assert where.check is not None and where.line is not None
        return Check(where.check, where.line, at, kind, slug, expect)

    def _require_slug_at(self, kind: str, slug: object, at: datetime, where: Where) -> None:
        if not isinstance(slug, str) or not slug:
            raise where.error(f"{kind!r} must be a {kind} slug; got {shown(slug)}")
        known = self.created.get(kind, {})
        if slug not in known:
            raise where.error(
                f"unknown {kind} {slug!r}{suggestion(slug, known)}: no step creates it"
            )
        step, created_at = known[slug]
        if created_at > at:
            raise where.error(
                f"{kind} {slug!r} does not exist yet at {format_time(at)} "
                f"(step {step} creates it at {format_time(created_at)})"
            )

    def _require_area_at(self, level: str, code: object, at: datetime, where: Where) -> None:
        if not isinstance(code, str) or not code:
            hint = f" (quote codes that look like numbers: {level}: '04202')" if code else ""
            raise where.error(f"{level!r} must be an area code string; got {shown(code)}{hint}")
        known = self.created.get(level, {})
        if code not in known:
            raise where.error(
                f"unknown area {level} {code!r}{suggestion(code, known)}: "
                f"no camp is established with {level}: {code}"
            )
        step, created_at = known[code]
        if created_at > at:
            raise where.error(
                f"unknown area {level} {code!r} at {format_time(at)}: no camp carries it yet "
                f"(step {step} establishes the first at {format_time(created_at)})"
            )
