"""A field instance inside `planner serve`: a rebase left pending is finished at start, and
`--sync-every SECONDS` syncs in a background thread (errors are recorded, the loop goes on)."""

from __future__ import annotations

import fcntl
import os
import sys
import threading

from planner.field.client import SyncError
from planner.field.service import FieldService
from planner.field.sync import FieldSync
from planner.wiring import Planner


def prepare_field(planner: Planner) -> FieldSync:
    """The sync of a field planner, after finishing a rebase an interruption left pending."""
    sync = FieldSync(planner)
    meta = sync.store.meta()
    service = planner.service
    if isinstance(service, FieldService):
        service.field_hq_position = meta.hq_position
    if meta.needs_rebase:
        sync.rebase()
    return sync


class FieldInUse(Exception):
    """A `planner serve` holds this field store: it syncs itself (`--sync-every`)."""


def serve_lock(planner: Planner) -> int:
    """Mark the field store as served (released when the process ends); its descriptor.

    `planner sync` in another process would change the events under the server's caches."""
    fd = os.open(_lock_path(planner), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise FieldInUse("another planner serve holds this field store") from None
    return fd


def _lock_path(planner: Planner) -> str:
    return f"{planner.service.recorder.datastore.pool.db_name}.serve-lock"  # type: ignore[attr-defined]


def is_field_planner(planner: Planner) -> bool:
    """True if `planner` runs on a field store."""
    return isinstance(planner.service, FieldService)


def start_sync_loop(planner: Planner, every: float) -> threading.Event:
    """Sync every `every` seconds in a daemon thread until the returned event is set."""
    stop = threading.Event()
    sync = prepare_field(planner)

    def run() -> None:
        while not stop.wait(every):
            try:
                report = sync.sync()
            except SyncError as error:
                print(f"WARNING sync failed, will retry: {error}", file=sys.stderr, flush=True)
                continue
            except Exception as error:  # the loop must outlive any one failure
                print(f"WARNING sync error: {error!r}", file=sys.stderr, flush=True)
                continue
            if report.pushed or report.pulled:
                print(f"synced: {report.as_dict()}", file=sys.stderr, flush=True)
        sync.close()

    threading.Thread(target=run, name="field-sync", daemon=True).start()
    return stop
