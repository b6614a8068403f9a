"""Import a site list (an HXL-tagged CSV, read with libhxl) as `establish_camp` and
`register_arrivals` commands, or as scenario steps.

Every row is checked before anything is stored; a file with any bad row stores nothing, and each
fault names its row, its column (number, spreadsheet letter and hashtag) and why. Columns are
found by their HXL hashtags, whatever their header text and order; other columns are ignored.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import hxl
import yaml

from domain.commands import COMMANDS, ArgumentError, check_arg
from domain.errors import ConcurrencyError
from domain.rights import Actor, RightsError, authorize
from domain.service import CommandsRefused, PlannerService
from domain.site import Site, SiteError

MAX_ERRORS_SHOWN: Final = 50

# field → the hashtags (tag + attributes, attributes in any order) that may carry it
COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "camp": ("#loc+code",),
    "name": ("#loc+name",),
    "kind": ("#loc+type",),
    "location": ("#loc",),
    "adm1": ("#adm1+code",),
    "adm1_name": ("#adm1+name",),
    "adm2": ("#adm2+code",),
    "adm2_name": ("#adm2+name",),
    "lat": ("#geo+lat",),
    "lon": ("#geo+lon",),
    "people": ("#affected+incamp", "#population", "#population+total", "#population+incamp"),
    "shelter_capacity": ("#capacity", "#capacity+shelter", "#capacity+people"),
    "site_area_m2": ("#loc+area", "#loc+area+m2"),
}
REQUIRED: Final = ("camp", "site_area_m2", "shelter_capacity")
_ESTABLISH_ARGS: Final = {arg.name: arg for arg in COMMANDS["establish_camp"].args}

# Site types as site lists spell them → the contract's kinds.
KIND_SYNONYMS: Final[Mapping[str, str]] = {
    "camp": "camp",
    "planned_camp": "camp",
    "informal_camp": "camp",
    "self_settled_camp": "camp",
    "spontaneous_camp": "camp",
    "collective_centre": "collective_centre",
    "evacuation_centre": "evacuation_centre",
    "evacuation_site": "evacuation_centre",
    "evacuation_shelter": "evacuation_centre",
    "shelter": "evacuation_centre",
    "host_community": "host_community",
    "host_family": "host_community",
    "host_families": "host_community",
    "transit_centre": "transit_centre",
    "transit_site": "transit_centre",
    "reception_centre": "transit_centre",
}


class SiteImportError(ValueError):
    """A site list that cannot be imported; `problems` lists every fault found (what, where)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(f"{source}: {p}" for p in shown)
        if more:
            text += f"\n{source}: … and {more} more"
        super().__init__(f"{text}\nnothing was imported")
        self.source = source
        self.problems = problems


@dataclass
class SiteRow:
    """One row of the list as commands: the camp to establish and the people in it."""

    row: int
    establish: dict[str, Any]
    people: int = 0

    def commands(self) -> list[tuple[str, dict[str, Any]]]:
        """Establish the site, then register the people in it (if any)."""
        found: list[tuple[str, dict[str, Any]]] = [("establish_camp", self.establish)]
        if self.people:
            found.append(
                ("register_arrivals", {"camp": self.establish["camp"], "people": self.people})
            )
        return found


@dataclass
class SiteList:
    """A validated site list."""

    source: str
    plan: str
    rows: list[SiteRow] = field(default_factory=list)

    @property
    def population(self) -> int:
        """People in every site of the list."""
        return sum(r.people for r in self.rows)

    def commands(self) -> list[tuple[str, dict[str, Any]]]:
        """The commands, in row order: each site's establishment, then its arrivals."""
        return [command for row in self.rows for command in row.commands()]


def _letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class _Column:
    index: int
    hashtag: str

    def where(self) -> str:
        return f"column {_letter(self.index)} ({self.hashtag})"


def _hashtag_key(text: str) -> tuple[str, frozenset[str]]:
    tag, *attributes = text.lower().split("+")
    return tag, frozenset(attributes)


_WANTED: Final = {
    _hashtag_key(hashtag): name for name, hashtags in COLUMNS.items() for hashtag in hashtags
}


