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
import os
import random
import signal
import sys
import threading
import time
from typing import Any

from eventsourcing.persistence import PersistenceError

from api.app import create_app
from api.auth import TOKENS_FILE_VARIABLE, TokenConfigError, TokenRegistry, reload_on_sighup
from api.context import ApiSettings
from planner.config import DATABASE_URL_VARIABLE, ConfigError, database_url
from planner.wiring import Planner, open_planner

EXIT_OK, EXIT_BAD_INPUT = 0, 2
_FACTORY = "planner.serve:app_factory"


def open_shared(url: str | None, attempts: int = 6) -> Planner:
    """open_planner(), retried when processes starting together race to create the tables.

    PostgreSQL answers concurrent DDL on the same objects with errors such as "tuple
    concurrently updated"; the tables exist once one process wins, so a retry succeeds.
    """
    for attempt in range(1, attempts + 1):
        try:
            return open_planner(url)
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
        tokens = TokenRegistry.from_environment(args.tokens)
        url = database_url(args.db)
        planner: Planner | None = None
        if args.workers <= 1 or not args.no_projector:
            planner = open_shared(url)
    except (TokenConfigError, ConfigError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if len(tokens) == 0:
        print(
            "WARNING no tokens configured (--tokens FILE, $PLANNER_TOKENS_FILE or "
            "$PLANNER_TOKENS): every request but /healthz and /readyz gets 401",
            file=sys.stderr,
        )
    try:
        if planner is not None and not args.no_projector:
            planner.follower.start()
        if args.workers > 1:
            os.environ[DATABASE_URL_VARIABLE] = url
            if args.tokens:
                os.environ[TOKENS_FILE_VARIABLE] = os.path.abspath(args.tokens)
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
        if planner is not None:
            planner.close()
    return EXIT_OK


def app_factory() -> Any:
    """The app of one worker of a multi-worker server (configured by environment variables).

    $PLANNER_DATABASE_URL names the store; tokens come from $PLANNER_TOKENS_FILE or
    $PLANNER_TOKENS. The worker does not project: the supervising process (or
    `planner project`) keeps the views current.
    """
    planner = open_shared(os.environ.get(DATABASE_URL_VARIABLE))
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
        planner.close()
    print(f"stopped at event {planner.follower.position}", file=sys.stderr)
    return EXIT_OK
