"""`planner demo`: the bundled scenarios replayed into a store that stays, then served.

One command for a first look: every scenario file (the bundled ones by default) is replayed
into one persistent store (`data/demo.sqlite` unless --db), each in its own workspace, a
scenario the store already holds is left as it is, and then `planner serve` serves that store
and prints the dashboard's address (with a one-time sign-in link when no token is configured).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.config import DEFAULT_DATA_DIR

DEFAULT_DEMO_STORE = DEFAULT_DATA_DIR / "demo.sqlite"
BUNDLED = Path(__file__).resolve().parent.parent / "scenarios"
EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `demo` subcommand."""
    demo = commands.add_parser(
        "demo", help="replay the bundled scenarios into a store that stays, and serve it"
    )
    demo.add_argument("files", nargs="*", type=Path, metavar="FILE", help="default: bundled")
    demo.add_argument("--db", default=str(DEFAULT_DEMO_STORE), help="store (default %(default)s)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--tokens", help="token file (default: as planner serve)")
    demo.set_defaults(handler=run)


def bundled_scenarios() -> list[Path]:
    """The scenario files shipped beside the package (a checkout or an editable install)."""
    return sorted(BUNDLED.glob("*.yaml"))


def run(args: argparse.Namespace) -> int:
    """Replay what the store does not hold yet, then serve it."""
    files = args.files or bundled_scenarios()
    if not files:
        print(
            f"ERROR no scenario files: {BUNDLED} holds none (install from a checkout with "
            "`pip install -e .`, or name the files: planner demo FILE…)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    for path in files:
        if not fill(args.db, path):
            return EXIT_BAD_INPUT
    from planner.serve import serve

    serve_args = argparse.Namespace(
        db=args.db,
        host=args.host,
        port=args.port,
        workers=1,
        tokens=args.tokens,
        no_projector=False,
    )
    return serve(serve_args)


def shown(path: Path) -> str:
    """A path as a person typed it: relative to the current folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def fill(url: str, path: Path) -> bool:
    """Replay one file into the store unless it is there already; False on a bad file."""
    from planner.replay import ScenarioAlreadyReplayed, replay_scenario
    from planner.report import check_counts, verdict
    from planner.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
        report = replay_scenario(scenario, url)
    except ScenarioAlreadyReplayed as already:
        print(f"kept   {shown(path)}: {already.progress}", file=sys.stderr)
        return True
    except (ScenarioError, OSError, ValueError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return False
    data = report.as_dict()
    print(
        f"{verdict(data):<6} {shown(path)}: replayed into {url}, {check_counts(data)}",
        file=sys.stderr,
    )
    return True