def _columns(dataset: Any, problems: list[str]) -> dict[str, _Column]:
    found: dict[str, _Column] = {}
    for column in dataset.columns:
        if not column.tag:
            continue
        key = (column.tag.lower(), frozenset(a.lower() for a in column.attributes))
        name = _WANTED.get(key)
        if name is None:
            continue
        here = _Column(column.column_number, column.display_tag)
        if name in found:
            problems.append(
                f"{here.where()} and {found[name].where()} both give the {name}; keep one"
            )
            continue
        found[name] = here
    for name in REQUIRED:
        if name not in found:
            problems.append(f"no column for the {name}: tag one with {' or '.join(COLUMNS[name])}")
    return found


def read_site_list(data: bytes, plan: str, source: str = "<upload>") -> SiteList:
    """Read and check an HXL-tagged CSV site list for `plan`; raise SiteImportError if bad."""
    try:
        dataset = hxl.data(io.BytesIO(data), hxl.InputOptions(encoding="utf-8"))
        columns_problems: list[str] = []
        columns = _columns(dataset, columns_problems)
        if columns_problems:
            raise SiteImportError(source, columns_problems)
        raw_rows = [(row.source_row_number + 1, list(row.values)) for row in dataset]
    except SiteImportError:
        raise
    except Exception as error:  # libhxl reports a file it cannot read in many ways
        raise SiteImportError(source, [f"not a readable HXL-tagged CSV: {error}"]) from None
    problems: list[str] = []
    result = SiteList(source, plan)
    first_row: dict[str, int] = {}
    for number, values in raw_rows:
        row = _row(number, values, columns, plan, problems)
        if row is None:
            continue
        slug = row.establish["camp"]
        if slug in first_row:
            problems.append(
                f"row {number}, {columns['camp'].where()}: site code {slug!r} is already "
                f"used in row {first_row[slug]}; codes are unique"
            )
            continue
        first_row[slug] = number
        result.rows.append(row)
    if not result.rows and not problems:
        problems.append("the list has no site rows below its hashtag row")
    if problems:
        raise SiteImportError(source, problems)
    return result


def _row(
    number: int,
    values: list[Any],
    columns: Mapping[str, _Column],
    plan: str,
    problems: list[str],
) -> SiteRow | None:
    cells = {name: _cell(values, column.index) for name, column in columns.items()}
    if not any(cells.values()):
        return None  # a blank line
    before = len(problems)

    def fault(name: str, why: str) -> None:
        problems.append(f"row {number}, {columns[name].where()}: {why}")

    args: dict[str, Any] = {"plan": plan}
    for name, convert in _CONVERTERS.items():
        text = cells.get(name)
        if text is None:
            if name in REQUIRED:
                fault(name, f"the {name} is empty")
            continue
        try:
            value = convert(text)
            arg = _ESTABLISH_ARGS.get(name)
            args[name] = value if arg is None else check_arg(arg, value)
        except ArgumentError as error:  # the message shows the value
            fault(name, str(error))
        except ValueError as error:
            fault(name, f"{text!r}: {error}")
    people = args.pop("people", 0)
    args["location"] = (
        cells.get("location") or _place(cells) or cells.get("name") or args.get("camp")
    )
    for name in ("adm1_name", "adm2_name"):
        args.pop(name, None)
    if len(problems) > before:
        return None
    site = Site(**{k: args.get(k) for k in ("name", "kind", "adm1", "adm2", "lat", "lon")})
    try:
        site.validate()
    except SiteError as error:
        field = error.field or ""
        fault(field if field in columns else "adm2" if "adm2" in columns else "camp", str(error))
        return None
    return SiteRow(number, args, people)


def _cell(values: list[Any], index: int) -> str | None:
    value = values[index] if index < len(values) else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _place(cells: Mapping[str, str | None]) -> str | None:
    names = [cells.get("adm2_name"), cells.get("adm1_name")]
    return ", ".join(n for n in names if n) or None


def _whole(text: str) -> int:
    cleaned = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned.isdigit():
        raise ValueError("not a whole number of 0 or more")
    return int(cleaned)


