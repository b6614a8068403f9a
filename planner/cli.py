"""The `planner` command: replay, check, rebuild, serve."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import orjson
from eventsourcing.persistence import PersistenceError
from psycopg import Error as PsycopgError

from planner.replay import ReplayReport, ScenarioAlreadyReplayed, replay_scenario
from planner.report import format_report, format_totals
from planner.scenario import ScenarioError, load_scenario, parse_offset_or_time

EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a process ended by SIGPIPE
QUARANTINE_SHOWN = 20  # quarantined events listed by `planner rebuild`


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code: int = args.handler(args)
    except BrokenPipeError:  # `planner replay … | head`: the reader stopped; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner", description="Event-sourced emergency response planner."
    )
    commands = parser.add_subparsers(title="commands")

    replay = commands.add_parser("replay", help="replay scenario files and evaluate their checks")
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE")
    replay.add_argument("--db", help="store: a SQLite path, sqlite:///PATH or postgresql://…")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.add_argument("--until", metavar="WHEN", help="stop at a simulated time (+3d or ISO)")
    replay.add_argument("--reset", action="store_true", help="erase the store first")
    replay.add_argument(
        "--timeline",
        action="store_true",
        help="also print every step applied and the readiness at every check time",
    )
    replay.set_defaults(handler=_replay)

    check = commands.add_parser("check", help="validate scenario files without storing anything")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_check)

    matches = commands.add_parser(
        "matches", help="suggest which camps should get how much of each open donor offer"
    )
    source = matches.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a scenario to replay")
    source.add_argument("--db", help="a store: SQLite path, sqlite:///PATH or postgresql://…")
    matches.add_argument("--at", metavar="WHEN", help="as of a time (+3d with FILE, or ISO)")
    matches.add_argument("--json", action="store_true", help="print the suggestions as JSON")
    matches.set_defaults(handler=_matches)

    rebuild = commands.add_parser("rebuild", help="drop and rebuild the readiness views")
    rebuild.add_argument("--db", help="store URL or path")
    rebuild.set_defaults(handler=_rebuild)

    serve = commands.add_parser("serve", help="serve the HTTP API (and dashboard)")
    serve.add_argument("--db", help="store URL or path")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--read-db",
        help="PostgreSQL streaming replica to read the views from (commands go to --db)",
    )
    serve.add_argument("--tokens", help="token file (default $PLANNER_TOKENS_FILE)")
    serve.add_argument(
        "--no-projector", action="store_true", help="do not follow events (another process does)"
    )
    serve.add_argument(
        "--sync-every",
        type=float,
        metavar="SECONDS",
        help="a field store: sync with headquarters this often (docs/field.md)",
    )
    serve.set_defaults(handler=_serve)

    project = commands.add_parser("project", help="run the projection follower as its own process")
    project.add_argument("--db", help="store URL or path")
    project.set_defaults(handler=_project)

    sites = commands.add_parser(
        "import-sites",
        help="import an HXL-tagged CSV site list as camps of a plan (all rows or none)",
    )
    sites.add_argument("file", type=Path, metavar="FILE.csv")
    sites.add_argument("--plan", required=True, help="slug of the plan the sites belong to")
    sites.add_argument("--db", help="store URL or path")
    sites.add_argument(
        "--scenario",
        type=Path,
        metavar="OUT.yaml",
        help="write the sites as scenario steps to this file instead of storing them",
    )
    sites.add_argument(
        "--start", default=None, help="the written scenario's start (ISO 8601; default: now)"
    )
    sites.set_defaults(handler=_import_sites)

    simulate = commands.add_parser("simulate", help="stress-test a scenario with random shocks")
    simulate.add_argument("file", type=Path, metavar="FILE")
    simulate.add_argument("--runs", type=int, default=200)
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--json", action="store_true")
    simulate.add_argument("--report", type=Path, metavar="DIR", help="write an HTML report here")
    simulate.set_defaults(handler=_simulate)

    from planner import demo, tokens
    from planner.field import cli as field_cli

    tokens.add_parser(commands)
    field_cli.add_parser(commands)
    demo.add_parser(commands)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from planner.serve import serve

    return serve(args)


def _project(args: argparse.Namespace) -> int:
    from planner.serve import project

    return project(args)


def _simulate(args: argparse.Namespace) -> int:
    from planner.simulate_cli import simulate

    return simulate(args)


def _replay(args: argparse.Namespace) -> int:
    from planner.wiring import reset_store

    worst = EXIT_OK
    reports: list[Mapping[str, object]] = []
    scratch = None
    url = args.db
    if url is None and not _env_url():
        scratch = tempfile.TemporaryDirectory(prefix="planner-replay-")
    elif args.reset:
        reset_store(url)
    try:
        for path in args.files:
            try:
                report = _replay_file(args, path, url, scratch)
            except REPLAY_FAILURES as error:
                if isinstance(error, PersistenceError | PsycopgError):
                    error = OSError(f"{path}: cannot use the store {url or _env_url()}: {error}")
                _print_error(args, str(path), error, reports)
                worst = EXIT_BAD_INPUT
                continue
            reports.append(report.as_dict())
            if not args.json:
                print(format_report(report, timeline=args.timeline))
            worst = _worse(worst, report)
    finally:
        if scratch is not None:
            scratch.cleanup()
    _print_reports(args, reports)
    return worst


# What stops the replay of one file (the others go on).
REPLAY_FAILURES = (
    ScenarioError,
    ScenarioAlreadyReplayed,
    ValueError,
    OSError,
    PersistenceError,
    PsycopgError,
)


def _replay_file(
    args: argparse.Namespace,
    path: Path,
    url: str | None,
    scratch: tempfile.TemporaryDirectory[str] | None,
) -> ReplayReport:
    """Replay one file into the store (or its own throw-away store in `scratch`)."""
    scenario = load_scenario(path)
    until = None if args.until is None else parse_offset_or_time(args.until, scenario.start)
    file_url = url if scratch is None else str(Path(scratch.name) / f"{path.stem}.sqlite")
    # A throw-away store needs no materialised views: the checks are evaluated on the same
    # fold in-process.
    return replay_scenario(scenario, file_url, until=until, materialize=scratch is None)


def _worse(worst: int, report: ReplayReport) -> int:
    """The exit status after one more report: a bad input beats a failed check beats OK."""
    if report.error is not None:
        return EXIT_BAD_INPUT
    if not report.ok and worst == EXIT_OK:
        return EXIT_FAILED_CHECK
    return worst


def _print_reports(args: argparse.Namespace, reports: list[Mapping[str, object]]) -> None:
    """The reports as JSON (`--json`), else the totals when several files were replayed."""
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps(reports[0] if len(reports) == 1 else reports, option=orjson.OPT_INDENT_2)
        )
        sys.stdout.write("\n")
    elif len(args.files) > 1:
        print(format_totals(reports))


def _import_sites(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from planner.site_import import SiteImportError, import_sites, read_site_list, scenario_yaml
    from planner.wiring import open_planner

    try:
        data = args.file.read_bytes()
        sites = read_site_list(data, args.plan, source=str(args.file))
        if args.scenario is not None:
            start = args.start or datetime.now(UTC).replace(microsecond=0).isoformat()
            slug = re.sub(r"[^a-z0-9-]+", "-", args.file.stem.lower()).strip("-") or "sites"
            args.scenario.write_text(scenario_yaml(sites, start=start, slug=slug), "utf-8")
            print(f"wrote {len(sites.rows)} sites ({sites.population:,} people) to {args.scenario}")
            return EXIT_OK
        planner = open_planner(args.db)
        try:
            result = import_sites(planner.service, sites)
            planner.catch_up()
        finally:
            planner.close()
    except (SiteImportError, OSError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        f"imported {result.sites} sites ({result.people:,} people) into plan '{args.plan}'"
        f" (last event {result.position})"
    )
    return EXIT_OK


def _env_url() -> str | None:
    from planner.config import DATABASE_URL_VARIABLE

    return os.environ.get(DATABASE_URL_VARIABLE)


def _print_error(
    args: argparse.Namespace, path: str, error: Exception, reports: list[Mapping[str, object]]
) -> None:
    if args.json:
        reports.append({"file": path, "ok": False, "error": str(error)})
    else:
        print(f"ERROR {error}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from planner.simulation import validate_simulate

    worst = EXIT_OK
    results = []
    for path in args.files:
        try:
            scenario = load_scenario(path)
            simulation = validate_simulate(scenario)
        except ScenarioError as error:
            results.append({"file": str(path), "ok": False, "error": str(error)})
            if not args.json:
                print(f"ERROR {error}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        results.append(
            {
                "file": str(path),
                "ok": True,
                "steps": len(scenario.steps),
                "checks": len(scenario.checks),
                "requirements": None if simulation is None else len(simulation.requirements),
            }
        )
        if not args.json:
            extra = (
                ""
                if simulation is None
                else (
                    f", simulate: {len(simulation.shock_kinds)} shocks, "
                    f"{len(simulation.requirements)} requirements"
                )
            )
            print(
                f"OK    {path}: {len(scenario.steps)} steps, {len(scenario.checks)} checks{extra}"
            )
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    return worst


def _matches(args: argparse.Namespace) -> int:
    from domain.base import workspace_namespace
    from planner.wiring import open_planner
    from projections.matching import match, not_needed
    from projections.shapes import CampView, OfferView

    try:
        scenario = load_scenario(args.file) if args.file else None
        base = scenario.start if scenario else datetime.now(UTC)  # what `+3d` counts from
        at = parse_offset_or_time(args.at, base) if args.at else None
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if scenario is not None:
        planner = open_planner("memory:", namespace=workspace_namespace(scenario.slug))
        report = replay_scenario(scenario, planner=planner)
        if report.error is not None:
            print(f"error: {report.error}", file=sys.stderr)
            planner.close()
            return EXIT_BAD_INPUT
        at = at or max(step.at for step in scenario.steps)
    else:
        planner = open_planner(args.db)
        planner.catch_up()
    try:
        camps = cast(list[CampView], planner.queries.views("camp", as_of=at))
        offers = cast(list[OfferView], planner.queries.views("offer", as_of=at))
    finally:
        planner.close()
    suggestions, unneeded = match(camps, offers), not_needed(camps, offers)
    if args.json:
        found = {"matches": suggestions, "not_needed": unneeded}
        print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    for m in suggestions:
        print(
            f"{m['offer']:<24} -> {m['camp']:<24} {m['quantity']:>10,} {m['item']:<14}"
            f" ({m['camp_status']})"
        )
    if unneeded:
        print(f"not needed anywhere (decline early): {', '.join(unneeded)}")
    return EXIT_OK


def _rebuild(args: argparse.Namespace) -> int:
    from planner.store_notes import FILL_HINT, describe_store, missing_sqlite_file
    from planner.wiring import open_planner

    missing = missing_sqlite_file(args.db)
    if missing is not None:
        print(
            f"ERROR {missing}: nothing to rebuild, and none is made (give --db or set "
            f"$PLANNER_DATABASE_URL; {FILL_HINT.format(url='PATH')})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    planner = open_planner(args.db)
    try:
        print(describe_store(planner))
        position = planner.rebuild()
        quarantined = planner.views.quarantined(limit=QUARANTINE_SHOWN)
        count = len(planner.views.quarantined_positions())
    finally:
        planner.close()
    print(f"views rebuilt up to event {position:,}")
    if not count:
        return EXIT_OK
    print(f"{count} event(s) could not be projected and are quarantined (the views skip them):")
    for entry in quarantined:
        print(f"  event {entry['position']} {entry['topic']}: {entry['error']}")
    if count > len(quarantined):
        print(f"  … and {count - len(quarantined)} more")
    return EXIT_FAILED_CHECK


if __name__ == "__main__":
    raise SystemExit(main())
