"""`planner serve` and `planner project`: the HTTP API under uvicorn, the projector on its own.

One worker: this process opens the planner, follows the event log into the views in a
background thread (unless --no-projector: then `planner project` or another server does), and
serves the app. Several workers: uvicorn starts them from the app factory `app_factory()`,
configured through environment variables; each worker opens its own connections and none of
them projects — this (supervising) process runs the one follower, unless --no-projector.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import signal
import sys
import threading
import time
from typing import Any

from eventsourcing.persistence import PersistenceError

from api.app import create_app
from api.auth import (
    TOKENS_FILE_VARIABLE,
    TOKENS_VARIABLE,
    TokenConfigError,
    TokenRegistry,
    reload_on_sighup,
    token_digest,
)
from api.context import ApiSettings
from planner.config import DATABASE_URL_VARIABLE, ConfigError, database_url
from planner.store_notes import describe_store
from planner.tokens import DEFAULT_TOKENS_FILE, new_token
from planner.wakeup import wake_on_store
from planner.wiring import Planner, open_planner

EXIT_OK, EXIT_BAD_INPUT = 0, 2
_FACTORY = "planner.serve:app_factory"
READ_URL_VARIABLE = "PLANNER_READ_DATABASE_URL"  # a worker's replica (--read-db)


def open_shared(url: str | None, attempts: int = 6, read_url: str | None = None) -> Planner:
    """open_planner(), retried when processes starting together race to create the tables.

    PostgreSQL answers concurrent DDL on the same objects with errors such as "tuple
    concurrently updated"; the tables exist once one process wins, so a retry succeeds.
    """
    for attempt in range(1, attempts + 1):
        try:
            return open_planner(url, read_url=read_url)
        except PersistenceError:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.1, 0.4) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _server_options() -> dict[str, Any]:
    options: dict[str, Any] = {"log_level": os.environ.get("PLANNER_LOG_LEVEL", "info")}
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    return options


def serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API until interrupted."""
    import uvicorn

    try:
        tokens, tokens_path = load_tokens(args.tokens)
        url = database_url(args.db)
        planner: Planner | None = None
        read_url = getattr(args, "read_db", None)
        if args.workers <= 1 or not args.no_projector:
            planner = open_shared(url, read_url=read_url if args.workers <= 1 else None)
    except (TokenConfigError, ConfigError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    one_time = first_contact_token(tokens) if len(tokens) == 0 else None
    if planner is not None:
        print(describe_store(planner), file=sys.stderr)
    announce(args.host, args.port, one_time)
    stop_waking = threading.Event()
    stop_syncing = _field_sync(planner, getattr(args, "sync_every", None))
    try:
        if planner is not None and not args.no_projector:
            if args.workers > 1:
                stop_waking = wake_on_store(planner)  # the workers store the events
            planner.follower.start()
        if args.workers > 1:
            _export_to_workers(url, tokens_path, one_time, read_url)
            uvicorn.run(
                _FACTORY,
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                **_server_options(),
            )
        else:
            assert planner is not None
            settings = ApiSettings(projector="external" if args.no_projector else "in-process")
            app = create_app(planner, tokens, settings=settings)
            reload_on_sighup(tokens)  # the token file is read again, no restart needed
            uvicorn.run(app, host=args.host, port=args.port, **_server_options())
    finally:
        stop_waking.set()
        stop_syncing.set()
        if planner is not None:
            planner.close()
    return EXIT_OK


def _export_to_workers(
    url: str, tokens_path: str | None, one_time: str | None, read_url: str | None
) -> None:
    """What the worker processes read at start-up: the store, the tokens, the read replica."""
    os.environ[DATABASE_URL_VARIABLE] = url
    if tokens_path:
        os.environ[TOKENS_FILE_VARIABLE] = os.path.abspath(tokens_path)
    elif one_time is not None:
        entry = [{"token_sha256": token_digest(one_time).hex(), "role": "admin"}]
        os.environ[TOKENS_VARIABLE] = json.dumps(entry)
    if read_url:
        os.environ[READ_URL_VARIABLE] = read_url


def _field_sync(planner: Planner | None, every: float | None) -> threading.Event:
    """On a field store: finish a pending rebase; with `every`, start the sync loop."""
    from planner.field.loop import (
        FieldInUse,
        is_field_planner,
        prepare_field,
        serve_lock,
        start_sync_loop,
    )

    if planner is None or not is_field_planner(planner):
        return threading.Event()
    try:
        serve_lock(planner)  # held until this process ends: `planner sync` defers to the loop
    except FieldInUse:
        print("ERROR a planner serve or sync already runs on this field store", file=sys.stderr)
        planner.close()
        raise SystemExit(EXIT_BAD_INPUT) from None
    if every:
        return start_sync_loop(planner, every)
    prepare_field(planner).close()
    return threading.Event()


def load_tokens(explicit: str | None) -> tuple[TokenRegistry, str | None]:
    """The tokens in force and the file they come from: `--tokens FILE`, $PLANNER_TOKENS_FILE,
    the text in $PLANNER_TOKENS, else `data/tokens.yaml` if it exists (`planner tokens add`)."""
    path = explicit or os.environ.get(TOKENS_FILE_VARIABLE)
    if not path and not os.environ.get(TOKENS_VARIABLE) and DEFAULT_TOKENS_FILE.exists():
        path = str(DEFAULT_TOKENS_FILE)
    return TokenRegistry.from_environment(path), path


def first_contact_token(tokens: TokenRegistry) -> str:
    """No token is configured: make a one-time admin token, valid while this server runs."""
    token = new_token()
    tokens.add(token, "admin")
    return token


def sign_in_url(host: str, port: int, token: str | None = None) -> str:
    """The dashboard's address (with `?token=` the sign-in link that signs in at once)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    base = f"http://{shown}:{port}"
    return f"{base}/dashboard/login?token={token}" if token else f"{base}/"


def announce(host: str, port: int, one_time: str | None) -> None:
    """Say where the dashboard and the API docs are (and the one-time token, if any)."""
    base = sign_in_url(host, port)
    lines = [f"dashboard: {base}   API docs: {base}docs   OpenAPI: {base}openapi.json"]
    if one_time is not None:
        lines += [
            "no tokens are configured (--tokens FILE, $PLANNER_TOKENS_FILE, $PLANNER_TOKENS or "
            f"{DEFAULT_TOKENS_FILE}): made a one-time admin token, valid until this server stops.",
            "open this link to sign in to the dashboard:",
            f"    {sign_in_url(host, port, one_time)}",
            f"or call the API with the header 'Authorization: Bearer {one_time}'.",
            "lasting tokens: planner tokens add --role admin (or --role viewer --partner SLUG)",
        ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def app_factory() -> Any:
    """The app of one worker of a multi-worker server (configured by environment variables).

    $PLANNER_DATABASE_URL names the store; tokens come from $PLANNER_TOKENS_FILE or
    $PLANNER_TOKENS. The worker does not project: the supervising process (or
    `planner project`) keeps the views current.
    """
    planner = open_shared(
        os.environ.get(DATABASE_URL_VARIABLE), read_url=os.environ.get(READ_URL_VARIABLE)
    )
    tokens = TokenRegistry.from_environment()
    settings = ApiSettings(projector="external", close_planner_on_shutdown=True)
    return create_app(planner, tokens, settings=settings)


def project(args: argparse.Namespace) -> int:
    """Keep the readiness views current, in the foreground, until interrupted."""
    try:
        planner = open_shared(args.db)
    except ConfigError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(describe_store(planner), file=sys.stderr)
    stop_waking = wake_on_store(planner)
    planner.follower.start()
    print(f"following {planner.url} from event {planner.follower.position}", file=sys.stderr)
    try:
        while not stop.wait(1.0):
            if planner.follower.error is not None:
                print(f"WARNING projection error: {planner.follower.error!r}", file=sys.stderr)
                planner.follower.error = None
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_waking.set()
        planner.close()
    print(f"stopped at event {planner.follower.position}", file=sys.stderr)
    return EXIT_OK
