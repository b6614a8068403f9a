"""`planner simulate FILE [--runs N] [--seed S] [--json] [--report DIR]`: the reports.

The text report and `--json` print, for each requirement of the scenario's `simulate:` section,
the share of sampled runs that broke it and the minimal failing shock (in words and as a
scenario fragment); `--report DIR` writes a self-contained HTML page with inline SVG plots and,
for each minimal failing shock, a complete scenario file that `planner replay` reproduces it
with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from planner.scenario import ScenarioError, load_scenario
from planner.simulate_report import render_html, write_report
from planner.simulate_text import format_text, report_dict
from planner.simulation import simulate_scenario, validate_simulate

EXIT_OK, EXIT_BROKEN, EXIT_BAD_INPUT = 0, 1, 2


def simulate(args: argparse.Namespace) -> int:
    """Run the simulation of one scenario file and print (and write) its report."""
    path = Path(args.file)
    if args.runs < 1:
        return _bad_input(args, str(path), "--runs must be 1 or more")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = None
    try:
        scenario = load_scenario(path)
        spec = validate_simulate(scenario, text)
    except ScenarioError as error:
        return _bad_input(args, str(path), str(error))
    if spec is None:
        return _bad_input(
            args,
            str(path),
            f"{path}: the scenario has no 'simulate:' section (see docs/simulation.md)",
        )
    report = simulate_scenario(scenario, runs=args.runs, seed=args.seed, spec=spec)
    written: list[Path] = []
    if args.report is not None:
        written = write_report(report, Path(args.report))
    if args.json:
        data = report_dict(report)
        data["report_files"] = [str(p) for p in written]
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(format_text(report))
        if written:
            print(f"   report: {written[0]} (and {len(written) - 1} scenario files to replay)")
    return EXIT_BROKEN if report.broken else EXIT_OK


def _bad_input(args: argparse.Namespace, path: str, message: str) -> int:
    if args.json:
        sys.stdout.buffer.write(
            orjson.dumps({"file": path, "ok": False, "error": message}, option=orjson.OPT_INDENT_2)
            + b"\n"
        )
    else:
        print(f"ERROR {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


__all__ = ["format_text", "render_html", "report_dict", "simulate", "write_report"]
