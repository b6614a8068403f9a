"""`planner field init`, `planner sync` and `planner conflicts` (docs/field.md)."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson

from domain.errors import PlannerError
from domain.rights import Actor
from planner.config import ConfigError
from planner.field.client import HqClient, SyncError
from planner.field.loop import FieldInUse, prepare_field, serve_lock
from planner.field.store import FieldStore
from planner.field.sync import FieldSync
from planner.wiring import Planner, open_planner

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(commands: Any) -> None:
    """The `field`, `sync` and `conflicts` subcommands."""
    field = commands.add_parser("field", help="make a field instance that works offline")
    actions = field.add_subparsers(title="actions", dest="action", required=True)
    init = actions.add_parser("init", help="create a field store from headquarters' state")
    init.add_argument("--hq", required=True, metavar="URL", help="headquarters' API address")
    init.add_argument("--token", required=True, help="the field's token at headquarters")
    init.add_argument("--db", required=True, metavar="FILE", help="the new SQLite store")
    init.add_argument(
        "--camp", action="append", default=[], metavar="SLUG", help="only this camp (repeat)"
    )
    field.set_defaults(handler=_init)

    sync = commands.add_parser("sync", help="push a field's commands, pull headquarters' events")
    sync.add_argument("--db", required=True, metavar="FILE", help="the field store")
    sync.add_argument("--json", action="store_true", help="print the report as JSON")
    sync.set_defaults(handler=_sync)

    conflicts = commands.add_parser("conflicts", help="list or resolve field-command conflicts")
    conflicts.add_argument("--db", help="store URL or path (headquarters' or a field's)")
    conflicts.add_argument("--all", action="store_true", help="resolved ones too")
    conflicts.add_argument("--resolve", metavar="ID", help="resolve this conflict")
    how = conflicts.add_mutually_exclusive_group()
    how.add_argument("--discard", metavar="REASON", help="discard it, saying why")
    how.add_argument("--apply", action="store_true", help="apply it (adjusted with --args)")
    conflicts.add_argument("--command", help="with --apply: another command")
    conflicts.add_argument("--args", help="with --apply: the arguments as JSON")
    conflicts.set_defaults(handler=_conflicts)


def _init(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if path.exists() and path.stat().st_size:
        print(f"ERROR {path} exists; a field store starts empty", file=sys.stderr)
        return EXIT_BAD_INPUT
    client = HqClient(args.hq, args.token)
    try:
        client.events(0, 1, args.camp)  # address, token and camps work before a file is made
        planner = open_planner(str(path))
        FieldStore.of(planner.service).create(  # type: ignore[attr-defined]
            str(uuid.uuid4()), args.hq, args.token, args.camp
        )
        planner.close()
        planner = open_planner(str(path))
        try:
            report = FieldSync(planner, client).sync()
        finally:
            planner.close()
    except SyncError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        client.close()
    scope = f"camps {', '.join(args.camp)}" if args.camp else "the whole workspace"
    print(
        f"field store {path} holds {scope}: {report.pulled} events from {args.hq} "
        f"(position {report.hq_position}); serve it with: planner serve --db {path}"
    )
    return EXIT_OK


def _opened(db: str | None) -> Planner | None:
    """The store at `db`, or None after saying why it cannot be opened."""
    try:
        return open_planner(db)
    except ConfigError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return None


def _sync(args: argparse.Namespace) -> int:
    planner = _opened(args.db)
    if planner is None:
        return EXIT_BAD_INPUT
    try:
        if not FieldStore.of(planner.service).exists():  # type: ignore[attr-defined]
            print(f"ERROR {args.db} is not a field store (planner field init)", file=sys.stderr)
            return EXIT_BAD_INPUT
        lock = serve_lock(planner)  # not while a server holds the store, nor one starting
        sync = prepare_field(planner)
        try:
            report = sync.sync()
        finally:
            sync.close()
            os.close(lock)
    except FieldInUse:
        print(
            f"ERROR a planner serve (or sync) runs on {args.db}: sync there "
            "(--sync-every SECONDS) or stop it first",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except SyncError as error:
        print(f"ERROR sync stopped, resume with planner sync: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        planner.close()
    if args.json:
        print(orjson.dumps(report.as_dict()).decode())
    else:
        c = report.counts
        print(
            f"pushed {report.pushed}, pulled {report.pulled} (headquarters position "
            f"{report.hq_position}); field commands: {c['applied']} applied, {c['waiting']} "
            f"waiting, {c['conflict_open']} in open conflict, {c['conflict_resolved']} "
            f"resolved, {c['refused']} refused"
        )
    return EXIT_OK


def _conflicts(args: argparse.Namespace) -> int:
    planner = _opened(args.db)
    if planner is None:
        return EXIT_BAD_INPUT
    try:
        if args.resolve:
            return _resolve(planner, args)
        for item in planner.sync.conflicts(open_only=not args.all):
            print(_conflict_line(item))
        return EXIT_OK
    finally:
        planner.close()


def _resolve(planner: Any, args: argparse.Namespace) -> int:
    action = "discard" if args.discard else "apply" if args.apply else None
    if action is None:
        print("ERROR say how: --discard REASON or --apply", file=sys.stderr)
        return EXIT_BAD_INPUT
    adjusted = orjson.loads(args.args) if args.args else None
    field = FieldStore.of(planner.service)
    try:
        if field.exists():  # a field instance asks headquarters, with its token
            meta = field.meta()
            client = HqClient(meta.hq_url, meta.token)
            try:
                done = client.post(
                    f"/conflicts/{args.resolve}/resolve",
                    {
                        "action": action,
                        "command": args.command,
                        "args": adjusted,
                        "reason": args.discard or "",
                    },
                )
            finally:
                client.close()
        else:  # at headquarters, with access to its store: as an administrator
            done = planner.sync.resolve(
                Actor("admin", None),
                args.resolve,
                action,
                args.command,
                adjusted,
                args.discard or "",
            )
    except (SyncError, PlannerError, ValueError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"conflict {args.resolve}: {action} recorded at position {done.get('position')}")
    return EXIT_OK


def _conflict_line(item: dict[str, Any]) -> str:
    refusal = item["refusal"]
    resolution = item["resolution"]
    state = (
        "open"
        if resolution is None
        else f"{resolution['action']} by {resolution['by']}"
        + (f" ({resolution['reason']})" if resolution["reason"] else "")
    )
    return (
        f"{item['id']}  {item['command']} {orjson.dumps(item['args']).decode()}  "
        f"from field {item['field_id'][:8]} ({item['by']}, saw position {item['field_saw']}): "
        f"refused: {refusal['rule']}: {refusal['message']}  [{state}]"
    )