def _decimal(text: str) -> float:
    if "," in text:
        raise ValueError("not a number (write decimals with a point: 39.64)")
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a number") from None


def _kind(text: str) -> str:
    key = text.strip().lower().replace("-", "_").replace(" ", "_").replace("center", "centre")
    if key in KIND_SYNONYMS:
        return KIND_SYNONYMS[key]
    known = ", ".join(sorted(set(KIND_SYNONYMS.values())))
    raise ValueError(f"unknown site type; known: {known} (and common spellings of them)")


def _text(text: str) -> str:
    return text


_CONVERTERS: Final = {
    "camp": _text,
    "name": _text,
    "kind": _kind,
    "adm1": _text,
    "adm2": _text,
    "adm1_name": _text,
    "adm2_name": _text,
    "lat": _decimal,
    "lon": _decimal,
    "people": _whole,
    "shelter_capacity": _whole,
    "site_area_m2": _decimal,
}


@dataclass(frozen=True)
class ImportResult:
    """What an import stored: sites established, people registered, the last event's position."""

    sites: int
    people: int
    position: int | None


def import_sites(
    service: PlannerService, sites: SiteList, actor: Actor | None = None
) -> ImportResult:
    """Store a checked site list under its plan, all or nothing (with an `actor`, its rights are
    checked for every command); raise SiteImportError if the store refuses any row (an unknown
    plan, a site code already in use, a closed plan, no right to establish camps there)."""
    problems: list[str] = []
    if not service.exists("plan", sites.plan):
        problems.append(f"unknown plan {sites.plan!r}: draft it first")
    elif actor is not None:  # no right to the plan: say so before anything about its camps
        authorize(service, actor, "establish_camp", {"plan": sites.plan})
    for row in sites.rows:
        if service.exists("camp", row.establish["camp"]):
            problems.append(
                f"row {row.row}: a camp {row.establish['camp']!r} already exists; "
                "site codes are camp slugs and unique"
            )
    if problems:
        raise SiteImportError(sites.source, problems)
    commands = [(row, command) for row in sites.rows for command in row.commands()]
    try:
        position = service.execute_all([command for _, command in commands], actor=actor)
    except CommandsRefused as refused:
        if isinstance(refused.error, RightsError):
            raise refused.error from None  # no right to the plan: not a fault of the list
        row = commands[refused.index][0]
        raise SiteImportError(sites.source, [f"row {row.row}: {refused}"]) from None
    except ConcurrencyError as error:
        raise SiteImportError(sites.source, [str(error)]) from None
    return ImportResult(len(sites.rows), sites.population, position)


def scenario_yaml(sites: SiteList, *, start: str, slug: str) -> str:
    """The list as a scenario file of its own: the plan drafted, then every site's steps at
    `+0d` (copy the steps into another scenario to use them there)."""
    steps: list[dict[str, Any]] = [
        {
            "at": "+0d",
            "do": "draft_plan",
            "with": {
                "plan": sites.plan,
                "title": f"Sites imported from {sites.source}",
                "crisis": "imported site list",
                "planning_figure": max(1, sites.population),
            },
        }
    ]
    steps += [{"at": "+0d", "do": name, "with": args} for name, args in sites.commands()]
    document = {
        "scenario": slug,
        "title": f"Site list {sites.source} for plan {sites.plan}",
        "description": "Written by `planner import-sites --scenario`: one establish_camp step "
        "per row of the site list, then its people as register_arrivals.",
        "sources": [sites.source],
        "start": start,
        "steps": steps,
    }
    text: str = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    return text


class SiteLists:
    """The site-list use case the HTTP API offers (`planner import-sites` over HTTP)."""

    error = SiteImportError

    def import_csv(
        self, service: PlannerService, data: bytes, plan: str, name: str, actor: Actor | None
    ) -> dict[str, Any]:
        """Read, check and store a site list, all or nothing; what was stored."""
        sites = read_site_list(data, plan, name)
        result = import_sites(service, sites, actor)
        return {
            "plan": plan,
            "sites": result.sites,
            "people": result.people,
            "camps": [row.establish["camp"] for row in sites.rows],
            "position": result.position,
        }


SITE_LISTS = SiteLists()
